//===- KernelEntries.cpp - packed entry points of lowered kernels ---------===//
//
// The runtime calls every kernel as `void hydra_entry_K(void **argv)`; this
// pass writes that adapter in the LLVM dialect over the C interface that
// `llvm.emit_c_interface` produced, and makes the kernel and its C
// interface internal to the object.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAKERNELENTRIES
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
constexpr StringLiteral kCInterfacePrefix = "_mlir_ciface_";
constexpr StringLiteral kEntryPrefix = "hydra_entry_";

struct HydraKernelEntriesPass
    : public hydra::impl::HydraKernelEntriesBase<HydraKernelEntriesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> interfaces;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
      StringRef name = func.getSymName();
      if (!name.starts_with(kCInterfacePrefix) || func.isExternal())
        continue;
      auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(
          name.drop_front(kCInterfacePrefix.size()));
      if (kernel && kernel->hasAttr(kKernelAttrName))
        interfaces.push_back(func);
    }
    for (LLVM::LLVMFuncOp cInterface : interfaces)
      if (failed(addEntry(module, cInterface)))
        return signalPassFailure();
  }

  LogicalResult addEntry(ModuleOp module, LLVM::LLVMFuncOp cInterface) {
    Location loc = cInterface.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto ptrType = LLVM::LLVMPointerType::get(&getContext());
    auto voidType = LLVM::LLVMVoidType::get(&getContext());
    StringRef kernelName =
        cInterface.getSymName().drop_front(kCInterfacePrefix.size());
    auto entry = LLVM::LLVMFuncOp::create(
        b, loc, (kEntryPrefix + kernelName).str(),
        LLVM::LLVMFunctionType::get(voidType, {ptrType}));
    Block *body = entry.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    Value argv = body->getArgument(0);
    SmallVector<Value> args;
    for (auto [i, type] :
         llvm::enumerate(cInterface.getFunctionType().getParams())) {
      Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, argv,
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
      Value pointer = LLVM::LoadOp::create(b, loc, ptrType, slot);
      if (isa<LLVM::LLVMPointerType>(type)) {
        args.push_back(pointer);
      } else if (type.isInteger(64)) {
        args.push_back(LLVM::LoadOp::create(b, loc, type, pointer));
      } else {
        return cInterface.emitOpError()
               << "not supported by hydra-kernel-entries: a kernel argument "
                  "of type "
               << type;
      }
    }
    LLVM::CallOp::create(b, loc, cInterface, args);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    // Only the entry is called from outside: the kernel and its C
    // interface become internal, so the optimizer inlines them into the
    // entry and emits each kernel's code once rather than three times.
    cInterface.setLinkage(LLVM::Linkage::Internal);
    if (auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(kernelName))
      kernel.setLinkage(LLVM::Linkage::Internal);
    return success();
  }
};
} // namespace

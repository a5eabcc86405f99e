//===- KernelsToGpuModule.cpp - the hydra-kernels-to-gpu-module pass ------===//
//
// The GPU block kernels (hydra-outline-kernels{gpu}) as gpu.func kernels of
// one gpu.module with an NVVM target per chip: what upstream's NVVM
// lowering and gpu-module-to-binary take.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAKERNELSTOGPUMODULE
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

unsigned hydra::cudaArchNumber(StringRef arch) {
  if (!arch.consume_front("sm_"))
    return 0;
  arch.consume_back("a");
  unsigned number;
  return arch.getAsInteger(10, number) ? 0 : number;
}

bool hydra::isCudaArch(StringRef target) {
  return cudaArchNumber(target) >= 75;
}

namespace {

constexpr StringLiteral kGpuModuleName = "hydra_kernels";

/// `kernel` as a gpu.func at the end of `gpuModule`: the same body,
/// workgroup allocations as workgroup attributions, the block size as
/// known_block_size.
LogicalResult toGpuFunc(func::FuncOp kernel, gpu::GPUModuleOp gpuModule) {
  auto blockSize = kernel->getAttrOfType<IntegerAttr>(kBlockSizeAttrName);
  if (!blockSize)
    return kernel.emitOpError()
           << "is not a GPU block kernel (run hydra-outline-kernels{gpu})";
  SmallVector<memref::AllocOp> shared;
  kernel.walk([&](memref::AllocOp alloc) {
    if (gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(alloc.getType()))
      shared.push_back(alloc);
  });
  for (memref::AllocOp alloc : shared)
    if (!alloc.getDynamicSizes().empty())
      return alloc.emitOpError() << "not supported: a dynamic shared buffer";

  OpBuilder b = OpBuilder::atBlockEnd(gpuModule.getBody());
  auto func = gpu::GPUFuncOp::create(b, kernel.getLoc(), kernel.getSymName(),
                                     kernel.getFunctionType());
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(blockSize.getInt()), 1, 1}));
  // One resident block an SM is all a kernel needs: without this ptxas
  // caps registers to fit the most blocks an SM can hold, and spills.
  func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                b.getI32IntegerAttr(1));
  Block &entry = func.getBody().front();
  Block &old = kernel.getBody().front();
  for (auto [from, to] : llvm::zip(old.getArguments(), entry.getArguments()))
    from.replaceAllUsesWith(to);
  entry.getOperations().splice(entry.end(), old.getOperations());
  func.walk([&](func::ReturnOp ret) {
    OpBuilder rb(ret);
    gpu::ReturnOp::create(rb, ret.getLoc());
    ret.erase();
  });
  // 16-byte aligned: cp.async and ldmatrix address 16-byte rows (the
  // lowering's default is the element's alignment).
  for (auto [index, alloc] : llvm::enumerate(shared)) {
    BlockArgument attribution =
        func.addWorkgroupAttribution(alloc.getType(), alloc.getLoc());
    func.setWorkgroupAttributionAttr(index,
                                     LLVM::LLVMDialect::getAlignAttrName(),
                                     b.getI64IntegerAttr(kSharedAlignment));
    alloc.replaceAllUsesWith(attribution);
    alloc.erase();
  }
  kernel.erase();
  return success();
}

struct HydraKernelsToGpuModulePass
    : public hydra::impl::HydraKernelsToGpuModuleBase<
          HydraKernelsToGpuModulePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    if (chips.empty()) {
      module.emitError() << "hydra-kernels-to-gpu-module needs chips "
                            "(e.g. chips=sm_80,sm_90)";
      return signalPassFailure();
    }
    SmallVector<Attribute> targets;
    for (const std::string &chip : chips) {
      if (!isCudaArch(chip)) {
        module.emitError() << "not supported: GPU chip '" << chip
                           << "' (sm_75 or later: sm_80, sm_90, sm_90a, ...)";
        return signalPassFailure();
      }
      Attribute target =
          parseAttribute("#nvvm.target<chip = \"" + chip + "\", O = 3>", ctx);
      if (!target) {
        module.emitError() << "no NVVM target for '" << chip << "'";
        return signalPassFailure();
      }
      targets.push_back(target);
    }
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kKernelAttrName))
        kernels.push_back(func);
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    auto gpuModule = gpu::GPUModuleOp::create(
        b, module.getLoc(), kGpuModuleName, b.getArrayAttr(targets));
    for (func::FuncOp kernel : kernels)
      if (failed(toGpuFunc(kernel, gpuModule)))
        return signalPassFailure();
  }
};

} // namespace

//===- EmulateGpu.cpp - GPU block kernels → host code for the emulator ----===//
//
// The runtime's GPU emulator runs every thread of a block as a fiber on one
// CPU thread and switches fibers only where threads synchronize (barriers,
// shuffles). The kernel code itself is the GPU kernel, unchanged but for
// the few operations rewritten here, so the emulation checks the block and
// thread mapping itself: indexing, shared-memory staging, barriers and
// warp reductions.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "artifact_format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAEMULATEGPU
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
// Field indices of the runtime's EmuThreadContext, and its mma fragment:
// the definitions the runtime checks its struct against.
using namespace ::hydra::artifact;

struct Emulation {
  OpBuilder &b;
  Value ctx;
  Type ptrType, i64Type, i32Type, f32Type;

  Emulation(OpBuilder &b, Value ctx)
      : b(b), ctx(ctx), ptrType(LLVM::LLVMPointerType::get(b.getContext())),
        i64Type(b.getI64Type()), i32Type(b.getI32Type()),
        f32Type(b.getF32Type()) {}

  Value field(Location loc, int32_t index, Type type) {
    Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, ctx,
                                     ArrayRef<LLVM::GEPArg>{index});
    return LLVM::LoadOp::create(b, loc, type, slot);
  }
  Value indexField(Location loc, int32_t index) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      field(loc, index, i64Type));
  }
  void barrier(Location loc) {
    Value fn = field(loc, kEmuBarrierFn, ptrType);
    auto type = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(b.getContext()), {ptrType});
    LLVM::CallOp::create(b, loc, type, ValueRange{fn, ctx});
  }
  /// void mma(ctx, float *fragment)
  void mma(Location loc, Value fragment) {
    Value fn = field(loc, kEmuMmaFn, ptrType);
    auto type = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(b.getContext()), {ptrType, ptrType});
    LLVM::CallOp::create(b, loc, type, ValueRange{fn, ctx, fragment});
  }
  /// float shuffle(ctx, float value, i32 offset, i32 mode)
  Value shuffle(Location loc, Value value, Value offset, int32_t mode) {
    Value fn = field(loc, kEmuShuffleFn, ptrType);
    auto type = LLVM::LLVMFunctionType::get(
        f32Type, {ptrType, f32Type, i32Type, i32Type});
    Value modeValue = arith::ConstantIntOp::create(b, loc, mode, 32);
    return LLVM::CallOp::create(b, loc, type,
                                ValueRange{fn, ctx, value, offset, modeValue})
        .getResult();
  }
};

/// cp.async copies as ordinary loads and stores, done by the time the copy
/// returns: a valid schedule of the asynchronous copy (every wait then
/// finds its groups complete), so commits and waits go away. Elements past
/// `srcElements` are zeros; in their place the copy's first source element
/// is read (an address the kernels keep in bounds, as cp.async needs)
/// rather than branching: LLVM would merge the branches' bf16 values in a
/// phi, which x86 rounds through f32 by a libgcc call the kernels are not
/// linked with.
void emulateAsyncCopies(func::FuncOp kernel) {
  SmallVector<Operation *> waits, groups;
  SmallVector<nvgpu::DeviceAsyncCopyOp> copies;
  kernel.walk([&](Operation *op) {
    if (isa<nvgpu::DeviceAsyncWaitOp, NVVM::CpAsyncWaitGroupOp>(op))
      waits.push_back(op);
    else if (isa<nvgpu::DeviceAsyncCreateGroupOp, NVVM::CpAsyncCommitGroupOp>(
                 op))
      groups.push_back(op);
    else if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op))
      copies.push_back(copy);
  });
  for (Operation *op : llvm::concat<Operation *>(waits, groups))
    op->erase();
  for (nvgpu::DeviceAsyncCopyOp copy : copies) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Type e = cast<MemRefType>(copy.getDst().getType()).getElementType();
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(e));
    Value available = copy.getSrcElements();
    for (int64_t i = 0, n = copy.getDstElements().getZExtValue(); i < n; ++i) {
      Value at = arith::ConstantIndexOp::create(b, loc, i);
      Value inSource =
          available ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            at, available)
                          .getResult()
                    : Value();
      auto shifted = [&](ValueRange indices, Value by) {
        SmallVector<Value> out(indices);
        out.back() = arith::AddIOp::create(b, loc, out.back(), by);
        return out;
      };
      Value readAt = inSource ? arith::SelectOp::create(
                                    b, loc, inSource, at,
                                    arith::ConstantIndexOp::create(b, loc, 0))
                                    .getResult()
                              : at;
      Value x = memref::LoadOp::create(b, loc, copy.getSrc(),
                                       shifted(copy.getSrcIndices(), readAt));
      if (inSource)
        x = arith::SelectOp::create(b, loc, inSource, x, zero);
      memref::StoreOp::create(b, loc, x, copy.getDst(),
                              shifted(copy.getDstIndices(), at));
    }
    copy.erase();
  }
}

/// ldmatrix: every lane gives one row address and receives elements of the
/// rows other lanes gave (PTX ISA, "ldmatrix"). Each lane's linear offset
/// in the tile goes round the warp as an f32 index shuffle (exact: shared
/// tiles hold far fewer than 2^24 elements), then each lane reads its
/// elements at the offsets it received.
LogicalResult emulateLdMatrix(Emulation &emu, nvgpu::LdMatrixOp ld) {
  OpBuilder &b = emu.b;
  Location loc = ld.getLoc();
  MemRefType type = ld.getSrcMemref().getType();
  if (type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getLayout().isIdentity())
    return ld.emitOpError() << "not supported by the GPU emulator: ldmatrix "
                               "from other than a static 2-D row-major tile";
  int64_t cols = type.getDimSize(1);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto toF32 = [&](Value i) {
    Value i32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), i);
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), i32).getResult();
  };
  auto toIndex = [&](Value f) {
    Value i32 = arith::FPToSIOp::create(b, loc, b.getI32Type(), f);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32)
        .getResult();
  };
  Value lane = arith::RemUIOp::create(b, loc, emu.indexField(loc, kEmuThreadId),
                                      index(32));
  Value g = arith::DivUIOp::create(b, loc, lane, index(4));
  Value t = arith::RemUIOp::create(b, loc, lane, index(4));
  ValueRange at = ld.getIndices();
  Value mine = toF32(arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, at[0], index(cols)), at[1]));
  auto rowOf = [&](Value srcLane) {
    Value src = arith::IndexCastOp::create(b, loc, b.getI32Type(), srcLane);
    return toIndex(emu.shuffle(loc, mine, src, int32_t(gpu::ShuffleMode::IDX)));
  };
  // Elements travel as integers of their width (no bf16 scalar in a host
  // register: see emulateAsyncCopies).
  auto resultType = cast<VectorType>(ld.getRes().getType());
  Type bits = b.getIntegerType(resultType.getElementTypeBitWidth());
  auto element = [&](Value offset) {
    Value row = arith::DivUIOp::create(b, loc, offset, index(cols));
    Value col = arith::RemUIOp::create(b, loc, offset, index(cols));
    Value x =
        memref::LoadOp::create(b, loc, ld.getSrcMemref(), ValueRange{row, col});
    return arith::BitcastOp::create(b, loc, bits, x).getResult();
  };
  auto bitsType = VectorType::get(resultType.getShape(), bits);
  Value result = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(bitsType, b.getZeroAttr(bits)));
  for (int64_t i = 0; i < int64_t(ld.getNumTiles()); ++i)
    for (int64_t j = 0; j < 2; ++j) {
      Value x;
      Value base = index(8 * i);
      if (!ld.getTranspose()) {
        // Row g of matrix i, columns 2t and 2t + 1.
        Value row = rowOf(arith::AddIOp::create(b, loc, base, g));
        Value col = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, t, index(2)), index(j));
        x = element(arith::AddIOp::create(b, loc, row, col));
      } else {
        // Column g of matrix i, rows 2t and 2t + 1.
        Value src = arith::AddIOp::create(
            b, loc, base,
            arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, t, index(2)), index(j)));
        x = element(arith::AddIOp::create(b, loc, rowOf(src), g));
      }
      result =
          vector::InsertOp::create(b, loc, x, result, ArrayRef<int64_t>{i, j});
    }
  ld.replaceAllUsesWith(
      vector::BitCastOp::create(b, loc, resultType, result).getResult());
  ld.erase();
  return success();
}

LogicalResult emulate(func::FuncOp kernel) {
  MLIRContext *context = kernel.getContext();
  OpBuilder b(context);
  Location loc = kernel.getLoc();
  auto sharedType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  auto ptrType = LLVM::LLVMPointerType::get(context);
  unsigned numArgs = kernel.getNumArguments();
  if (failed(kernel.insertArguments({numArgs, numArgs}, {sharedType, ptrType},
                                    {}, {loc, loc})))
    return failure();
  Value shared = kernel.getArgument(numArgs);
  emulateAsyncCopies(kernel);
  Emulation emu(b, kernel.getArgument(numArgs + 1));

  // One fragment buffer for every mma.sync of the thread, at the entry so
  // that loops do not grow the stack.
  b.setInsertionPointToStart(&kernel.getBody().front());
  Value fragment = memref::AllocaOp::create(
      b, loc, MemRefType::get({kEmuMmaFragment}, b.getF32Type()));
  Value fragmentIndex =
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, fragment);
  Value fragmentPtr = LLVM::IntToPtrOp::create(
      b, loc, ptrType,
      arith::IndexCastOp::create(b, loc, b.getI64Type(), fragmentIndex)
          .getResult());

  int64_t offset = 0;
  WalkResult result = kernel.walk([&](Operation *op) -> WalkResult {
    b.setInsertionPoint(op);
    Location opLoc = op->getLoc();
    if (auto tid = dyn_cast<gpu::ThreadIdOp>(op)) {
      if (tid.getDimension() != gpu::Dimension::x)
        return op->emitOpError() << "not supported by the GPU emulator: "
                                    "thread dimensions other than x";
      op->replaceAllUsesWith(ValueRange{emu.indexField(opLoc, kEmuThreadId)});
      op->erase();
    } else if (auto bid = dyn_cast<gpu::BlockIdOp>(op)) {
      if (bid.getDimension() != gpu::Dimension::x)
        return op->emitOpError() << "not supported by the GPU emulator: "
                                    "block dimensions other than x";
      op->replaceAllUsesWith(ValueRange{emu.indexField(opLoc, kEmuBlockId)});
      op->erase();
    } else if (isa<gpu::BarrierOp>(op)) {
      emu.barrier(opLoc);
      op->erase();
    } else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      if (!shuffle.getValue().getType().isF32() ||
          !isConstantIntValue(shuffle.getWidth(), 32))
        return op->emitOpError() << "not supported by the GPU emulator: "
                                    "shuffles other than f32 over a warp";
      Value result = emu.shuffle(opLoc, shuffle.getValue(), shuffle.getOffset(),
                                 int32_t(shuffle.getMode()));
      Value valid = arith::ConstantIntOp::create(b, opLoc, 1, 1);
      op->replaceAllUsesWith(ValueRange{result, valid});
      op->erase();
    } else if (auto ld = dyn_cast<nvgpu::LdMatrixOp>(op)) {
      if (failed(emulateLdMatrix(emu, ld)))
        return WalkResult::interrupt();
    } else if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
      auto shape = mma.getMmaShapeAsArray();
      if (shape != std::array<int64_t, 3>{16, 8, 16} ||
          !mma.getRes().getType().getElementType().isF32())
        return op->emitOpError() << "not supported by the GPU emulator: "
                                    "mma.sync other than m16n8k16 into f32";
      // Every operand element, widened to f32, then the call, then D.
      // bf16 widens on its bits (the high half of an f32): a bf16 scalar
      // live in a host register would be rounded through a libgcc call.
      int64_t at = 0;
      for (Value operand :
           {mma.getMatrixA(), mma.getMatrixB(), mma.getMatrixC()}) {
        auto type = cast<VectorType>(operand.getType());
        bool bf16 = type.getElementType().isBF16();
        if (bf16)
          operand = vector::BitCastOp::create(
              b, opLoc, VectorType::get(type.getShape(), b.getI16Type()),
              operand);
        for (int64_t i = 0; i < type.getDimSize(0); ++i)
          for (int64_t j = 0; j < type.getDimSize(1); ++j) {
            Value x = vector::ExtractOp::create(b, opLoc, operand,
                                                ArrayRef<int64_t>{i, j});
            if (bf16) {
              x = arith::ExtUIOp::create(b, opLoc, b.getI32Type(), x);
              x = arith::ShLIOp::create(
                  b, opLoc, x, arith::ConstantIntOp::create(b, opLoc, 16, 32));
              x = arith::BitcastOp::create(b, opLoc, b.getF32Type(), x);
            } else if (!x.getType().isF32()) {
              x = arith::ExtFOp::create(b, opLoc, b.getF32Type(), x);
            }
            memref::StoreOp::create(
                b, opLoc, x, fragment,
                ValueRange{arith::ConstantIndexOp::create(b, opLoc, at++)});
          }
      }
      emu.mma(opLoc, fragmentPtr);
      Value d = arith::ConstantOp::create(
          b, opLoc,
          DenseElementsAttr::get(mma.getRes().getType(), b.getF32FloatAttr(0)));
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          Value x =
              memref::LoadOp::create(b, opLoc, fragment,
                                     ValueRange{arith::ConstantIndexOp::create(
                                         b, opLoc, 12 + 2 * i + j)});
          d = vector::InsertOp::create(b, opLoc, x, d, ArrayRef<int64_t>{i, j});
        }
      mma.replaceAllUsesWith(d);
      mma.erase();
    } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      MemRefType type = alloc.getType();
      if (!gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(type))
        return WalkResult::advance();
      if (!type.hasStaticShape())
        return op->emitOpError() << "not supported by the GPU emulator: a "
                                    "dynamic shared buffer";
      auto viewType = MemRefType::get(type.getShape(), type.getElementType());
      offset = sharedBufferStart(offset); // as on the GPU
      Value at = arith::ConstantIndexOp::create(b, opLoc, offset);
      Value view =
          memref::ViewOp::create(b, opLoc, viewType, shared, at, ValueRange{});
      offset += type.getNumElements() * type.getElementTypeBitWidth() / 8;
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    } else if (op->getDialect() &&
               (op->getDialect()->getNamespace() == "gpu" ||
                op->getDialect()->getNamespace() == "nvgpu")) {
      return op->emitOpError() << "not supported by the GPU emulator";
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct HydraEmulateGpuPass
    : public mlir::hydra::impl::HydraEmulateGpuBase<HydraEmulateGpuPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(kBlockSizeAttrName) && failed(emulate(func)))
        return signalPassFailure();
  }
};
} // namespace

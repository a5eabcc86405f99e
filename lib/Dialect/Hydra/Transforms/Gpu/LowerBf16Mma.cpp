//===- LowerBf16Mma.cpp - the hydra-lower-bf16-mma pass -------------------===//
//
// nvgpu.mma.sync on bf16 operands as nvvm.mma.sync: upstream's
// nvgpu-to-nvvm lowering handles f16 but not bf16.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRALOWERBF16MMA
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {

/// The m16n8k16 bf16 × bf16 + f32 form hydra's kernels emit.
bool isLowered(nvgpu::MmaSyncOp op) {
  return llvm::equal(op.getMmaShapeAsArray(), ArrayRef<int64_t>{16, 8, 16}) &&
         op.getMatrixB().getType().getElementType().isBF16() &&
         op.getRes().getType().getElementType().isF32() &&
         op.getRes().getType().getShape() == ArrayRef<int64_t>{2, 2};
}

void lower(nvgpu::MmaSyncOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  // Each row of a fragment is a pair of bf16: one i32 register.
  auto packed = [&](Value matrix) {
    SmallVector<Value> registers;
    auto type = cast<VectorType>(matrix.getType());
    for (int64_t i = 0; i < type.getDimSize(0); ++i) {
      Value pair = vector::ExtractOp::create(b, loc, matrix, int64_t(i));
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), pair);
      registers.push_back(vector::ExtractOp::create(b, loc, word, int64_t(0)));
    }
    return registers;
  };
  // Named, so the IR's order does not depend on the C++ compiler's order
  // of evaluating arguments.
  SmallVector<Value> a = packed(op.getMatrixA()), bm = packed(op.getMatrixB());
  SmallVector<Value> c;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 2; ++j)
      c.push_back(vector::ExtractOp::create(b, loc, op.getMatrixC(),
                                            ArrayRef<int64_t>{i, j}));
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  auto mma = NVVM::MmaOp::create(
      b, loc, resultType, a, bm, c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt,
      std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  Value d = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(op.getRes().getType(), b.getF32FloatAttr(0.0f)));
  for (int64_t i = 0; i < 4; ++i)
    d = vector::InsertOp::create(
        b, loc, LLVM::ExtractValueOp::create(b, loc, mma, ArrayRef<int64_t>{i}),
        d, ArrayRef<int64_t>{i / 2, i % 2});
  op.replaceAllUsesWith(d);
  op.erase();
}

struct HydraLowerBf16MmaPass
    : public hydra::impl::HydraLowerBf16MmaBase<HydraLowerBf16MmaPass> {
  void runOnOperation() override {
    SmallVector<nvgpu::MmaSyncOp> ops;
    WalkResult walk = getOperation()->walk([&](nvgpu::MmaSyncOp op) {
      if (!op.getMatrixA().getType().getElementType().isBF16())
        return WalkResult::advance();
      if (!isLowered(op)) {
        op.emitOpError() << "not supported: bf16 mma.sync other than "
                            "m16n8k16 into a 2x2 f32 accumulator";
        return WalkResult::interrupt();
      }
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (nvgpu::MmaSyncOp op : ops)
      lower(op);
  }
};

} // namespace

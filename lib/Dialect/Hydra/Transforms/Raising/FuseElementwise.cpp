//===- FuseElementwise.cpp - the hydra-fuse-elementwise pass --------------===//
//
// Every unfused elementwise op is a kernel that streams its operands
// through memory once more; a fused chain reads each input once and writes
// once. The control keeps fusion from multiplying work: a producer is
// inlined only where the consumer evaluates it once per element.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAFUSEELEMENTWISE
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
bool readsEachElementOnce(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer)
    return false;
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  return map.isPermutation();
}

/// A transpose read by a linalg.generic becomes a permuted read of its
/// source: out[x] = in[y] with y[perm[i]] = x[i], so the consumer's map for
/// the source puts its result i at position perm[i]. No copy is made, and a
/// product whose B is a transposed constant (Gemm with transB, a Linear
/// layer) reads the constant itself, which tile-contractions packs at
/// compile time.
struct FoldTransposeIntoGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<Value> inputs(op.getInputs());
    bool changed = false;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto transpose = operand->get().getDefiningOp<linalg::TransposeOp>();
      if (!transpose)
        continue;
      unsigned index = operand->getOperandNumber();
      AffineMap map = maps[index];
      ArrayRef<int64_t> perm = transpose.getPermutation();
      SmallVector<AffineExpr> results(map.getNumResults());
      for (auto [i, p] : llvm::enumerate(perm))
        results[p] = map.getResult(i);
      maps[index] = AffineMap::get(map.getNumDims(), map.getNumSymbols(),
                                   results, op.getContext());
      inputs[index] = transpose.getInput();
      changed = true;
    }
    if (!changed)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputsMutable().assign(inputs);
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
    return success();
  }
};

struct HydraFuseElementwisePass
    : public hydra::impl::HydraFuseElementwiseBase<HydraFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 readsEachElementOnce);
    patterns.add<FoldTransposeIntoGeneric>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

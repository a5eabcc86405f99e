//===- FuseMerge.cpp - fold the merge into the attention epilogues --------===//
//
// After this pass each part op normalizes its own output rows and writes
// every head at its final index of one shared destination, so the merge
// (a concat in head order plus a normalization) disappears entirely.
//
//===----------------------------------------------------------------------===//

#include "Raising/OutputTensor.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAFUSEMERGE
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// The part op that produces a merge input, if the merge is its only user.
template <typename OpTy> static OpTy fusablePart(Value input) {
  if (!input)
    return nullptr;
  auto part = input.getDefiningOp<OpTy>();
  if (!part || !input.hasOneUse() ||
      cast<OpResult>(input).getResultNumber() != 0)
    return nullptr;
  return part;
}

struct FuseScaleNormMerge : OpRewritePattern<ScaleNormMergeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleNormMergeOp merge,
                                PatternRewriter &rewriter) const override {
    auto full = fusablePart<FullAttentionOp>(merge.getFull());
    auto linear = fusablePart<LinearAttentionOp>(merge.getLinear());
    if ((merge.getFull() && !full) || (merge.getLinear() && !linear))
      return rewriter.notifyMatchFailure(
          merge, "an input is not a single-use hydra part op");

    Location loc = merge.getLoc();
    Value query = full ? full.getQuery() : linear.getQuery();
    Value value = full ? full.getValue() : linear.getValue();
    int64_t numHeads = merge.getHeads().getNumHeads();
    Value dest = createAttentionOutput(rewriter, loc, query, value, numHeads);
    Type destType = dest.getType();

    if (full) {
      dest = FullAttentionOp::create(
                 rewriter, full.getLoc(), TypeRange{destType}, full.getQuery(),
                 full.getKey(), full.getValue(), full.getMask(),
                 merge.getFusionScale(), dest, full.getHeadsAttr(),
                 full.getKvHeadsAttr(), full.getCausalAttr(),
                 full.getEndAlignedAttr(), full.getScaleAttr(),
                 full.getSoftcapAttr(), merge.getFusionEpsilonAttr())
                 .getResult()[0];
    }
    if (linear) {
      SmallVector<Type> types = {destType};
      if (linear.getFinalStateInit())
        types.push_back(linear.getFinalStateInit().getType());
      auto fused = LinearAttentionOp::create(
          rewriter, linear.getLoc(), types, linear.getQuery(), linear.getKey(),
          linear.getValue(), linear.getDecay(), linear.getBeta(),
          linear.getInitialState(), merge.getFusionScale(), dest,
          linear.getFinalStateInit(), linear.getHeadsAttr(),
          linear.getStateHeadsAttr(), linear.getScaleAttr(),
          linear.getUpdateRuleAttr(), merge.getFusionEpsilonAttr());
      dest = fused.getResult()[0];
      // The final state keeps its users.
      if (linear.getFinalStateInit())
        rewriter.replaceAllUsesWith(linear.getResult()[1],
                                    fused.getResult()[1]);
    }
    rewriter.replaceOp(merge, dest);
    if (full)
      rewriter.eraseOp(full);
    if (linear)
      rewriter.eraseOp(linear);
    return success();
  }
};

struct HydraFuseMergePass
    : public hydra::impl::HydraFuseMergeBase<HydraFuseMergePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseScaleNormMerge>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

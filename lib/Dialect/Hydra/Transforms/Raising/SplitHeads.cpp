//===- SplitHeads.cpp - hybrid attention → full + linear + merge ----------===//
//
// The head map decides which query heads each part computes. The parts
// write their heads compacted into fresh tensors here; hydra-fuse-merge
// later points them at one shared destination.
//
//===----------------------------------------------------------------------===//

#include "Raising/OutputTensor.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRASPLITHEADS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct SplitHybridAttention : OpRewritePattern<HybridAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HybridAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    HeadMapAttr heads = op.getHeads();
    SmallVector<int64_t> fullHeads = heads.getFullHeads();
    SmallVector<int64_t> linearHeads = heads.getLinearHeads();
    FloatAttr epsilon = op.getFusionEpsilonAttr();

    int64_t group = heads.getNumHeads() /
                    cast<ShapedType>(op.getKey().getType()).getDimSize(1);
    // Entry i: the position of the i-th head's kv head in `kvHeads` (the
    // caches and states hold only the kv heads of one kind).
    auto positions = [&](ArrayRef<int64_t> listed, ArrayRef<int64_t> kvHeads) {
      SmallVector<int64_t> at;
      for (int64_t h : listed)
        at.push_back(llvm::find(kvHeads, h / group) - kvHeads.begin());
      return rewriter.getDenseI64ArrayAttr(at);
    };

    Value full, linear;
    if (!fullHeads.empty()) {
      Value init = createAttentionOutput(rewriter, loc, op.getQuery(),
                                         op.getValue(), fullHeads.size());
      // With caches the F heads attend them, whose last key is the last
      // query's own.
      bool cached = bool(op.getFullKey());
      full = FullAttentionOp::create(
                 rewriter, loc, TypeRange{init.getType()}, op.getQuery(),
                 cached ? op.getFullKey() : op.getKey(),
                 cached ? op.getFullValue() : op.getValue(), op.getMask(),
                 /*fusion_scale=*/Value(), init,
                 rewriter.getDenseI64ArrayAttr(fullHeads),
                 cached ? positions(fullHeads, op.getKvHeadsOf(true))
                        : DenseI64ArrayAttr(),
                 op.getCausalAttr(),
                 cached && op.getCausal() ? rewriter.getUnitAttr() : UnitAttr(),
                 rewriter.getF32FloatAttr(op.getEffectiveScale()),
                 op.getSoftcapAttr(), epsilon)
                 .getResult()[0];
    }
    Value finalState;
    if (!linearHeads.empty()) {
      Value init = createAttentionOutput(rewriter, loc, op.getQuery(),
                                         op.getValue(), linearHeads.size());
      Value stateInit;
      SmallVector<Type> types = {init.getType()};
      if (op.getFinalState()) {
        stateInit = createStateOutput(
            rewriter, loc, op.getFinalState().getType(), op.getQuery());
        types.push_back(stateInit.getType());
      }
      // The states hold only the kv heads L heads read: numbered apart
      // from the kv heads when some kv head has none.
      SmallVector<int64_t> linearKv = op.getKvHeadsOf(false);
      bool renumber = (op.getInitialState() || stateInit) &&
                      int64_t(linearKv.size()) * group != heads.getNumHeads();
      auto part = LinearAttentionOp::create(
          rewriter, loc, types, op.getQuery(), op.getKey(), op.getValue(),
          op.getDecay(), op.getBeta(), op.getInitialState(),
          /*fusion_scale=*/Value(), init, stateInit,
          rewriter.getDenseI64ArrayAttr(linearHeads),
          renumber ? positions(linearHeads, linearKv) : DenseI64ArrayAttr(),
          rewriter.getF32FloatAttr(op.getEffectiveLinearScale()),
          op.getUpdateRuleAttr(), epsilon);
      linear = part.getResult()[0];
      if (stateInit)
        finalState = part.getResult()[1];
    }

    // One kind and no fusion scale: the single part already holds every
    // head in order, so there is nothing to merge.
    bool singleKind = !full || !linear;
    Value result = full ? full : linear;
    if (!singleKind || op.getFusionScale())
      result = ScaleNormMergeOp::create(rewriter, loc, op.getResult().getType(),
                                        full, linear, op.getFusionScale(),
                                        heads, epsilon);
    SmallVector<Value> replacements = {result};
    if (finalState)
      replacements.push_back(finalState);
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

struct HydraSplitHeadsPass
    : public hydra::impl::HydraSplitHeadsBase<HydraSplitHeadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitHybridAttention>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

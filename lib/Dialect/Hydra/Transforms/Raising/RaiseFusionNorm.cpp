//===- RaiseFusionNorm.cpp - RMS norm and scale into the hybrid op --------===//
//
// The scale-normalized fusion of a hybrid layer, spelled in standard ops, is
// RMSNormalization over each head row of the attention output and a Mul by
// a per-head scale γ [Hq, 1, Dv]. This pattern folds hydra.rms_norm (axis:
// the last) of a hydra.hybrid_attention result, and the Mul after it if
// there is one, into the op's fusion_scale and fusion_epsilon. The norm may
// also be taken after the transpose back to [B, S, H, Dv] (γ then [H, Dv]).
//
//===----------------------------------------------------------------------===//

#include "Raising/LinalgMatchers.h"
#include "Raising/RaisePatterns.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// If `v` is an elementwise product `x · y` that reads `x` whole: y and the
/// map it is read with.
std::optional<std::pair<Value, AffineMap>> otherFactor(Value v, Value x) {
  auto e = matchElementwise(v);
  if (!e || !isa<arith::MulFOp>(e->scalar) || v.getType() != x.getType())
    return std::nullopt;
  for (int i = 0; i < 2; ++i)
    if (e->operands[i] == x && e->maps[i].isIdentity())
      return std::make_pair(e->operands[1 - i], e->maps[1 - i]);
  return std::nullopt;
}

/// The map from (h, d) to an operand indexed by `map` over the normalized
/// tensor, whose head dim is `headDim` (1 for [B, H, S, Dv], 2 for
/// [B, S, H, Dv]), if the operand does not vary with the batch or the
/// sequence.
std::optional<AffineMap> perHeadMap(AffineMap map, int64_t headDim,
                                    MLIRContext *ctx) {
  int64_t seqDim = 3 - headDim;
  if (map.getNumDims() != 4 || map.isFunctionOfDim(0) ||
      map.isFunctionOfDim(seqDim))
    return std::nullopt;
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  SmallVector<AffineExpr> dims(4, zero);
  dims[headDim] = getAffineDimExpr(0, ctx);
  dims[3] = getAffineDimExpr(1, ctx);
  return map.replaceDimsAndSymbols(dims, {}, 2, 0);
}

/// The hybrid op whose result `x` is, directly ([B, H, S, Dv], head dim 1)
/// or through the transpose to [B, S, H, Dv] (head dim 2) that exporters
/// write before normalizing; each link its producer's only use.
std::pair<HybridAttentionOp, int64_t> normalizedHybrid(Value x) {
  if (auto t = x.getDefiningOp<linalg::TransposeOp>()) {
    auto hybrid = t.getInput().getDefiningOp<HybridAttentionOp>();
    if (hybrid && t.hasPureTensorSemantics() &&
        t.getPermutation() == ArrayRef<int64_t>{0, 2, 1, 3} &&
        hybrid.getResult().hasOneUse() && t->getResult(0).hasOneUse())
      return {hybrid, 2};
    return {HybridAttentionOp(), 0};
  }
  auto hybrid = x.getDefiningOp<HybridAttentionOp>();
  if (hybrid && hybrid.getResult().hasOneUse())
    return {hybrid, 1};
  return {HybridAttentionOp(), 0};
}

/// The map from (h, d) to the norm's own scale: it may vary along Dv only.
std::optional<AffineMap> normScaleMap(ShapedType scale, int64_t dv,
                                      MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < scale.getRank(); ++i) {
    bool last = i == scale.getRank() - 1;
    int64_t size = scale.getDimSize(i);
    if (last && size == dv)
      exprs.push_back(getAffineDimExpr(1, ctx));
    else if (size == 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      return std::nullopt;
  }
  return AffineMap::get(2, 0, exprs, ctx);
}

struct RaiseFusionNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp norm,
                                PatternRewriter &rewriter) const override {
    auto [hybrid, headDim] = normalizedHybrid(norm.getInput());
    if (!hybrid || hybrid.getFusionScale() || norm.getAxis() != 3)
      return rewriter.notifyMatchFailure(norm, "not a hybrid op's rows");
    auto type = cast<RankedTensorType>(norm.getType());
    int64_t hq = type.getDimSize(headDim), dv = type.getDimSize(3);
    MLIRContext *ctx = getContext();
    auto scaleMap =
        normScaleMap(cast<ShapedType>(norm.getScale().getType()), dv, ctx);
    if (!scaleMap || ShapedType::isDynamic(hq) || ShapedType::isDynamic(dv))
      return rewriter.notifyMatchFailure(norm, "scale varies beyond Dv");

    // The factors of γ(h, d): the norm's scale, and the per-head scale of
    // a Mul right after it.
    SmallVector<Value> factors = {norm.getScale()};
    SmallVector<AffineMap> maps = {*scaleMap};
    Operation *last = norm;
    if (norm->hasOneUse()) {
      Operation *user = *norm->user_begin();
      if (user->getNumResults() == 1)
        if (auto gamma = otherFactor(user->getResult(0), norm.getResult()))
          if (auto m = perHeadMap(gamma->second, headDim, ctx)) {
            factors.push_back(gamma->first);
            maps.push_back(*m);
            last = user;
          }
    }

    Location loc = norm.getLoc();
    rewriter.setInsertionPoint(last);
    Type elt = type.getElementType();
    Value init = tensor::EmptyOp::create(rewriter, loc, {hq, dv}, elt);
    maps.push_back(rewriter.getMultiDimIdentityMap(2));
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);
    Value gamma = linalg::GenericOp::create(
                      rewriter, loc, init.getType(), factors, ValueRange{init},
                      maps, iterators,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value p = args[0];
                        for (Value f : args.drop_front().drop_back())
                          p = arith::MulFOp::create(b, l, p, f);
                        linalg::YieldOp::create(b, l, p);
                      })
                      .getResult(0);
    auto fused = cast<HybridAttentionOp>(rewriter.clone(*hybrid));
    fused.getFusionScaleMutable().assign(gamma);
    fused.setFusionEpsilon(norm.getEpsilon());
    // The fusion leaves the linear states as they are: their users (a
    // decode step's present_state) take the fused op's.
    if (Value state = hybrid.getFinalState())
      rewriter.replaceAllUsesWith(state, fused.getFinalState());
    Value result = fused.getResult();
    if (headDim == 2) { // back to the layout the norm was taken in
      auto t = norm.getInput().getDefiningOp<linalg::TransposeOp>();
      result = linalg::TransposeOp::create(rewriter, loc, result, t.getInit(),
                                           t.getPermutation())
                   .getResult()[0];
    }
    rewriter.replaceOp(last, result);
    return success();
  }
};
} // namespace

void mlir::hydra::populateRaiseFusionNormPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseFusionNorm>(patterns.getContext());
}

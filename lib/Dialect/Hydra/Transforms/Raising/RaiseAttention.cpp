//===- RaiseAttention.cpp - decomposed softmax attention → hydra ----------===//
//
// softmax(mask + softcap(scale · Q·Kᵀ)) · V written in MatMul, Mul/Div,
// Tanh, Add/Where and Softmax (ONNX's own Attention function body, and
// what exporters write for scaled-dot-product attention) becomes one
// hydra.hybrid_attention with every head full. Recognized around the
// products: scalar factors on Q, on Kᵀ or on the scores; K given as a
// transpose of [B, H, T, D] (directly or through the 3D head split); kv
// heads repeated for GQA (Reshape + Expand + Reshape); a float mask
// broadcast over the scores, the causal mask as a constant (which becomes
// `causal`), and Where(bool, 0, -inf) masks (which become i1 masks). Full
// attention over repeated kv heads (Attention-23 after torch's
// repeat_interleave) reads the kv heads themselves. torch's opset-18 guard
// Where(IsNaN(p), 0, p) on the weights is looked through where no row can
// be all masked.
//
//===----------------------------------------------------------------------===//

#include "Raising/ElementValues.h"
#include "Raising/HeadTracing.h"
#include "Raising/LinalgMatchers.h"

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRARAISEATTENTION
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

/// Peels elementwise products and quotients by scalar constants off `v`,
/// folding them into `scale`.
Value stripScalarFactors(Value v, double &scale) {
  while (auto e = matchElementwise(v)) {
    if (e->operands.size() != 2 || !e->maps[0].isIdentity())
      break;
    std::optional<double> c = splatValue(e->operands[1]);
    if (isa<arith::MulFOp>(e->scalar) && !c && e->maps[1].isIdentity()) {
      // The constant may come first in a product.
      c = splatValue(e->operands[0]);
      if (!c)
        break;
      scale *= *c;
      v = e->operands[1];
      continue;
    }
    if (!c || !isa<arith::MulFOp, arith::DivFOp>(e->scalar))
      break;
    scale = isa<arith::MulFOp>(e->scalar) ? scale * *c : scale / *c;
    v = e->operands[0];
  }
  return v;
}

/// x of `c · tanh(a · x / c)`, with c in `cap` and a (a factor exporters
/// apply inside the tanh: Gemma 2 scales the scores before capping them)
/// multiplied into `scale`.
std::optional<Value> stripSoftcap(Value v, double &cap, double &scale) {
  auto outer = matchElementwise(v);
  if (!outer || !isa<arith::MulFOp>(outer->scalar) ||
      !outer->maps[0].isIdentity())
    return std::nullopt;
  std::optional<double> c = splatValue(outer->operands[1]);
  auto tanh = matchElementwise(outer->operands[0]);
  if (!c || *c <= 0 || !tanh || !isa<math::TanhOp>(tanh->scalar) ||
      !tanh->maps[0].isIdentity())
    return std::nullopt;
  double inner = 1.0;
  Value x = stripScalarFactors(tanh->operands[0], inner);
  if (!(inner > 0) || !std::isfinite(inner))
    return std::nullopt;
  cap = *c;
  scale *= inner * *c;
  return x;
}

/// Whether `v` is the causal mask for [S, T] scores as a constant: 0 where
/// key j <= query i, -inf after.
bool isCausalConstant(Value v, int64_t s, int64_t t) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  ArrayRef<int64_t> shape = attr.getType().getShape();
  if (shape.size() < 2 || shape.take_back(2) != ArrayRef<int64_t>{s, t} ||
      attr.getNumElements() != s * t)
    return false;
  int64_t n = 0;
  for (APFloat f : attr.getValues<APFloat>()) {
    int64_t i = n / t, j = n % t;
    ++n;
    if (j <= i ? !f.isZero() : !(f.isInfinity() && f.isNegative()))
      return false;
  }
  return true;
}

/// The bool mask and the dropped value of a float mask Where(bool, 0, c)
/// (c scalar), if `mask` is one.
std::optional<std::pair<Value, double>> whereMask(Value mask) {
  auto e = matchElementwise(mask);
  if (!e || !isa<arith::SelectOp>(e->scalar) || e->operands.size() != 3 ||
      !e->maps[0].isIdentity())
    return std::nullopt;
  std::optional<double> keep = splatValue(e->operands[1]),
                        drop = splatValue(e->operands[2]);
  if (!keep || !drop || *keep != 0.0)
    return std::nullopt;
  return std::make_pair(e->operands[0], *drop);
}

/// Whether the float mask is Where(bool, 0, c) with c finite: no row of
/// scores it masks becomes all −inf (torch writes the lowest float).
bool isFiniteWhereMask(Value mask) {
  auto where = whereMask(mask);
  return where && std::isfinite(where->second);
}

/// The mask operand and causality of `mask`, added to [.., S, T] scores.
std::pair<Value, bool> simplifyMask(Value mask, int64_t s, int64_t t) {
  if (std::optional<double> c = splatValue(mask); c && *c == 0.0)
    return {Value(), false};
  if (isCausalConstant(mask, s, t))
    return {Value(), true};
  // Where(bool, 0, -inf): the bool mask itself.
  if (auto where = whereMask(mask);
      where && std::isinf(where->second) && where->second < 0)
    return {where->first, false};
  auto e = matchElementwise(mask);
  if (!e)
    return {mask, false};
  // A mask plus the causal mask that does not widen it.
  if (isa<arith::AddFOp>(e->scalar))
    for (int i = 0; i < 2; ++i)
      if (e->maps[i].isIdentity() && isCausalConstant(e->operands[1 - i], s, t))
        return {e->operands[i], true};
  return {mask, false};
}

/// The index a mask of `shape` is read at for scores [B, H, S, T] (d0 …
/// d3), broadcast by numpy's rule.
SmallVector<AffineExpr> maskIndex(ArrayRef<int64_t> shape, MLIRContext *ctx) {
  SmallVector<AffineExpr> index;
  int64_t rank = shape.size();
  for (int64_t i = 0; i < rank; ++i)
    index.push_back(shape[i] == 1 ? getAffineConstantExpr(0, ctx)
                                  : getAffineDimExpr(4 - rank + i, ctx));
  return index;
}

/// Which scores a mask built at run time keeps, read at `index` over
/// scores of `frame`, if the analysis can say: a bool mask, or a float one
/// that adds 0 or a value so low (−∞, or torch's lowest float) that no
/// kept score can lift a dropped one above underflow.
std::optional<Predicate> maskPredicate(ElementValues &values, Value mask,
                                       ArrayRef<AffineExpr> index,
                                       const Frame &frame) {
  std::optional<Predicate> pred =
      values.keptAt(mask, index, frame, /*dropAtMost=*/-1e30);
  if (!pred || pred->never)
    return std::nullopt;
  return pred;
}

/// Whether no row of scores `x` loses every key to `mask` (read through
/// `map`): key 0 is kept for every query, as the causal mask and a causal
/// mask after a past keep it.
bool keepsFirstKey(Value mask, AffineMap map, Value x, Operation *scope) {
  MLIRContext *ctx = x.getContext();
  ElementValues values(scope);
  Frame frame;
  for (int64_t i = 0; i < 4; ++i)
    frame.sizes.push_back(values.dimSize(x, i));
  std::optional<Predicate> pred = maskPredicate(
      values, mask, SmallVector<AffineExpr>(map.getResults()), frame);
  return pred &&
         values.implies(frame, {Atom{getAffineDimExpr(3, ctx), true}}, *pred);
}

/// p of Where(IsNaN(p), 0, p): torch's opset-18 SDPA zeroes the weights of
/// a row whose keys are all masked (a softmax of −inf only). `v` if not.
Value stripNaNGuard(Value v) {
  auto where = matchElementwise(v);
  if (!where || !isa<arith::SelectOp>(where->scalar) ||
      where->operands.size() != 3 || !where->maps[0].isIdentity() ||
      !where->maps[2].isIdentity())
    return v;
  std::optional<double> zero = splatValue(where->operands[1]);
  Value p = where->operands[2];
  auto isNaN = matchElementwise(where->operands[0]);
  // cmpf uno p, p: both scalar operands read p, through identity maps.
  if (!zero || *zero != 0.0 || !isNaN ||
      !llvm::all_of(isNaN->operands, [&](Value x) { return x == p; }) ||
      !llvm::all_of(isNaN->maps, [](AffineMap m) { return m.isIdentity(); }))
    return v;
  auto cmp = dyn_cast<arith::CmpFOp>(isNaN->scalar);
  if (!cmp || cmp.getPredicate() != arith::CmpFPredicate::UNO ||
      cmp.getLhs() != cmp.getRhs())
    return v;
  return p;
}

/// x of Reshape(Expand(Reshape(x))) repeating each kv head for its group
/// of query heads: [B, Hkv, T, D] → [B, Hkv, g, T, D] → [B, Hkv·g, T, D].
/// x [B, Hkv, T, D] of the broadcast [B, Hkv, g, T, D] that repeats it, if
/// `v` is one.
std::optional<Value> repeatSource(Value v) {
  auto bcast = v.getDefiningOp<linalg::GenericOp>();
  if (!bcast || bcast.getNumDpsInputs() != 1 ||
      bcast.getNumParallelLoops() != bcast.getNumLoops())
    return std::nullopt;
  Block &body = bcast.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  MLIRContext *ctx = bcast.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap repeat = AffineMap::get(
      5, 0, {d(0), d(1), getAffineConstantExpr(0, ctx), d(3), d(4)}, ctx);
  if (yield.getValues().size() != 1 ||
      yield.getValues()[0] != body.getArgument(0) ||
      bcast.getIndexingMapsArray()[0] != repeat ||
      !bcast.getIndexingMapsArray()[1].isIdentity())
    return std::nullopt;
  auto expand =
      bcast.getDpsInputOperand(0)->get().getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getReassociationIndices() !=
                     SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}})
    return std::nullopt;
  return expand.getSrc();
}

Value unrepeatHeads(Value v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getReassociationIndices() !=
                       SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}})
    return v;
  return repeatSource(collapse.getSrc()).value_or(v);
}

/// K [B, Hkv, T, D] of torch's opset-18 Kᵀ under GQA: repeated to
/// [B, Hkv, g, T, D], merged to [B·Hkv·g, T, D], transposed and split back
/// to [B, Hkv·g, D, T] (the canonicalizer folds the repeat's collapse into
/// the merge).
std::optional<Value> repeatedMergedKey(Value kt) {
  auto expand = kt.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getReassociationIndices() !=
                     SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}})
    return std::nullopt;
  auto t = expand.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!t || !t.hasPureTensorSemantics() ||
      !llvm::equal(t.getPermutation(), ArrayRef<int64_t>{0, 2, 1}))
    return std::nullopt;
  auto collapse = t.getInput().getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getReassociationIndices() !=
                       SmallVector<ReassociationIndices>{{0, 1, 2}, {3}, {4}})
    return std::nullopt;
  std::optional<Value> x = repeatSource(collapse.getSrc());
  ArrayRef<int64_t> rep = shapeOf(collapse.getSrc());
  // The split's head count is the repeat's Hkv·g: the batch agrees too.
  if (!x || ShapedType::isDynamic(rep[1]) || ShapedType::isDynamic(rep[2]) ||
      shapeOf(kt)[1] != rep[1] * rep[2])
    return std::nullopt;
  return x;
}

/// K ([B, H, T, D]) from the Kᵀ operand of the score product, as a
/// transpose of a root (built only once the whole pattern matched).
std::optional<TracedOperand> keyFromTransposed(Value kt) {
  TracedOperand k;
  if (std::optional<Value> x = repeatedMergedKey(kt)) {
    k.root = *x;
    k.perm = {0, 1, 2, 3};
    return k;
  }
  k.root = peelTransposes(kt, k.perm);
  if (k.perm.size() != 4)
    return std::nullopt;
  std::swap(k.perm[2], k.perm[3]);
  if (llvm::equal(k.perm, ArrayRef<int64_t>{0, 1, 2, 3}))
    k.root = unrepeatHeads(k.root);
  return k;
}

struct RaiseDecomposedAttention : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    auto pv = matchBatchMatmul(op->getResult(0));
    if (!pv)
      return failure();
    Value weights = stripNaNGuard(pv->first);
    bool guarded = weights != pv->first;
    auto softmax = weights.getDefiningOp<linalg::SoftmaxOp>();
    if (!softmax || softmax.getDimension() != 3 ||
        !softmax.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not a product of a softmax");
    Value x = softmax.getInput();
    int64_t s = shapeOf(x)[2], t = shapeOf(x)[3];

    Value mask;
    AffineMap maskMap;
    bool causal = false;
    if (auto add = matchElementwise(x);
        add && isa<arith::AddFOp>(add->scalar)) {
      for (int i = 0; i < 2; ++i)
        if (add->maps[i].isIdentity() &&
            isNumpyBroadcast(add->maps[1 - i], shapeOf(add->operands[1 - i]))) {
          std::tie(mask, causal) = simplifyMask(add->operands[1 - i], s, t);
          maskMap = add->maps[1 - i];
          x = add->operands[i];
          break;
        }
    }
    // hydra's softmax of an all-masked row is NaN (ONNX's), the guard's 0:
    // raised only where no row can be all −inf (no mask, the causal one,
    // or a finite float mask).
    if (guarded && mask &&
        !(isa<FloatType>(getElementTypeOrSelf(mask)) &&
          isFiniteWhereMask(mask)) &&
        !keepsFirstKey(mask, maskMap, x, op))
      return rewriter.notifyMatchFailure(op, "a guarded softmax whose mask "
                                             "may mask whole rows");
    double cap = 0.0, scale = 1.0;
    if (auto inner = stripSoftcap(x, cap, scale))
      x = *inner;
    x = stripScalarFactors(x, scale);
    auto qk = matchBatchMatmul(x);
    if (!qk)
      return rewriter.notifyMatchFailure(op, "scores are not Q·Kᵀ");
    Value q = stripScalarFactors(qk->first, scale);
    Value kt = stripScalarFactors(qk->second, scale);
    std::optional<TracedOperand> k = keyFromTransposed(kt);
    Value v = unrepeatHeads(pv->second);
    if (!k || shapeOf(q).size() != 4 || shapeOf(v).size() != 4)
      return rewriter.notifyMatchFailure(op, "not rank 4");
    int64_t hq = shapeOf(q)[1], hkv = shapeOf(k->root)[k->perm[1]];
    if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) ||
        hq % hkv != 0 || shapeOf(v)[1] != hkv)
      return rewriter.notifyMatchFailure(op, "head counts do not divide");
    Location loc = op.getLoc();
    auto raised = HybridAttentionOp::create(
        rewriter, loc, op->getResult(0).getType(), Type(), q,
        rebuildOperand(rewriter, loc, *k), v,
        /*fusion_scale=*/Value(), /*decay=*/Value(), /*beta=*/Value(), mask,
        /*initial_state=*/Value(), /*full_key=*/Value(),
        /*full_value=*/Value(),
        HeadMapAttr::get(getContext(), std::string(hq, 'F')),
        causal ? rewriter.getUnitAttr() : UnitAttr(),
        rewriter.getF32FloatAttr(scale),
        cap > 0 ? rewriter.getF32FloatAttr(cap) : FloatAttr(), FloatAttr(),
        UpdateRuleAttr::get(getContext(), UpdateRule::Linear),
        rewriter.getF32FloatAttr(1e-6f));
    rewriter.replaceOp(op, raised.getResult());
    return success();
  }
};

/// hydra.hybrid_attention with every head full whose key and value repeat
/// each kv head for its group of query heads (torch's repeat_interleave
/// before SDPA or Attention-23): the op reads the kv heads themselves
/// (GQA), so the repeated copies are never built.
struct UnrepeatKeyValueHeads : OpRewritePattern<HybridAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HybridAttentionOp op,
                                PatternRewriter &rewriter) const override {
    // Decay, beta and states are per kv head: only all-F ops.
    if (!op.getHeads().getLinearHeads().empty() || op.getDecay() ||
        op.getBeta() || op.getInitialState() || op.getFinalState())
      return rewriter.notifyMatchFailure(op, "has linear heads");
    if (op.getFullKey())
      return rewriter.notifyMatchFailure(op, "the heads attend caches");
    Value k = unrepeatHeads(op.getKey()), v = unrepeatHeads(op.getValue());
    if (k == op.getKey() || v == op.getValue() ||
        shapeOf(k)[1] != shapeOf(v)[1])
      return rewriter.notifyMatchFailure(op, "key and value not repeated");
    rewriter.modifyOpInPlace(op, [&] {
      op.getKeyMutable().assign(k);
      op.getValueMutable().assign(v);
    });
    return success();
  }
};

/// A mask that keeps exactly the keys j ≤ i (transformers builds its causal
/// mask at run time from positions, also without padding) becomes `causal`;
/// one that `causal` already implies, or that keeps every key, disappears.
struct CausalMaskFromValues : OpRewritePattern<HybridAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HybridAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask)
      return rewriter.notifyMatchFailure(op, "no mask");
    // Against caches the diagonal is end-aligned, not the j ≤ i below.
    if (op.getFullKey())
      return rewriter.notifyMatchFailure(op, "the heads attend caches");
    MLIRContext *ctx = getContext();
    ElementValues values(op);
    Frame frame{
        {values.dimSize(op.getQuery(), 0), values.dimSize(op.getQuery(), 1),
         values.dimSize(op.getQuery(), 2), values.dimSize(op.getKey(), 2)}};
    std::optional<Predicate> pred =
        maskPredicate(values, mask, maskIndex(shapeOf(mask), ctx), frame);
    if (!pred)
      return rewriter.notifyMatchFailure(op, "mask not understood");
    // A mask that keeps every score does nothing.
    if (pred->isTrue()) {
      rewriter.modifyOpInPlace(op, [&] { op.getMaskMutable().clear(); });
      return success();
    }
    Atom causal{getAffineDimExpr(2, ctx) - getAffineDimExpr(3, ctx)};
    // Every causal score is kept, and (unless the op is causal already) no
    // other.
    if (!values.implies(frame, {causal}, *pred) ||
        (!op.getCausal() && !values.implies(frame, pred->atoms, causal)))
      return rewriter.notifyMatchFailure(op, "mask is not the causal one");
    rewriter.modifyOpInPlace(op, [&] {
      op.getMaskMutable().clear();
      op.setCausal(true);
    });
    return success();
  }
};

struct HydraRaiseAttentionPass
    : public hydra::impl::HydraRaiseAttentionBase<HydraRaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseDecomposedAttention, UnrepeatKeyValueHeads,
                 CausalMaskFromValues>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

//===- RaiseHybridGroups.cpp - head groups back into one hybrid op --------===//
//
// An exporter without the custom op writes a hybrid layer as one attention
// op per group of heads: the F heads gathered into Attention, the L heads
// into LinearAttention, the outputs concatenated and gathered back into
// head order. After import each group is a hydra.hybrid_attention of one
// kind and the gathers are slices and concats. This pattern finds a concat
// whose heads are, in order, the outputs of such ops for query heads
// 0..Hq-1 of one query tensor, and replaces it by one
// hydra.hybrid_attention over the whole tensors.
//
//===----------------------------------------------------------------------===//

#include "Raising/HeadTracing.h"
#include "Raising/RaisePatterns.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::hydra;

namespace {
int64_t dimSize(Value v, int64_t d) {
  return cast<ShapedType>(v.getType()).getDimSize(d);
}

/// Head count of the whole operand a trace was cut from.
int64_t rootHeads(const TracedOperand &t) { return dimSize(t.root, t.perm[1]); }

/// One group op's operands, traced to their roots.
struct GroupTrace {
  mutable HybridAttentionOp op; // a handle: its accessors are not const
  TracedOperand q, k, v;
  std::optional<TracedOperand> decay, beta;
  int64_t queriesPerKv;
};

bool sameRoot(const TracedOperand &a, const TracedOperand &b) {
  return a.root == b.root && a.perm == b.perm;
}

/// Whether a mask reads the same values for every head (its head dim,
/// right-aligned against [B, H, S, T], is absent or 1).
bool maskIgnoresHeads(Value mask) {
  auto t = cast<ShapedType>(mask.getType());
  return t.getRank() < 3 || t.getDimSize(t.getRank() - 3) == 1;
}

FailureOr<GroupTrace> traceGroup(HybridAttentionOp op) {
  if (op.getFusionScale())
    return failure();
  GroupTrace g;
  g.op = op;
  auto q = traceOperand(op.getQuery(), 1), k = traceOperand(op.getKey(), 1),
       v = traceOperand(op.getValue(), 1);
  if (!q || !k || !v)
    return failure();
  g.q = *q;
  g.k = *k;
  g.v = *v;
  g.queriesPerKv = dimSize(op.getQuery(), 1) / dimSize(op.getKey(), 1);
  if (Value decay = op.getDecay()) {
    g.decay = traceOperand(decay, 1);
    if (!g.decay)
      return failure();
  }
  if (Value beta = op.getBeta(); beta && dimSize(beta, 1) != 1) {
    g.beta = traceOperand(beta, 1);
    if (!g.beta)
      return failure();
  }
  return g;
}

/// Whether two optional per-kv-head operands trace alike.
bool sameOptional(const std::optional<TracedOperand> &a,
                  const std::optional<TracedOperand> &b) {
  return a.has_value() == b.has_value() && (!a || sameRoot(*a, *b));
}

struct RaiseHybridGroups : OpRewritePattern<tensor::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ConcatOp concat,
                                PatternRewriter &rewriter) const override {
    auto type = concat.getResultType();
    if (type.getRank() != 4 || concat.getDim() != 1)
      return failure();
    auto sources = traceHeads(concat.getResult(), 1);
    if (!sources)
      return failure();
    int64_t numHeads = sources->size();

    // Which group op, and which of its heads, each output head is.
    SmallVector<GroupTrace, 2> groups;
    SmallVector<std::pair<size_t, int64_t>> from;
    for (const HeadSource &s : *sources) {
      auto result = dyn_cast<OpResult>(s.root);
      auto op = s.root.getDefiningOp<HybridAttentionOp>();
      if (!op || result.getResultNumber() != 0)
        return rewriter.notifyMatchFailure(concat, "not a hybrid op's heads");
      auto it = llvm::find_if(groups,
                              [&](const GroupTrace &g) { return g.op == op; });
      if (it == groups.end()) {
        auto g = traceGroup(op);
        if (failed(g))
          return rewriter.notifyMatchFailure(concat, "untraceable group");
        groups.push_back(*g);
        it = std::prev(groups.end());
      }
      from.push_back({size_t(it - groups.begin()), s.head});
    }

    // One query, key and value tensor for all groups.
    const GroupTrace &first = groups.front();
    for (const GroupTrace &g : groups)
      if (!sameRoot(g.q, first.q) || !sameRoot(g.k, first.k) ||
          !sameRoot(g.v, first.v))
        return rewriter.notifyMatchFailure(concat, "groups of other tensors");
    int64_t hkv = rootHeads(first.k);
    if (rootHeads(first.q) != numHeads || rootHeads(first.v) != hkv ||
        hkv == 0 || numHeads % hkv != 0)
      return rewriter.notifyMatchFailure(concat, "head counts do not add up");
    int64_t perKv = numHeads / hkv;

    // Output head h must be query head h and read kv head h / perKv, and so
    // must its decay and beta rows.
    std::string kinds;
    const GroupTrace *full = nullptr, *linear = nullptr;
    for (int64_t h = 0; h < numHeads; ++h) {
      const GroupTrace &g = groups[from[h].first];
      int64_t pos = from[h].second, kvPos = pos / g.queriesPerKv;
      bool isFull = g.op.getHeads().isFull(pos);
      kinds.push_back(isFull ? 'F' : 'L');
      if (g.q.heads[pos] != h || g.k.heads[kvPos] != h / perKv ||
          g.v.heads[kvPos] != h / perKv)
        return rewriter.notifyMatchFailure(concat, "heads out of place");
      if (!isFull && ((g.decay && g.decay->heads[kvPos] != h / perKv) ||
                      (g.beta && g.beta->heads[kvPos] != h / perKv)))
        return rewriter.notifyMatchFailure(concat, "decay/beta out of place");
      const GroupTrace *&kind = isFull ? full : linear;
      if (!kind)
        kind = &g;
      else if (failed(agree(*kind, g, isFull)))
        return rewriter.notifyMatchFailure(concat, "groups disagree");
    }
    if (full && full->op.getMask() && !maskIgnoresHeads(full->op.getMask()))
      return rewriter.notifyMatchFailure(concat, "mask differs per head");

    // A decode step's spelling carries caches: each F group's keys and
    // values past ‖ new over its kv heads, each L group's states. In group
    // order they must be the merged op's caches, in kv-head order.
    SmallVector<const GroupTrace *> fullGroups, linearGroups;
    for (auto [g, head] : from) {
      const GroupTrace *t = &groups[g];
      bool isFull = t->op.getHeads().isFull(head);
      auto &list = isFull ? fullGroups : linearGroups;
      if (!llvm::is_contained(list, t))
        list.push_back(t);
    }
    HeadMapAttr headMap = HeadMapAttr::get(getContext(), kinds);
    auto kvHeadsOf = [&](char kind) { return headMap.getKvHeads(kind, hkv); };
    auto inOrder = [&](ArrayRef<const GroupTrace *> list, char kind) {
      SmallVector<int64_t> heads;
      for (const GroupTrace *g : list)
        heads.append(g->k.heads.begin(), g->k.heads.end());
      return heads == kvHeadsOf(kind);
    };
    auto allOrNone = [](ArrayRef<const GroupTrace *> list, auto has) {
      return llvm::any_of(list, has) == llvm::all_of(list, has);
    };
    auto hasKeys = [](const GroupTrace *g) { return bool(g->op.getFullKey()); };
    auto hasPast = [](const GroupTrace *g) {
      return bool(g->op.getInitialState());
    };
    auto hasFinal = [](const GroupTrace *g) {
      return bool(g->op.getFinalState());
    };
    bool fullCached = !fullGroups.empty() && hasKeys(fullGroups.front());
    bool linearPast = !linearGroups.empty() && hasPast(linearGroups.front());
    bool linearFinal = !linearGroups.empty() && hasFinal(linearGroups.front());
    if (!allOrNone(fullGroups, hasKeys) || !allOrNone(linearGroups, hasPast) ||
        !allOrNone(linearGroups, hasFinal) ||
        (fullCached && !inOrder(fullGroups, 'F')) ||
        ((linearPast || linearFinal) && !inOrder(linearGroups, 'L')))
      return rewriter.notifyMatchFailure(concat, "caches out of order");

    Location loc = concat.getLoc();
    // The groups' caches side by side along the head dim.
    auto joined = [&](ArrayRef<const GroupTrace *> list,
                      function_ref<Value(HybridAttentionOp)> get) -> Value {
      SmallVector<Value> parts;
      for (const GroupTrace *g : list)
        parts.push_back(get(g->op));
      if (parts.size() == 1)
        return parts.front();
      if (!concatenates(parts))
        return Value();
      return tensor::ConcatOp::create(rewriter, loc, 1, parts);
    };
    Value fullKey, fullValue, initialState;
    Type finalType;
    if (fullCached) {
      fullKey = joined(fullGroups,
                       [](HybridAttentionOp o) { return o.getFullKey(); });
      fullValue = joined(fullGroups,
                         [](HybridAttentionOp o) { return o.getFullValue(); });
    }
    if (linearPast)
      initialState = joined(linearGroups, [](HybridAttentionOp o) {
        return o.getInitialState();
      });
    if (linearFinal) {
      auto t = cast<RankedTensorType>(
          linearGroups.front()->op.getFinalState().getType());
      SmallVector<int64_t> shape(t.getShape());
      shape[1] = int64_t(kvHeadsOf('L').size());
      finalType = RankedTensorType::get(shape, t.getElementType());
      for (const GroupTrace *g : linearGroups)
        if (cast<ShapedType>(g->op.getFinalState().getType())
                .getElementType() != t.getElementType())
          finalType = Type();
    }
    if ((fullCached && (!fullKey || !fullValue)) ||
        (linearPast && !initialState) || (linearFinal && !finalType))
      return rewriter.notifyMatchFailure(concat, "caches of other types");

    Value q = rebuildOperand(rewriter, loc, first.q);
    Value k = rebuildOperand(rewriter, loc, first.k);
    Value v = rebuildOperand(rewriter, loc, first.v);
    Value decay, beta;
    if (linear && linear->decay)
      decay = rebuildOperand(rewriter, loc, *linear->decay);
    if (linear && linear->op.getBeta())
      beta = linear->beta ? rebuildOperand(rewriter, loc, *linear->beta)
                          : linear->op.getBeta();
    HybridAttentionOp f = full ? full->op : HybridAttentionOp();
    HybridAttentionOp l = linear ? linear->op : HybridAttentionOp();
    auto raised = HybridAttentionOp::create(
        rewriter, loc, type, finalType, q, k, v, /*fusion_scale=*/Value(),
        decay, beta, f ? f.getMask() : Value(), initialState, fullKey,
        fullValue, headMap,
        f && f.getCausal() ? rewriter.getUnitAttr() : UnitAttr(),
        f ? f.getScaleAttr() : FloatAttr(),
        f ? f.getSoftcapAttr() : FloatAttr(),
        l ? l.getLinearScaleAttr() : FloatAttr(),
        UpdateRuleAttr::get(getContext(),
                            l ? l.getUpdateRule() : UpdateRule::Linear),
        rewriter.getF32FloatAttr(1e-6f));
    // Each group's final states are its slice of the merged op's.
    if (linearFinal) {
      int64_t offset = 0;
      for (const GroupTrace *g : linearGroups) {
        Value state = g->op.getFinalState();
        auto t = cast<RankedTensorType>(state.getType());
        SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)), sizes,
            strides(4, rewriter.getIndexAttr(1));
        offsets[1] = rewriter.getIndexAttr(offset);
        for (int64_t d = 0; d < 4; ++d)
          sizes.push_back(
              tensor::getMixedSize(rewriter, loc, raised.getFinalState(), d));
        sizes[1] = rewriter.getIndexAttr(t.getDimSize(1));
        Value slice = tensor::ExtractSliceOp::create(
            rewriter, loc, raised.getFinalState(), offsets, sizes, strides);
        if (slice.getType() != t)
          slice = tensor::CastOp::create(rewriter, loc, t, slice);
        rewriter.replaceAllUsesWith(state, slice);
        offset += t.getDimSize(1);
      }
    }
    rewriter.replaceOp(concat, raised.getResult());
    return success();
  }

  /// Whether `parts` concatenate along the head dim (one element type and
  /// rank, no static sizes off it that differ).
  static bool concatenates(ArrayRef<Value> parts) {
    auto first = cast<RankedTensorType>(parts.front().getType());
    for (Value p : parts) {
      auto t = cast<RankedTensorType>(p.getType());
      if (t.getElementType() != first.getElementType() ||
          t.getRank() != first.getRank())
        return false;
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (d != 1 && !t.isDynamicDim(d) && !first.isDynamicDim(d) &&
            t.getDimSize(d) != first.getDimSize(d))
          return false;
    }
    return true;
  }

  /// Two groups of the same kind must compute their heads alike.
  static LogicalResult agree(const GroupTrace &a, const GroupTrace &b,
                             bool isFull) {
    HybridAttentionOp x = a.op, y = b.op;
    if (isFull)
      return success(x.getCausal() == y.getCausal() &&
                     x.getEffectiveScale() == y.getEffectiveScale() &&
                     x.getSoftcap() == y.getSoftcap() &&
                     x.getMask() == y.getMask());
    // An untraced beta is absent or shared by all heads ([B, 1, T]).
    bool betaAgrees = a.beta ? b.beta && sameRoot(*a.beta, *b.beta)
                             : !b.beta && x.getBeta() == y.getBeta();
    return success(x.getUpdateRule() == y.getUpdateRule() &&
                   x.getEffectiveLinearScale() == y.getEffectiveLinearScale() &&
                   sameOptional(a.decay, b.decay) && betaAgrees);
  }
};
} // namespace

void mlir::hydra::populateRaiseHybridGroupsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<RaiseHybridGroups>(patterns.getContext());
}

//===- AttentionImport.cpp - attention operators → hydra ------------------===//
//
// Attention-23/24 (all heads full), LinearAttention-27 (all heads linear)
// and ai.hydrahead::HybridAttention (a head map) all become one
// hydra.hybrid_attention on [B, H, S, D] operands; 3D inputs are split into
// heads on the way in and merged on the way out.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"
#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>
#include <set>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}
int64_t dimSize(Value v, int64_t d) {
  return cast<RankedTensorType>(v.getType()).getDimSize(d);
}

/// The operands and attributes of one hydra.hybrid_attention.
struct HybridOperands {
  Value q, k, v, fusionScale, decay, beta, mask; // 4D layouts
  Value initialState;                            // [B, Hkv_L, Dk, Dv]
  Type finalStateType;                           // set: return the state
  Value fullKey, fullValue; // [B, Hkv_F, T', D]: what the F heads attend
  std::string heads;
  bool causal = false;
  std::optional<float> scale, softcap, linearScale;
  UpdateRule rule = UpdateRule::Linear;
  float epsilon = 1e-6f;
};

HybridAttentionOp buildHybrid(GraphImporter &gi, const onnx::NodeProto &node,
                              const HybridOperands &o) {
  OpBuilder &b = gi.builder();
  auto qType = cast<RankedTensorType>(o.q.getType());
  auto resultType =
      RankedTensorType::get({qType.getDimSize(0), qType.getDimSize(1),
                             qType.getDimSize(2), dimSize(o.v, 3)},
                            qType.getElementType());
  auto floatAttr = [&](std::optional<float> f) {
    return f ? b.getF32FloatAttr(*f) : FloatAttr();
  };
  return HybridAttentionOp::create(
      b, gi.loc(node), resultType, o.finalStateType, o.q, o.k, o.v,
      o.fusionScale, o.decay, o.beta, o.mask, o.initialState, o.fullKey,
      o.fullValue, HeadMapAttr::get(gi.context(), o.heads),
      o.causal ? b.getUnitAttr() : UnitAttr(), floatAttr(o.scale),
      floatAttr(o.softcap), floatAttr(o.linearScale),
      UpdateRuleAttr::get(gi.context(), o.rule), b.getF32FloatAttr(o.epsilon));
}

/// Parses an update_rule attribute value.
std::optional<UpdateRule> parseRule(StringRef s) {
  return symbolizeUpdateRule(s);
}

/// More heads than any model has; bounds the per-head strings and loops a
/// crafted head count would otherwise make huge.
constexpr int64_t kMaxHeads = 1 << 16;

/// Checks that the [B, H, S, D] query, key and value have static head
/// counts and head sizes, which the hybrid op's head map and state need.
LogicalResult staticHeads(GraphImporter &gi, const onnx::NodeProto &node,
                          Value q, Value k, Value v) {
  for (auto [name, x] :
       {std::pair<const char *, Value>{"query", q}, {"key", k}, {"value", v}}) {
    if (ShapedType::isDynamic(dimSize(x, 1)) ||
        ShapedType::isDynamic(dimSize(x, 3)))
      return gi.error(node, Twine("not supported: ") + name +
                                " with a dynamic number of heads or head "
                                "size (dims 1 and 3 of [B, H, S, D])");
    if (dimSize(x, 1) < 1)
      return gi.error(node, Twine(name) + " has no heads");
    if (dimSize(x, 1) > kMaxHeads)
      return gi.error(node, Twine(name) + " has " + Twine(dimSize(x, 1)) +
                                " heads, more than the " + Twine(kMaxHeads) +
                                " hydra accepts");
  }
  return success();
}

/// Checks the [B, H, S, D] operands against each other where sizes are
/// static (the mask and past builders take them on trust): one batch, one
/// key count for key and value, one head size for query and key, one head
/// count for key and value, a query head count that is a multiple of it.
LogicalResult consistentShapes(GraphImporter &gi, const onnx::NodeProto &node,
                               Value q, Value k, Value v) {
  struct Rule {
    Value a, b;
    int64_t da, db;
    const char *what;
  };
  for (const Rule &r : {Rule{q, k, 0, 0, "query and key batch"},
                        Rule{k, v, 0, 0, "key and value batch"},
                        Rule{k, v, 1, 1, "key and value head count"},
                        Rule{k, v, 2, 2, "key and value sequence length"},
                        Rule{q, k, 3, 3, "query and key head size"}})
    if (sizesDiffer(dimSize(r.a, r.da), dimSize(r.b, r.db)))
      return gi.error(node, Twine(r.what) +
                                " differ: " + Twine(dimSize(r.a, r.da)) +
                                " and " + Twine(dimSize(r.b, r.db)));
  if (dimSize(q, 1) % dimSize(k, 1) != 0)
    return gi.error(node, "the query's " + Twine(dimSize(q, 1)) +
                              " heads are not a multiple of the key's " +
                              Twine(dimSize(k, 1)));
  return success();
}

/// The head-count attributes of a 3D layout; fails if absent or if the
/// packed size is not a multiple.
LogicalResult headCounts(GraphImporter &gi, const onnx::NodeProto &node,
                         Value q, Value k, Value v, int64_t &hq, int64_t &hkv) {
  hq = gi.intAttr(node, "q_num_heads", 0);
  hkv = gi.intAttr(node, "kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0)
    return gi.error(node, "3D inputs need positive q_num_heads and "
                          "kv_num_heads attributes");
  if (hq > kMaxHeads || hkv > kMaxHeads)
    return gi.error(node, "q_num_heads (" + Twine(hq) + ") or kv_num_heads (" +
                              Twine(hkv) + ") exceeds the " + Twine(kMaxHeads) +
                              " heads hydra accepts");
  for (auto [name, x, h] :
       {std::tuple<const char *, Value, int64_t>{"query", q, hq},
        {"key", k, hkv},
        {"value", v, hkv}}) {
    int64_t packed = dimSize(x, 2);
    if (ShapedType::isDynamic(packed) || packed % h != 0)
      return gi.error(node, Twine(name) + " hidden size " +
                                (ShapedType::isDynamic(packed)
                                     ? std::string("?")
                                     : std::to_string(packed)) +
                                " is not a static multiple of its " +
                                std::to_string(h) + " heads");
  }
  if (hq % hkv != 0)
    return gi.error(node, "q_num_heads (" + Twine(hq) +
                              ") must be a multiple of kv_num_heads (" +
                              Twine(hkv) + ")");
  return success();
}

/// A bool tensor of `sizes` whose element (i, j) is keep(i, j, inputs...),
/// with `inputs` read through `maps` (i, j are index values).
using KeepFn = function_ref<Value(OpBuilder &, Location, Value i, Value j,
                                  ValueRange inputs)>;
Value keepMask(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
               ValueRange inputs, ArrayRef<AffineMap> maps, KeepFn keep) {
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getI1Type());
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(b.getMultiDimIdentityMap(2));
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, allMaps,
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value i = linalg::IndexOp::create(nb, l, 0);
               Value j = linalg::IndexOp::create(nb, l, 1);
               linalg::YieldOp::create(nb, l,
                                       keep(nb, l, i, j, args.drop_back()));
             })
      .getResult(0);
}

/// `mask` (absent, bool or float) narrowed to the keys `keep` allows: and-ed
/// into a bool mask; a float mask becomes -inf where keep is false. Fails
/// if the two do not broadcast.
FailureOr<Value> narrowMask(OpBuilder &b, Location loc, Value mask,
                            Value keep) {
  if (!mask)
    return keep;
  Type elt = cast<RankedTensorType>(mask.getType()).getElementType();
  return elementwise(
      b, loc, {mask, keep}, elt,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        if (elt.isInteger(1))
          return arith::AndIOp::create(nb, l, a[0], a[1]);
        Value drop = arith::ConstantOp::create(
            nb, l,
            nb.getFloatAttr(elt, -std::numeric_limits<double>::infinity()));
        return arith::SelectOp::create(nb, l, a[1], a[0], drop);
      });
}

/// `mask` restricted to the first lengths[b] keys of each batch entry
/// (Attention-24's nonpad_kv_seqlen), through a bool [B, 1, 1, T] mask.
FailureOr<Value> maskPadding(OpBuilder &b, Location loc, Value mask,
                             Value lengths, Value key) {
  auto kt = cast<RankedTensorType>(key.getType());
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, key, 0),
                                     dimOf(b, loc, key, 2)};
  MLIRContext *ctx = b.getContext();
  Value valid = keepMask(
      b, loc, sizes, lengths,
      AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx),
      [](OpBuilder &nb, Location l, Value, Value j, ValueRange len) -> Value {
        Value j64 = arith::IndexCastOp::create(nb, l, nb.getI64Type(), j);
        return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j64,
                                     len[0]);
      });
  SmallVector<OpFoldResult> shape = {sizes[0], b.getIndexAttr(1),
                                     b.getIndexAttr(1), sizes[1]};
  valid = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({kt.getDimSize(0), 1, 1, kt.getDimSize(2)},
                            b.getI1Type()),
      valid, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}}, shape);
  return narrowMask(b, loc, mask, valid);
}

/// A statically shaped mask over fewer keys than `t`, extended to `t` keys
/// with masked-out entries (-inf, or false for a bool mask).
Value padKeys(OpBuilder &b, Location loc, Value mask, int64_t t) {
  auto mt = cast<RankedTensorType>(mask.getType());
  SmallVector<int64_t> shape(mt.getShape());
  shape.back() = t;
  Type elt = mt.getElementType();
  TypedAttr drop = elt.isInteger(1)
                       ? TypedAttr(b.getBoolAttr(false))
                       : TypedAttr(b.getFloatAttr(
                             elt, -std::numeric_limits<double>::infinity()));
  SmallVector<int64_t> zeros(shape.size(), 0);
  return padWith(b, loc, mask, zeros, shape, drop);
}

/// Inputs `first` and `first` + 1 (past keys and values, [B, H, P, D]),
/// when given, followed by this call's `k` and `v` (already the heads they
/// extend) as the keys and values the F heads attend.
LogicalResult appendToPast(GraphImporter &gi, const onnx::NodeProto &node,
                           int first, Value k, Value v, HybridOperands &o) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value pastK = gi.optionalInput(node, first);
  Value pastV = gi.optionalInput(node, first + 1);
  if (!pastK && !pastV)
    return success();
  if (!pastK || !pastV)
    return gi.error(node, "past_key and past_value come together; only " +
                              Twine(pastK ? "past_key" : "past_value") +
                              " is given");
  if (rankOf(pastK) != 4 || rankOf(pastV) != 4)
    return gi.error(node, "past_key and past_value must be 4D");
  for (auto [name, past, now] :
       {std::tuple<const char *, Value, Value>{"past_key", pastK, k},
        {"past_value", pastV, v}}) {
    std::string mismatch = concatMismatch({past, now}, 2);
    if (!mismatch.empty())
      return gi.error(node, Twine(name) + " does not extend the " +
                                (name[5] == 'k' ? "key" : "value") + ": " +
                                mismatch);
  }
  o.fullKey = tensor::ConcatOp::create(b, loc, 2, ValueRange{pastK, k});
  o.fullValue = tensor::ConcatOp::create(b, loc, 2, ValueRange{pastV, v});
  return success();
}

LogicalResult importAttention(GraphImporter &gi, const onnx::NodeProto &node) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  if (gi.hasOutput(node, 3))
    return gi.error(node, "not supported: the qk_matmul_output output");
  Value q = gi.input(node, 0), k = gi.input(node, 1), v = gi.input(node, 2);
  if (!q || !k || !v)
    return failure();
  int64_t rank = rankOf(q);
  if ((rank != 3 && rank != 4) || rankOf(k) != rank || rankOf(v) != rank)
    return gi.error(node, "query, key and value must all be 3D or all 4D");
  if (rank == 3) {
    int64_t hq, hkv;
    if (failed(headCounts(gi, node, q, k, v, hq, hkv)))
      return failure();
    q = splitHeads(b, loc, q, hq);
    k = splitHeads(b, loc, k, hkv);
    v = splitHeads(b, loc, v, hkv);
  }
  if (failed(staticHeads(gi, node, q, k, v)) ||
      failed(consistentShapes(gi, node, q, k, v)))
    return failure();

  HybridOperands o;
  o.causal = gi.intAttr(node, "is_causal", 0) != 0;
  o.q = q;
  o.k = k;
  o.v = v;
  // With a past the heads attend past ‖ new, whose causal diagonal ends at
  // the last key (ONNX Attention's alignment with a past).
  if (failed(appendToPast(gi, node, 4, k, v, o)))
    return failure();
  gi.setOutput(node, 1, o.fullKey ? o.fullKey : k);
  gi.setOutput(node, 2, o.fullValue ? o.fullValue : v);
  Value keys = o.fullKey ? o.fullKey : k;

  if (Value mask = gi.optionalInput(node, 3)) {
    auto mt = cast<RankedTensorType>(mask.getType());
    int64_t t = dimSize(keys, 2);
    if (mt.getRank() < 2 || mt.getRank() > 4)
      return gi.error(node, "attn_mask must be 2D to 4D, got rank " +
                                Twine(mt.getRank()));
    int64_t m = mt.getDimSize(mt.getRank() - 1);
    if (!ShapedType::isDynamic(m) && !ShapedType::isDynamic(t) && m != t) {
      // A shorter mask is padded with -inf (false): the keys after it drop.
      if (m > t || !mt.hasStaticShape())
        return gi.error(node, "attn_mask has " + Twine(m) + " keys for " +
                                  Twine(t) + " keys");
      mask = padKeys(b, loc, mask, t);
    }
    // Checked here so that the error names the node (the op's verifier
    // would refuse it too).
    auto padded = cast<RankedTensorType>(mask.getType());
    int64_t full[] = {dimSize(q, 0), dimSize(q, 1), dimSize(q, 2), t};
    for (int64_t d = 0, offset = 4 - padded.getRank(); d < padded.getRank();
         ++d)
      if (padded.getDimSize(d) != 1 &&
          sizesDiffer(padded.getDimSize(d), full[offset + d]))
        return gi.error(node, "attn_mask does not broadcast to [B, Hq, S, "
                              "T] = " +
                                  formatShape(full) + ": its shape is " +
                                  formatShape(padded.getShape()));
    o.mask = mask;
  }
  if (Value lengths = gi.optionalInput(node, 6)) {
    if (gi.hasInput(node, 4))
      return gi.error(node, "nonpad_kv_seqlen cannot be used with past_key");
    auto lt = cast<RankedTensorType>(lengths.getType());
    if (lt.getRank() != 1 || !lt.getElementType().isInteger(64) ||
        sizesDiffer(lt.getDimSize(0), dimSize(q, 0)))
      return gi.error(node, "nonpad_kv_seqlen must be int64 [batch]");
    FailureOr<Value> padded = maskPadding(b, loc, o.mask, lengths, k);
    if (failed(padded))
      return gi.error(node, "attn_mask does not broadcast with the key "
                            "lengths");
    o.mask = *padded;
  }
  if (const auto *a = gi.attribute(node, "scale"))
    o.scale = a->f();
  float softcap = gi.floatAttr(node, "softcap", 0.0f);
  if (softcap > 0)
    o.softcap = softcap;
  o.heads = std::string(dimSize(q, 1), 'F');
  Value y = buildHybrid(gi, node, o).getResult();
  if (rank == 3)
    y = mergeHeads(b, loc, y);
  gi.setOutput(node, 0, y);
  return success();
}

/// decay [B, S, Hkv] → [B, Hkv, S]; [B, S, Hkv·Dk] → [B, Hkv, S, Dk].
Value decayToHeads(OpBuilder &b, Location loc, Value decay, int64_t hkv) {
  if (dimSize(decay, 2) == hkv)
    return onnx_import::transpose(b, loc, decay, {0, 2, 1});
  return splitHeads(b, loc, decay, hkv);
}

/// Checks decay and beta against the rule and converts their layouts.
LogicalResult linearInputs(GraphImporter &gi, const onnx::NodeProto &node,
                           Value decay, Value beta, int64_t hkv, int64_t dk,
                           HybridOperands &o) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  bool gated = o.rule == UpdateRule::Gated || o.rule == UpdateRule::GatedDelta;
  bool delta = o.rule == UpdateRule::Delta || o.rule == UpdateRule::GatedDelta;
  StringRef ruleName = stringifyUpdateRule(o.rule);
  if (gated != bool(decay))
    return gi.error(node, Twine("update_rule '") + ruleName + "' " +
                              (gated ? "needs" : "forbids") +
                              " the decay input");
  if (delta != bool(beta))
    return gi.error(node, Twine("update_rule '") + ruleName + "' " +
                              (delta ? "needs" : "forbids") +
                              " the beta input");
  if (decay) {
    if (rankOf(decay) != 3 ||
        (dimSize(decay, 2) != hkv && dimSize(decay, 2) != hkv * dk))
      return gi.error(node, "decay must be [B, T, " + Twine(hkv) +
                                "] or [B, T, " + Twine(hkv * dk) + "]");
    o.decay = decayToHeads(b, loc, decay, hkv);
  }
  if (beta) {
    if (rankOf(beta) != 3 || (dimSize(beta, 2) != hkv && dimSize(beta, 2) != 1))
      return gi.error(node,
                      "beta must be [B, T, " + Twine(hkv) + "] or [B, T, 1]");
    o.beta = onnx_import::transpose(b, loc, beta, {0, 2, 1});
  }
  return success();
}

/// Reads packed 3D query, key and value ([B, S, H·D]) and the head counts
/// into `o` as [B, H, S, D].
LogicalResult packedQueryKeyValue(GraphImporter &gi,
                                  const onnx::NodeProto &node, int64_t &hq,
                                  int64_t &hkv, HybridOperands &o) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value q = gi.input(node, 0), k = gi.input(node, 1), v = gi.input(node, 2);
  if (!q || !k || !v)
    return failure();
  if (rankOf(q) != 3 || rankOf(k) != 3 || rankOf(v) != 3)
    return gi.error(node, "query, key and value must be 3D [B, S, H·D]");
  if (failed(headCounts(gi, node, q, k, v, hq, hkv)))
    return failure();
  o.q = splitHeads(b, loc, q, hq);
  o.k = splitHeads(b, loc, k, hkv);
  o.v = splitHeads(b, loc, v, hkv);
  return consistentShapes(gi, node, o.q, o.k, o.v);
}

/// The update_rule attribute, `dflt` when absent.
LogicalResult updateRule(GraphImporter &gi, const onnx::NodeProto &node,
                         StringRef dflt, HybridOperands &o) {
  std::string rule = gi.stringAttr(node, "update_rule", dflt);
  auto parsed = parseRule(rule);
  if (!parsed)
    return gi.error(node, "unknown update_rule '" + rule + "'");
  o.rule = *parsed;
  return success();
}

LogicalResult importLinearAttention(GraphImporter &gi,
                                    const onnx::NodeProto &node) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  int64_t hq, hkv;
  HybridOperands o;
  if (failed(packedQueryKeyValue(gi, node, hq, hkv, o)) ||
      failed(updateRule(gi, node, "gated_delta", o)))
    return failure();
  int64_t dk = dimSize(o.q, 3);
  if (failed(linearInputs(gi, node, gi.optionalInput(node, 4),
                          gi.optionalInput(node, 5), hkv, dk, o)))
    return failure();
  float scale = gi.floatAttr(node, "scale", 0.0f);
  if (scale != 0.0f)
    o.linearScale = scale;
  o.heads = std::string(hq, 'L');
  auto qType = cast<RankedTensorType>(o.q.getType());
  int64_t dv = dimSize(o.v, 3);
  o.initialState = gi.optionalInput(node, 3);
  // present_state takes past_state's type, else the query's.
  Type stateElt =
      o.initialState
          ? cast<RankedTensorType>(o.initialState.getType()).getElementType()
          : qType.getElementType();
  if (gi.hasOutput(node, 1))
    o.finalStateType =
        RankedTensorType::get({qType.getDimSize(0), hkv, dk, dv}, stateElt);
  HybridAttentionOp op = buildHybrid(gi, node, o);
  gi.setOutput(node, 0, mergeHeads(b, loc, op.getResult()));
  if (op.getFinalState())
    gi.setOutput(node, 1, op.getFinalState());
  return success();
}

/// The caches of a HybridAttention node (docs/custom-op.md): past_key and
/// past_value (inputs 6, 7) of the kv heads F heads read, extended by this
/// call's into present_key and present_value (outputs 1, 2); past_state
/// (input 8) and present_state (output 3) of the kv heads L heads read.
LogicalResult hybridCaches(GraphImporter &gi, const onnx::NodeProto &node,
                           int64_t hkv, HybridOperands &o) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  auto map = HeadMapAttr::get(gi.context(), o.heads);
  // [0]: the kv heads L heads read, [1]: those F heads read.
  SmallVector<int64_t> kvOf[2] = {map.getKvHeads('L', hkv),
                                  map.getKvHeads('F', hkv)};
  bool pastKv = gi.hasInput(node, 6) || gi.hasInput(node, 7);
  bool presentKv = gi.hasOutput(node, 1) || gi.hasOutput(node, 2);
  if ((pastKv || presentKv) && kvOf[1].empty())
    return gi.error(node, "past_key, past_value, present_key and "
                          "present_value hold the F heads' keys and values, "
                          "but 'heads' has no F head");
  if (gi.hasInput(node, 8) || gi.hasOutput(node, 3)) {
    if (kvOf[0].empty())
      return gi.error(node, "past_state and present_state hold the L heads' "
                            "states, but 'heads' has no L head");
  }
  if (pastKv || presentKv) {
    Value k = selectHeads(b, loc, o.k, kvOf[1]);
    Value v = selectHeads(b, loc, o.v, kvOf[1]);
    if (failed(appendToPast(gi, node, 6, k, v, o)))
      return failure();
    if (!o.fullKey) {
      o.fullKey = k;
      o.fullValue = v;
    }
  }
  auto qType = cast<RankedTensorType>(o.q.getType());
  SmallVector<int64_t> stateShape = {qType.getDimSize(0),
                                     int64_t(kvOf[0].size()), dimSize(o.q, 3),
                                     dimSize(o.v, 3)};
  if (Value past = gi.optionalInput(node, 8)) {
    auto t = cast<RankedTensorType>(past.getType());
    SmallVector<int64_t> shape(t.getShape());
    if (t.getRank() != 4 ||
        llvm::any_of(llvm::zip(shape, stateShape), [](auto pair) {
          return sizesDiffer(std::get<0>(pair), std::get<1>(pair));
        }))
      return gi.error(
          node, "past_state shape " + formatShape(shape) +
                    " is not [B, Hkv_L, Dk, Dv] = " + formatShape(stateShape));
    if (!t.getElementType().isF32())
      return gi.error(node, "past_state must be float32 (the L heads' state "
                            "is kept in f32)");
    o.initialState = past;
  }
  if (gi.hasOutput(node, 3))
    o.finalStateType = RankedTensorType::get(stateShape, b.getF32Type());
  return success();
}

LogicalResult importHybridAttention(GraphImporter &gi,
                                    const onnx::NodeProto &node) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  if (gi.opset("ai.hydrahead") != 1)
    return gi.error(node, "not supported: ai.hydrahead opset " +
                              Twine(gi.opset("ai.hydrahead")) +
                              " (hydra reads version 1)");
  // An attribute hydra does not read would be silently ignored: refuse it.
  static const std::set<std::string> kAttributes = {
      "heads",     "q_num_heads", "kv_num_heads", "update_rule",
      "is_causal", "scale",       "linear_scale", "fusion_epsilon"};
  for (const auto &a : node.attribute())
    if (!kAttributes.count(a.name()))
      return gi.error(node, "not supported: attribute '" + a.name() +
                                "' (HybridAttention version 1 has none such: "
                                "docs/custom-op.md)");
  int64_t hq, hkv;
  HybridOperands o;
  if (failed(packedQueryKeyValue(gi, node, hq, hkv, o)))
    return failure();
  o.heads = gi.stringAttr(node, "heads", "");
  if (int64_t(o.heads.size()) != hq ||
      o.heads.find_first_not_of("FL") != std::string::npos)
    return gi.error(node, "attribute heads ('" + o.heads +
                              "') must be a string of q_num_heads (" +
                              Twine(hq) + ") characters F or L");
  if (failed(updateRule(gi, node, "linear", o)))
    return failure();
  o.causal = gi.intAttr(node, "is_causal", 1) != 0;
  if (const auto *a = gi.attribute(node, "scale"))
    o.scale = a->f();
  if (const auto *a = gi.attribute(node, "linear_scale"))
    o.linearScale = a->f();
  o.epsilon = gi.floatAttr(node, "fusion_epsilon", 1e-6f);
  int64_t dk = dimSize(o.q, 3);
  o.fusionScale = gi.optionalInput(node, 3);
  if (failed(linearInputs(gi, node, gi.optionalInput(node, 4),
                          gi.optionalInput(node, 5), hkv, dk, o)) ||
      failed(hybridCaches(gi, node, hkv, o)))
    return failure();
  HybridAttentionOp op = buildHybrid(gi, node, o);
  gi.setOutput(node, 0, mergeHeads(b, loc, op.getResult()));
  if (o.fullKey) {
    gi.setOutput(node, 1, o.fullKey);
    gi.setOutput(node, 2, o.fullValue);
  }
  if (op.getFinalState())
    gi.setOutput(node, 3, op.getFinalState());
  return success();
}
} // namespace

void registerAttentionImporters(ImporterTable &onnx, ImporterTable &hydra) {
  // Attention-24: query, key, value, attn_mask, past_key, past_value,
  // nonpad_kv_seqlen → Y, present_key, present_value, qk_matmul_output.
  onnx["Attention"] = {importAttention, {3, 7, 4}};
  // LinearAttention-27: query, key, value, past_state, decay, beta → Y,
  // present_state.
  // present_state is required (onnx.checker and onnxruntime refuse one
  // output).
  onnx["LinearAttention"] = {importLinearAttention, {3, 6, 2, 2}};
  // query, key, value, fusion_scale, decay, beta, past_key, past_value,
  // past_state → Y, present_key, present_value, present_state.
  hydra["HybridAttention"] = {importHybridAttention, {3, 9, 4}};
}

//===- OperandChecks.cpp - shared operand checks of hydra ops -------------===//

#include "OperandChecks.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::checks;

bool checks::shapeMatches(ShapedType type, ArrayRef<int64_t> expected) {
  if (type.getRank() != int64_t(expected.size()))
    return false;
  for (auto [got, want] : llvm::zip(type.getShape(), expected))
    if (sizesDiffer(got, want))
      return false;
  return true;
}

static bool isAttentionFloat(Type t) {
  return t.isF32() || t.isF16() || t.isBF16();
}

static LogicalResult checkFloatElement(Operation *op, StringRef name,
                                       Type type) {
  Type elt = getElementTypeOrSelf(type);
  if (!isAttentionFloat(elt))
    return op->emitOpError()
           << "'" << name << "' element type must be f32, f16 or bf16, got "
           << elt;
  return success();
}

static LogicalResult checkRank(Operation *op, StringRef name, ShapedType t,
                               int64_t rank, StringRef layout) {
  if (t.getRank() != rank)
    return op->emitOpError() << "'" << name << "' must be rank " << rank << " "
                             << layout << ", got rank " << t.getRank();
  return success();
}

static LogicalResult checkStatic(Operation *op, StringRef name, ShapedType t,
                                 unsigned dim, StringRef what) {
  if (t.isDynamicDim(dim))
    return op->emitOpError() << "'" << name << "' " << what << " (dim " << dim
                             << ") must be static";
  return success();
}

static LogicalResult checkSame(Operation *op, StringRef name, int64_t got,
                               StringRef what, StringRef refName,
                               int64_t expected) {
  if (sizesDiffer(got, expected))
    return op->emitOpError()
           << "'" << name << "' " << what << " is " << got << " but '"
           << refName << "' " << what << " is " << expected;
  return success();
}

LogicalResult checks::verifyQueryKeyValue(Operation *op, bool anyKvHeads,
                                          Type queryType, Type keyType,
                                          Type valueType, AttentionDims &dims) {
  auto q = cast<ShapedType>(queryType);
  auto k = cast<ShapedType>(keyType);
  auto v = cast<ShapedType>(valueType);
  if (failed(checkRank(op, "query", q, 4, "[B, Hq, S, Dk]")) ||
      failed(checkRank(op, "key", k, 4, "[B, Hkv, T, Dk]")) ||
      failed(checkRank(op, "value", v, 4, "[B, Hkv, T, Dv]")))
    return failure();
  Type elt = q.getElementType();
  if (failed(checkFloatElement(op, "query", q)))
    return failure();
  for (auto [name, t] :
       {std::pair<StringRef, ShapedType>{"key", k}, {"value", v}})
    if (t.getElementType() != elt)
      return op->emitOpError()
             << "'" << name << "' element type " << t.getElementType()
             << " does not match 'query' element type " << elt;
  if (failed(checkStatic(op, "query", q, 1, "head count")) ||
      failed(checkStatic(op, "query", q, 3, "head size")) ||
      failed(checkStatic(op, "key", k, 1, "head count")) ||
      failed(checkStatic(op, "value", v, 3, "head size")))
    return failure();
  if (failed(checkSame(op, "key", k.getDimSize(0), "batch (dim 0)", "query",
                       q.getDimSize(0))) ||
      failed(checkSame(op, "value", v.getDimSize(0), "batch (dim 0)", "query",
                       q.getDimSize(0))) ||
      failed(checkSame(op, "key", k.getDimSize(3), "head size (dim 3)", "query",
                       q.getDimSize(3))) ||
      failed(checkSame(op, "value", v.getDimSize(1), "head count (dim 1)",
                       "key", k.getDimSize(1))) ||
      failed(checkSame(op, "value", v.getDimSize(2), "length (dim 2)", "key",
                       k.getDimSize(2))))
    return failure();
  if (k.isDynamicDim(3))
    return op->emitOpError() << "'key' head size (dim 3) must be static";
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (hq <= 0 || hkv <= 0 || (!anyKvHeads && hq % hkv != 0))
    return op->emitOpError() << "'query' head count (" << hq
                             << ") must be a positive multiple of 'key' head "
                                "count ("
                             << hkv << ")";
  int64_t batch = q.getDimSize(0);
  if (ShapedType::isDynamic(batch))
    batch = k.getDimSize(0);
  dims = {batch,
          hq,
          hkv,
          q.getDimSize(2),
          k.getDimSize(2),
          q.getDimSize(3),
          v.getDimSize(3),
          elt};
  return success();
}

LogicalResult checks::verifyOutputShape(Operation *op, StringRef name,
                                        Type type, const AttentionDims &dims,
                                        int64_t heads) {
  auto t = cast<ShapedType>(type);
  SmallVector<int64_t> expected = {dims.batch, heads, dims.queryLen,
                                   dims.valueDim};
  if (!shapeMatches(t, expected))
    return op->emitOpError()
           << "'" << name << "' shape " << formatShape(t.getShape())
           << " does not match [B, heads, S, Dv] = " << formatShape(expected);
  if (t.getElementType() != dims.elementType)
    return op->emitOpError()
           << "'" << name << "' element type " << t.getElementType()
           << " does not match 'query' element type " << dims.elementType;
  return success();
}

LogicalResult checks::verifyFusionScale(Operation *op, Type type,
                                        const AttentionDims &dims) {
  auto t = cast<ShapedType>(type);
  SmallVector<int64_t> expected = {dims.numQueryHeads, dims.valueDim};
  if (!shapeMatches(t, expected))
    return op->emitOpError()
           << "'fusion_scale' shape " << formatShape(t.getShape())
           << " does not match [Hq, Dv] = " << formatShape(expected);
  return checkFloatElement(op, "fusion_scale", t);
}

LogicalResult checks::verifyMask(Operation *op, Type type,
                                 const AttentionDims &dims) {
  auto t = cast<ShapedType>(type);
  Type elt = t.getElementType();
  if (!elt.isInteger(1) && elt != dims.elementType)
    return op->emitOpError() << "'mask' element type must be i1 or the query "
                                "element type "
                             << dims.elementType << ", got " << elt;
  if (t.getRank() < 2 || t.getRank() > 4)
    return op->emitOpError() << "'mask' must be rank 2 to 4 (broadcast to [B, "
                                "Hq, S, T]), got rank "
                             << t.getRank();
  SmallVector<int64_t> full = {dims.batch, dims.numQueryHeads, dims.queryLen,
                               dims.keyLen};
  int64_t offset = 4 - t.getRank();
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t d = t.getDimSize(i);
    if (d != 1 && sizesDiffer(d, full[offset + i]))
      return op->emitOpError()
             << "'mask' shape " << formatShape(t.getShape())
             << " does not broadcast to [B, Hq, S, T] = " << formatShape(full)
             << " (dim " << i << ")";
  }
  return success();
}

static bool ruleIsGated(UpdateRule r) {
  return r == UpdateRule::Gated || r == UpdateRule::GatedDelta;
}
static bool ruleIsDelta(UpdateRule r) {
  return r == UpdateRule::Delta || r == UpdateRule::GatedDelta;
}

LogicalResult checks::verifyLinearInputs(Operation *op, UpdateRule rule,
                                         Value decay, Value beta,
                                         const AttentionDims &dims) {
  StringRef ruleName = stringifyUpdateRule(rule);
  if (ruleIsGated(rule) && !decay)
    return op->emitOpError()
           << "update_rule '" << ruleName << "' needs a 'decay' operand";
  if (!ruleIsGated(rule) && decay)
    return op->emitOpError() << "'decay' is only allowed with the gated rules, "
                                "not with update_rule '"
                             << ruleName << "'";
  if (ruleIsDelta(rule) && !beta)
    return op->emitOpError()
           << "update_rule '" << ruleName << "' needs a 'beta' operand";
  if (!ruleIsDelta(rule) && beta)
    return op->emitOpError() << "'beta' is only allowed with the delta rules, "
                                "not with update_rule '"
                             << ruleName << "'";
  if (decay) {
    auto t = cast<ShapedType>(decay.getType());
    SmallVector<int64_t> perHead = {dims.batch, dims.numKvHeads, dims.keyLen};
    SmallVector<int64_t> perDim = {dims.batch, dims.numKvHeads, dims.keyLen,
                                   dims.keyDim};
    if (!shapeMatches(t, perHead) && !shapeMatches(t, perDim))
      return op->emitOpError()
             << "'decay' shape " << formatShape(t.getShape())
             << " matches neither [B, Hkv, T] = " << formatShape(perHead)
             << " nor [B, Hkv, T, Dk] = " << formatShape(perDim);
    if (failed(checkFloatElement(op, "decay", t)))
      return failure();
  }
  if (beta) {
    auto t = cast<ShapedType>(beta.getType());
    SmallVector<int64_t> expected = {dims.batch, dims.numKvHeads, dims.keyLen};
    SmallVector<int64_t> shared = {dims.batch, 1, dims.keyLen};
    if (!shapeMatches(t, expected) && !shapeMatches(t, shared))
      return op->emitOpError()
             << "'beta' shape " << formatShape(t.getShape())
             << " does not match [B, Hkv or 1, T] = " << formatShape(expected);
    if (failed(checkFloatElement(op, "beta", t)))
      return failure();
  }
  return success();
}

LogicalResult checks::verifyStateShape(Operation *op, StringRef name, Type type,
                                       const AttentionDims &dims, int64_t heads,
                                       StringRef headsName) {
  auto t = cast<ShapedType>(type);
  SmallVector<int64_t> expected = {dims.batch, heads, dims.keyDim,
                                   dims.valueDim};
  if (!shapeMatches(t, expected) || t.isDynamicDim(1))
    return op->emitOpError()
           << "'" << name << "' shape " << formatShape(t.getShape())
           << " does not match [B, " << headsName
           << ", Dk, Dv] = " << formatShape(expected);
  return checkFloatElement(op, name, t);
}

LogicalResult checks::verifyCacheShape(Operation *op, StringRef name, Type type,
                                       const AttentionDims &dims, int64_t heads,
                                       int64_t dim, int64_t &cacheLen) {
  auto t = cast<ShapedType>(type);
  cacheLen = t.getRank() == 4 ? t.getDimSize(2) : ShapedType::kDynamic;
  SmallVector<int64_t> expected = {dims.batch, heads, cacheLen, dim};
  if (!shapeMatches(t, expected) || t.isDynamicDim(1) || t.isDynamicDim(3))
    return op->emitOpError()
           << "'" << name << "' shape " << formatShape(t.getShape())
           << " does not match [B, Hkv_F, T', D] = " << formatShape(expected);
  if (t.getElementType() != dims.elementType)
    return op->emitOpError()
           << "'" << name << "' element type " << t.getElementType()
           << " does not match the query element type " << dims.elementType;
  return success();
}

LogicalResult checks::verifyHeadIndices(Operation *op, StringRef name,
                                        ArrayRef<int64_t> indices,
                                        ArrayRef<int64_t> heads,
                                        int64_t bound) {
  if (indices.size() != heads.size())
    return op->emitOpError() << "'" << name << "' has " << indices.size()
                             << " entries but 'heads' lists " << heads.size();
  for (auto [i, x] : llvm::enumerate(indices))
    if (x < 0 || x >= bound)
      return op->emitOpError() << "'" << name << "' entry " << i << " is " << x
                               << ", outside [0, " << bound << ")";
  return success();
}

LogicalResult checks::verifyLinearLengths(Operation *op,
                                          const AttentionDims &dims) {
  if (sizesDiffer(dims.queryLen, dims.keyLen))
    return op->emitOpError()
           << "linear heads need 'query' length (S = " << dims.queryLen
           << ") equal to 'key' length (T = " << dims.keyLen << ")";
  return success();
}

LogicalResult checks::verifyEpsilonAndSoftcap(Operation *op, float epsilon,
                                              std::optional<float> softcap) {
  if (!(epsilon >= 0.0f) || std::isinf(epsilon))
    return op->emitOpError()
           << "'fusion_epsilon' must be finite and >= 0, got " << epsilon;
  if (softcap && !(*softcap > 0.0f))
    return op->emitOpError()
           << "'softcap' must be > 0 when given, got " << *softcap;
  return success();
}

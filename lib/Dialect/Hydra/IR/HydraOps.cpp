//===- HydraOps.cpp - hydra op verifiers and helpers ----------------------===//

#include "OperandChecks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::checks;

#define GET_OP_CLASSES
#include "hydra/Dialect/Hydra/IR/HydraOps.cpp.inc"

static std::optional<float> asFloat(std::optional<APFloat> value) {
  if (!value)
    return std::nullopt;
  return value->convertToFloat();
}

static float defaultScale(Value query) {
  return 1.0f /
         std::sqrt(float(cast<ShapedType>(query.getType()).getDimSize(3)));
}

//===----------------------------------------------------------------------===//
// HybridAttentionOp
//===----------------------------------------------------------------------===//

float HybridAttentionOp::getEffectiveScale() {
  return getScale() ? getScale()->convertToFloat() : defaultScale(getQuery());
}

float HybridAttentionOp::getEffectiveLinearScale() {
  return getLinearScale() ? getLinearScale()->convertToFloat()
                          : defaultScale(getQuery());
}

SmallVector<int64_t> HybridAttentionOp::getKvHeadsOf(bool full) {
  return getHeads().getKvHeads(
      full ? 'F' : 'L', cast<ShapedType>(getKey().getType()).getDimSize(1));
}

LogicalResult HybridAttentionOp::verify() {
  AttentionDims dims;
  if (failed(verifyQueryKeyValue(*this, /*anyKvHeads=*/false,
                                 getQuery().getType(), getKey().getType(),
                                 getValue().getType(), dims)))
    return failure();
  HeadMapAttr heads = getHeads();
  if (heads.getNumHeads() != dims.numQueryHeads)
    return emitOpError() << "'heads' has " << heads.getNumHeads()
                         << " entries but 'query' has " << dims.numQueryHeads
                         << " heads";
  if (failed(verifyOutputShape(*this, "result", getResult().getType(), dims,
                               dims.numQueryHeads)))
    return failure();
  bool anyLinear = !heads.getLinearHeads().empty();
  bool anyFull = !heads.getFullHeads().empty();
  int64_t linearKv = getKvHeadsOf(/*full=*/false).size();
  for (auto [name, state] :
       {std::pair<StringRef, Value>{"initial_state", getInitialState()},
        {"final_state", getFinalState()}}) {
    if (!state)
      continue;
    if (!anyLinear)
      return emitOpError() << "'" << name
                           << "' is given but 'heads' has no 'L' head";
    if (failed(verifyStateShape(*this, name, state.getType(), dims, linearKv,
                                "Hkv_L")))
      return failure();
  }
  // The keys the F heads attend: the caches when given, else key itself.
  AttentionDims fullDims = dims;
  if (bool(getFullKey()) != bool(getFullValue()))
    return emitOpError() << "'full_key' and 'full_value' come together";
  if (getFullKey()) {
    if (!anyFull)
      return emitOpError() << "'full_key' is given but 'heads' has no 'F' head";
    int64_t fullKv = getKvHeadsOf(/*full=*/true).size();
    int64_t keyLen, valueLen;
    if (failed(verifyCacheShape(*this, "full_key", getFullKey().getType(), dims,
                                fullKv, dims.keyDim, keyLen)) ||
        failed(verifyCacheShape(*this, "full_value", getFullValue().getType(),
                                dims, fullKv, dims.valueDim, valueLen)))
      return failure();
    if (sizesDiffer(keyLen, valueLen))
      return emitOpError() << "'full_key' has " << keyLen
                           << " keys but 'full_value' " << valueLen;
    fullDims.keyLen = keyLen;
  }
  if (getFusionScale() &&
      failed(verifyFusionScale(*this, getFusionScale().getType(), dims)))
    return failure();
  if (getMask() && failed(verifyMask(*this, getMask().getType(), fullDims)))
    return failure();
  if (failed(verifyLinearInputs(*this, getUpdateRule(), getDecay(), getBeta(),
                                dims)))
    return failure();
  if (anyLinear && failed(verifyLinearLengths(*this, dims)))
    return failure();
  return verifyEpsilonAndSoftcap(*this, getFusionEpsilon().convertToFloat(),
                                 asFloat(getSoftcap()));
}

//===----------------------------------------------------------------------===//
// Part ops
//===----------------------------------------------------------------------===//

/// Checks shared by both part ops: tensor or buffer form throughout, the
/// head list, and the destination.
static LogicalResult verifyPathOp(Operation *op, ArrayRef<int64_t> heads,
                                  Value init, ValueRange inits,
                                  ValueRange results, AttentionDims &dims) {
  bool onTensors = isa<RankedTensorType>(init.getType());
  for (Value operand : op->getOperands())
    if (isa<RankedTensorType>(operand.getType()) != onTensors)
      return op->emitOpError()
             << "operands must be all tensors or all memrefs; 'init' is "
             << (onTensors ? "a tensor" : "a memref") << " but an operand is "
             << operand.getType();
  if (onTensors && TypeRange(results) != TypeRange(inits))
    return op->emitOpError() << "on tensors, the op must have one result of "
                                "each destination's type, the 'init' type "
                             << init.getType() << " first";
  if (!onTensors && !results.empty())
    return op->emitOpError() << "on memrefs, the op has no results";
  if (heads.empty())
    return op->emitOpError() << "'heads' must list at least one query head";
  for (auto [i, h] : llvm::enumerate(heads)) {
    if (h < 0 || h >= dims.numQueryHeads)
      return op->emitOpError() << "'heads' entry " << i << " is " << h
                               << ", outside [0, " << dims.numQueryHeads << ")";
    if (i > 0 && h <= heads[i - 1])
      return op->emitOpError() << "'heads' must be strictly increasing; entry "
                               << i << " is " << h << " after " << heads[i - 1];
  }
  auto initType = cast<ShapedType>(init.getType());
  int64_t outHeads = initType.getRank() == 4 ? initType.getDimSize(1) : -1;
  if (outHeads != dims.numQueryHeads && outHeads != (int64_t)heads.size())
    return op->emitOpError()
           << "'init' must hold all " << dims.numQueryHeads
           << " query heads or the op's " << heads.size()
           << " heads, got shape " << formatShape(initType.getShape());
  return verifyOutputShape(op, "init", initType, dims, outHeads);
}

/// Memory effects of a part op on buffers: reads every input, writes init.
template <typename OpTy>
static void getPathEffects(
    OpTy op, SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                 &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
    if (&operand == &op.getInitMutable())
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

template <typename OpTy> static bool pathWritesAllHeads(OpTy op) {
  auto initType = cast<ShapedType>(op.getInit().getType());
  int64_t hq = cast<ShapedType>(op.getQuery().getType()).getDimSize(1);
  return initType.getDimSize(1) == hq;
}

bool FullAttentionOp::writesAllHeads() { return pathWritesAllHeads(*this); }
bool LinearAttentionOp::writesAllHeads() { return pathWritesAllHeads(*this); }

void FullAttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getPathEffects(*this, effects);
}

void LinearAttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getPathEffects(*this, effects);
}

/// The checks both part ops make: query/key/value, the head list and
/// destination, and the fusion scale.
template <typename OpTy>
static LogicalResult verifyPartOperands(OpTy op, AttentionDims &dims,
                                        bool anyKvHeads = false) {
  if (failed(verifyQueryKeyValue(op, anyKvHeads, op.getQuery().getType(),
                                 op.getKey().getType(), op.getValue().getType(),
                                 dims)) ||
      failed(verifyPathOp(op, op.getHeads(), op.getInit(), op.getDpsInits(),
                          op.getResult(), dims)))
    return failure();
  if (op.getFusionScale() &&
      failed(verifyFusionScale(op, op.getFusionScale().getType(), dims)))
    return failure();
  return success();
}

/// Hq / Hkv of a part op.
template <typename OpTy> static int64_t groupSize(OpTy op) {
  return cast<ShapedType>(op.getQuery().getType()).getDimSize(1) /
         cast<ShapedType>(op.getKey().getType()).getDimSize(1);
}

int64_t FullAttentionOp::getKvHead(int64_t i) {
  if (auto kv = getKvHeads())
    return (*kv)[i];
  return getHeads()[i] / groupSize(*this);
}

int64_t LinearAttentionOp::getKvHead(int64_t i) {
  return getHeads()[i] / groupSize(*this);
}

int64_t LinearAttentionOp::getStateHead(int64_t i) {
  if (auto states = getStateHeads())
    return (*states)[i];
  return getKvHead(i);
}

LogicalResult FullAttentionOp::verify() {
  AttentionDims dims;
  if (failed(verifyPartOperands(*this, dims, bool(getKvHeads()))))
    return failure();
  if (getKvHeads() && failed(verifyHeadIndices(*this, "kv_heads", *getKvHeads(),
                                               getHeads(), dims.numKvHeads)))
    return failure();
  if (getEndAligned() && !getCausal())
    return emitOpError() << "'end_aligned' moves the causal diagonal; it "
                            "needs 'causal'";
  if (getMask() && failed(verifyMask(*this, getMask().getType(), dims)))
    return failure();
  return verifyEpsilonAndSoftcap(*this, getFusionEpsilon().convertToFloat(),
                                 asFloat(getSoftcap()));
}

LogicalResult LinearAttentionOp::verify() {
  AttentionDims dims;
  if (failed(verifyPartOperands(*this, dims)) ||
      failed(verifyLinearInputs(*this, getUpdateRule(), getDecay(), getBeta(),
                                dims)) ||
      failed(verifyLinearLengths(*this, dims)))
    return failure();
  // Without `state_heads` a state is its kv head's; with it, any
  // numbering in which one kv head's heads share one state.
  int64_t numStates = dims.numKvHeads;
  StringRef statesName = "Hkv";
  if (auto states = getStateHeads()) {
    Value state = getInitialState() ? getInitialState() : getFinalStateInit();
    numStates = state ? cast<ShapedType>(state.getType()).getDimSize(1)
                      : ShapedType::kDynamic;
    statesName = "#states";
    if (failed(verifyHeadIndices(*this, "state_heads", *states, getHeads(),
                                 ShapedType::isDynamic(numStates)
                                     ? std::numeric_limits<int64_t>::max()
                                     : numStates)))
      return failure();
    DenseMap<int64_t, int64_t> stateOfKv, kvOfState;
    for (auto [i, s] : llvm::enumerate(*states)) {
      int64_t kv = getKvHead(i);
      if (stateOfKv.try_emplace(kv, s).first->second != s ||
          kvOfState.try_emplace(s, kv).first->second != kv)
        return emitOpError()
               << "'state_heads' entry " << i << " (state " << s
               << ") breaks the rule that the heads of one kv head share "
                  "one state and heads of other kv heads do not";
    }
  }
  for (auto [name, state] :
       {std::pair<StringRef, Value>{"initial_state", getInitialState()},
        {"final_state", getFinalStateInit()}})
    if (state && failed(verifyStateShape(*this, name, state.getType(), dims,
                                         numStates, statesName)))
      return failure();
  return verifyEpsilonAndSoftcap(*this, getFusionEpsilon().convertToFloat(),
                                 std::nullopt);
}

//===----------------------------------------------------------------------===//
// ScaleNormMergeOp
//===----------------------------------------------------------------------===//

/// Checks one merge input against the result: [B, count, S, Dv].
static LogicalResult verifyMergeInput(Operation *op, StringRef name,
                                      Value input, int64_t count, char kind,
                                      ShapedType result) {
  if (count == 0 && input)
    return op->emitOpError() << "'" << name << "' is given but 'heads' has no '"
                             << kind << "' head";
  if (count > 0 && !input)
    return op->emitOpError() << "'" << name << "' is missing: 'heads' has "
                             << count << " '" << kind << "' heads";
  if (!input)
    return success();
  auto t = cast<ShapedType>(input.getType());
  SmallVector<int64_t> expected = {result.getDimSize(0), count,
                                   result.getDimSize(2), result.getDimSize(3)};
  if (!shapeMatches(t, expected))
    return op->emitOpError()
           << "'" << name << "' shape " << formatShape(t.getShape())
           << " does not match [B, #" << kind
           << ", S, Dv] = " << formatShape(expected);
  if (t.getElementType() != result.getElementType())
    return op->emitOpError()
           << "'" << name << "' element type " << t.getElementType()
           << " does not match the result element type "
           << result.getElementType();
  return success();
}

LogicalResult ScaleNormMergeOp::verify() {
  auto result = cast<ShapedType>(getType());
  HeadMapAttr heads = getHeads();
  if (result.getRank() != 4)
    return emitOpError() << "result must be rank 4 [B, Hq, S, Dv], got rank "
                         << result.getRank();
  if (result.isDynamicDim(1) || result.isDynamicDim(3) ||
      result.getDimSize(1) != heads.getNumHeads())
    return emitOpError() << "result head count (dim 1) must be the "
                         << heads.getNumHeads() << " heads of 'heads', got "
                         << formatShape(result.getShape());
  if (failed(verifyMergeInput(*this, "full", getFull(),
                              heads.getFullHeads().size(), 'F', result)) ||
      failed(verifyMergeInput(*this, "linear", getLinear(),
                              heads.getLinearHeads().size(), 'L', result)))
    return failure();
  if (getFusionScale()) {
    AttentionDims dims;
    dims.numQueryHeads = result.getDimSize(1);
    dims.valueDim = result.getDimSize(3);
    if (failed(verifyFusionScale(*this, getFusionScale().getType(), dims)))
      return failure();
  }
  return verifyEpsilonAndSoftcap(*this, getFusionEpsilon().convertToFloat(),
                                 std::nullopt);
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  auto x = cast<ShapedType>(getInput().getType());
  auto scale = cast<ShapedType>(getScale().getType());
  auto result = cast<ShapedType>(getType());
  if (!isa<FloatType>(x.getElementType()) ||
      scale.getElementType() != x.getElementType() ||
      result.getElementType() != x.getElementType())
    return emitOpError() << "input, scale and result must share one float "
                            "element type";
  if (!shapeMatches(result, x.getShape()))
    return emitOpError() << "result shape " << formatShape(result.getShape())
                         << " must be the input shape "
                         << formatShape(x.getShape());
  int64_t rank = x.getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "'axis' must be in [0, " << rank << "), got "
                         << axis;
  if (scale.getRank() > rank)
    return emitOpError() << "scale " << formatShape(scale.getShape())
                         << " has more dimensions than the input";
  int64_t offset = rank - scale.getRank();
  for (int64_t d = 0; d < scale.getRank(); ++d)
    if (scale.getDimSize(d) != 1 &&
        sizesDiffer(scale.getDimSize(d), x.getDimSize(offset + d)))
      return emitOpError() << "scale " << formatShape(scale.getShape())
                           << " does not broadcast to the input "
                           << formatShape(x.getShape());
  float eps = getEpsilon().convertToFloat();
  if (!(eps >= 0.0f) || std::isinf(eps))
    return emitOpError() << "'epsilon' must be finite and >= 0, got " << eps;
  return success();
}

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

LogicalResult LaunchOp::verify() {
  if (getGrid().empty())
    return emitOpError() << "needs at least one grid dimension";
  return success();
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto kernel =
      symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError() << "kernel '" << getKernel()
                         << "' is not a func.func in this module";
  if (!kernel->hasAttr(kKernelAttrName))
    return emitOpError() << "'" << getKernel() << "' is not marked '"
                         << kKernelAttrName << "'";
  SmallVector<Type> expected(getBuffers().getTypes());
  Builder b(getContext());
  expected.append({b.getIndexType(), b.getIndexType()});
  FunctionType type = kernel.getFunctionType();
  if (type.getResults().size() != 0 ||
      type.getInputs() != ArrayRef<Type>(expected))
    return emitOpError() << "kernel '" << getKernel() << "' has type " << type
                         << " but the launch needs (buffer types..., index "
                            "begin, index end) -> ()";
  return success();
}

//===----------------------------------------------------------------------===//
// work
//===----------------------------------------------------------------------===//

LogicalResult WorkOp::verify() {
  for (auto [name, terms] :
       {std::pair<StringRef, ArrayAttr>{"flops", getFlops()},
        {"bytes", getBytes()}})
    for (Attribute attr : terms) {
      auto term = dyn_cast<ArrayAttr>(attr);
      if (!term || term.empty() || !isa<FloatAttr>(term[0]))
        return emitOpError() << "'" << name
                             << "' terms must be [coefficient, size index...] "
                                "with a float coefficient";
      for (Attribute index : term.getValue().drop_front()) {
        auto i = dyn_cast<IntegerAttr>(index);
        if (!i || i.getInt() < 0 || i.getInt() >= int64_t(getSizes().size()))
          return emitOpError() << "'" << name << "' term names size " << index
                               << " of " << getSizes().size();
      }
    }
  return success();
}

std::optional<std::pair<Value, int64_t>>
mlir::hydra::hydraResultDim(OpResult result, int64_t axis) {
  Operation *op = result.getOwner();
  if (auto hybrid = dyn_cast<HybridAttentionOp>(op))
    return std::make_pair(axis == 3 ? hybrid.getValue() : hybrid.getQuery(),
                          axis);
  if (isa<RMSNormOp>(op))
    return std::make_pair(op->getOperand(0), axis);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// SizeCheckOp
//===----------------------------------------------------------------------===//

LogicalResult SizeCheckOp::verify() {
  // The note is the only thing the user reads when the check fails.
  if (getNote().empty())
    return emitOpError() << "needs a note saying what the check means";
  return success();
}

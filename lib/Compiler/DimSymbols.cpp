//===- DimSymbols.cpp - dynamic sizes as shared symbols -------------------===//

#include "DimSymbols.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;
using namespace mlir::hydra;

namespace {
using DimRef = std::pair<unsigned, unsigned>; // (input, axis)

/// The function input and axis that dim `axis` of `value` is, if traceable.
std::optional<DimRef> traceDim(Value value, int64_t axis) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()))
    return std::nullopt;
  return DimRef{arg.getArgNumber(), unsigned(axis)};
}

struct Constraints {
  llvm::EquivalenceClasses<DimRef> classes;
  LogicalResult error;
};

/// Records that dim `a` of `x` equals dim `b` of `y` when both are dynamic
/// function inputs; a static size on either side is checked statically by
/// the op's verifier, and needs nothing at run time.
LogicalResult unify(Operation *op, llvm::EquivalenceClasses<DimRef> &classes,
                    Value x, int64_t a, Value y, int64_t b) {
  if (!x || !y)
    return success();
  auto tx = cast<ShapedType>(x.getType()), ty = cast<ShapedType>(y.getType());
  if (!tx.isDynamicDim(a) && !ty.isDynamicDim(b))
    return success();
  std::optional<DimRef> dx = traceDim(x, a), dy = traceDim(y, b);
  if ((tx.isDynamicDim(a) && !dx) || (ty.isDynamicDim(b) && !dy))
    return op->emitOpError()
           << "not supported: a dynamic size of an operand that is not a "
              "function input (make the shapes static or pass the operand "
              "in directly)";
  if (dx && dy)
    classes.unionSets(*dx, *dy);
  else if (dx || dy)
    // One side is static: the dynamic side must be that size; treat it as
    // its own class and let the static shape in the signature say so.
    return op->emitOpError()
           << "not supported: a dynamic size that must equal a static one; "
              "make the input's size static";
  return success();
}

/// The size equalities hydra.hybrid_attention requires among its operands.
LogicalResult
collectHybridConstraints(HybridAttentionOp op,
                         llvm::EquivalenceClasses<DimRef> &classes) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  SmallVector<std::tuple<Value, int64_t, Value, int64_t>> equal = {
      {q, 0, k, 0},
      {q, 0, v, 0},
      {k, 2, v, 2},
      {q, 0, op.getDecay(), 0},
      {k, 2, op.getDecay(), 2},
      {q, 0, op.getBeta(), 0},
      {k, 2, op.getBeta(), 2}};
  if (!op.getHeads().getLinearHeads().empty())
    equal.push_back({q, 2, k, 2});
  if (mask) {
    auto m = cast<ShapedType>(mask.getType());
    int64_t offset = 4 - m.getRank();
    Value full[] = {q, q, q, k};
    int64_t fullAxis[] = {0, 1, 2, 2};
    for (int64_t d = 0; d < m.getRank(); ++d)
      if (m.getDimSize(d) != 1 && offset + d != 1)
        equal.push_back({mask, d, full[offset + d], fullAxis[offset + d]});
  }
  for (auto [x, a, y, b] : equal)
    if (failed(unify(op, classes, x, a, y, b)))
      return failure();
  return success();
}
} // namespace

FailureOr<DimSymbols> DimSymbols::analyze(func::FuncOp func) {
  llvm::EquivalenceClasses<DimRef> classes;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (auto shaped = dyn_cast<ShapedType>(type))
      for (int64_t d = 0; d < shaped.getRank(); ++d)
        if (shaped.isDynamicDim(d))
          classes.insert(DimRef{unsigned(i), unsigned(d)});
  WalkResult walk = func.walk([&](HybridAttentionOp op) {
    return failed(collectHybridConstraints(op, classes))
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  DimSymbols result;
  std::map<DimRef, int64_t> leaderSymbol;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped)
      continue;
    for (int64_t d = 0; d < shaped.getRank(); ++d) {
      if (!shaped.isDynamicDim(d))
        continue;
      DimRef leader = classes.getLeaderValue(DimRef{unsigned(i), unsigned(d)});
      auto [it, inserted] = leaderSymbol.insert({leader, result.numSymbols_});
      if (inserted)
        ++result.numSymbols_;
      result.symbols_[{unsigned(i), unsigned(d)}] = it->second;
    }
  }
  return result;
}

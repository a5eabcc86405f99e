//===- DimSymbols.cpp - dynamic sizes as shared symbols -------------------===//

#include "DimSymbols.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;
using namespace mlir::hydra;

namespace {
using DimRef = std::pair<unsigned, unsigned>; // (input, axis)

/// Sizes traced to expressions over one symbol per dynamic input dim
/// (numbered in order of first sight), and the pairs that must agree.
struct Constraints {
  explicit Constraints(MLIRContext *ctx)
      : tracer(ctx, [this, ctx](unsigned arg,
                                unsigned axis) -> std::optional<AffineExpr> {
          auto [it, inserted] = symbolOf.insert({{arg, axis}, refs.size()});
          if (inserted)
            refs.push_back({arg, axis});
          return getAffineSymbolExpr(it->second, ctx);
        }, hydraOpDim) {}
  SizeTracer tracer;
  std::map<DimRef, unsigned> symbolOf;
  SmallVector<DimRef> refs;
  SmallVector<std::tuple<Operation *, AffineExpr, AffineExpr>> equal;
};

/// Records that dim `a` of `x` must equal dim `b` of `y`; two static sizes
/// are the op verifier's business.
LogicalResult require(Operation *op, Constraints &c, Value x, int64_t a,
                      Value y, int64_t b) {
  if (!x || !y)
    return success();
  auto tx = cast<ShapedType>(x.getType()), ty = cast<ShapedType>(y.getType());
  if (!tx.isDynamicDim(a) && !ty.isDynamicDim(b))
    return success();
  FailureOr<AffineExpr> ex = c.tracer.dim(x, a), ey = c.tracer.dim(y, b);
  if (failed(ex) || failed(ey))
    return op->emitOpError()
           << "not supported: a dynamic size of an operand that cannot be "
              "traced to the function's input sizes";
  c.equal.push_back({op, *ex, *ey});
  return success();
}

/// The size equalities hydra.hybrid_attention requires among its operands.
LogicalResult collectHybridConstraints(HybridAttentionOp op, Constraints &c) {
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
    if (failed(require(op, c, x, a, y, b)))
      return failure();
  return success();
}
} // namespace

std::optional<std::pair<Value, int64_t>>
mlir::hydra::hydraOpDim(OpResult result, int64_t axis) {
  Operation *op = result.getOwner();
  if (auto hybrid = dyn_cast<HybridAttentionOp>(op))
    return std::make_pair(axis == 3 ? hybrid.getValue() : hybrid.getQuery(),
                          axis);
  if (isa<RMSNormOp>(op))
    return std::make_pair(op->getOperand(0), axis);
  return std::nullopt;
}

FailureOr<DimSymbols> DimSymbols::analyze(func::FuncOp func) {
  llvm::EquivalenceClasses<DimRef> classes;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (auto shaped = dyn_cast<ShapedType>(type))
      for (int64_t d = 0; d < shaped.getRank(); ++d)
        if (shaped.isDynamicDim(d))
          classes.insert(DimRef{unsigned(i), unsigned(d)});
  Constraints c(func.getContext());
  WalkResult walk = func.walk([&](HybridAttentionOp op) {
    return failed(collectHybridConstraints(op, c)) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  // Two input dims that must agree share a symbol (the runtime checks the
  // inputs against each other); then every other pair must be the same
  // expression once each dim stands for its class.
  for (auto [op, x, y] : c.equal)
    if (auto sx = dyn_cast<AffineSymbolExpr>(x))
      if (auto sy = dyn_cast<AffineSymbolExpr>(y))
        classes.unionSets(c.refs[sx.getPosition()], c.refs[sy.getPosition()]);
  SmallVector<AffineExpr> leaders;
  for (DimRef ref : c.refs)
    leaders.push_back(getAffineSymbolExpr(
        c.symbolOf.at(classes.getLeaderValue(ref)), func.getContext()));
  for (auto [op, x, y] : c.equal) {
    AffineExpr lx = simplifyAffineExpr(x.replaceSymbols(leaders), 0,
                                       leaders.size());
    AffineExpr ly = simplifyAffineExpr(y.replaceSymbols(leaders), 0,
                                       leaders.size());
    if (lx == ly)
      continue;
    if (isa<AffineConstantExpr>(lx) || isa<AffineConstantExpr>(ly))
      return op->emitOpError()
             << "not supported: a dynamic size that must equal a static one; "
                "make the input's size static";
    return op->emitOpError()
           << "not supported: two sizes that must agree are different "
              "expressions of the input sizes";
  }
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

//===- DimSymbols.cpp - dynamic sizes as shared symbols -------------------===//

#include "DimSymbols.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;
using namespace mlir::hydra;

namespace {
using DimRef = std::pair<unsigned, unsigned>; // (input, axis)

/// Sizes traced to expressions over one symbol per dynamic input dim
/// (numbered in order of first sight), and the pairs that must agree.
struct Constraints {
  explicit Constraints(MLIRContext *ctx)
      : tracer(
            ctx,
            [this, ctx](unsigned arg,
                        unsigned axis) -> std::optional<AffineExpr> {
              auto [it, inserted] =
                  symbolOf.insert({{arg, axis}, unsigned(refs.size())});
              if (inserted)
                refs.push_back({arg, axis});
              return getAffineSymbolExpr(it->second, ctx);
            },
            hydraResultDim) {}
  SizeTracer tracer;
  std::map<DimRef, unsigned> symbolOf;
  SmallVector<DimRef> refs;
  /// Sizes that must agree, and what it means when they do not ("":
  /// operand shapes that do not fit together).
  SmallVector<std::tuple<Operation *, AffineExpr, AffineExpr, std::string>>
      equal;
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
  c.equal.push_back({op, *ex, *ey, ""});
  return success();
}

/// hydra.size_check: the importer's run-time conditions on sizes read
/// from data.
LogicalResult collectSizeCheck(SizeCheckOp op, Constraints &c) {
  FailureOr<AffineExpr> lhs = c.tracer.size(op.getLhs()),
                        rhs = c.tracer.size(op.getRhs());
  if (failed(lhs) || failed(rhs))
    return op->emitOpError()
           << "not supported: a checked size that cannot be traced to the "
              "function's input sizes and values";
  c.equal.push_back({op, *lhs, *rhs, op.getNote().str()});
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
  // The F heads' keys: the caches when given (one length for both).
  Value keys = k;
  if (Value fk = op.getFullKey()) {
    Value fv = op.getFullValue();
    equal.append({{q, 0, fk, 0}, {q, 0, fv, 0}, {fk, 2, fv, 2}});
    keys = fk;
  }
  equal.push_back({q, 0, op.getInitialState(), 0});
  if (mask) {
    auto m = cast<ShapedType>(mask.getType());
    int64_t offset = 4 - m.getRank();
    Value full[] = {q, q, q, keys};
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
/// Operand dims a linalg op indexes by one loop must agree (an elementwise
/// op's inputs, a matmul's contraction): the generated loops read every
/// operand over the loop's range.
LogicalResult collectLoopConstraints(linalg::LinalgOp op, Constraints &c) {
  if (!op.hasPureTensorSemantics())
    return success();
  std::map<unsigned, std::pair<Value, int64_t>> first;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [d, e] : llvm::enumerate(map.getResults())) {
      auto loop = dyn_cast<AffineDimExpr>(e);
      if (!loop)
        continue;
      auto [it, inserted] =
          first.insert({loop.getPosition(), {operand.get(), int64_t(d)}});
      if (!inserted && failed(require(op, c, it->second.first,
                                      it->second.second, operand.get(), d)))
        return failure();
    }
  }
  return success();
}

/// tensor.concat's operands agree off the concatenated axis.
LogicalResult collectConcatConstraints(tensor::ConcatOp op, Constraints &c) {
  Value head = op.getInputs().front();
  for (Value in : op.getInputs().drop_front())
    for (int64_t d = 0; d < op.getRank(); ++d)
      if (d != int64_t(op.getDim()) && failed(require(op, c, head, d, in, d)))
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
  // Dims of one dim_param are one size (the importer relied on it).
  std::map<StringRef, DimRef> named;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto dims = func.getArgAttrOfType<ArrayAttr>(i, "hydra.dims"))
      for (auto [d, name] : llvm::enumerate(dims.getAsValueRange<StringAttr>()))
        if (!name.empty() &&
            cast<ShapedType>(func.getArgumentTypes()[i]).isDynamicDim(d)) {
          DimRef ref{i, unsigned(d)};
          classes.unionSets(named.insert({name, ref}).first->second, ref);
        }
  Constraints c(func.getContext());
  WalkResult walk = func.walk([&](Operation *op) {
    LogicalResult ok = success();
    if (auto hybrid = dyn_cast<HybridAttentionOp>(op))
      ok = collectHybridConstraints(hybrid, c);
    else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      ok = collectLoopConstraints(linalgOp, c);
    else if (auto concat = dyn_cast<tensor::ConcatOp>(op))
      ok = collectConcatConstraints(concat, c);
    else if (auto check = dyn_cast<SizeCheckOp>(op))
      ok = collectSizeCheck(check, c);
    return failed(ok) ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  // Two input dims that must agree share a symbol (the runtime checks the
  // inputs against each other); then every other pair must be the same
  // expression once each dim stands for its class.
  for (auto &[op, x, y, note] : c.equal)
    if (auto sx = dyn_cast<AffineSymbolExpr>(x))
      if (auto sy = dyn_cast<AffineSymbolExpr>(y))
        classes.unionSets(c.refs[sx.getPosition()], c.refs[sy.getPosition()]);
  // Each traced dim stands for the first traced dim of its class (the
  // class's leader may be a dim no op size was traced to: one dim_param
  // on two inputs, one of them read only where its size is not needed).
  SmallVector<AffineExpr> leaders;
  std::map<DimRef, unsigned> classSymbol;
  for (auto [k, ref] : llvm::enumerate(c.refs)) {
    auto it = classSymbol.insert({classes.getLeaderValue(ref), unsigned(k)});
    leaders.push_back(getAffineSymbolExpr(it.first->second, func.getContext()));
  }
  SmallVector<Check> unproven;
  unsigned numTerms = c.tracer.terms().size();
  for (auto &[op, x, y, note] : c.equal) {
    AffineExpr lx = simplifySize(x.replaceSymbols(leaders), numTerms);
    AffineExpr ly = simplifySize(y.replaceSymbols(leaders), numTerms);
    if (lx == ly)
      continue;
    if (isa<AffineConstantExpr>(lx) && isa<AffineConstantExpr>(ly))
      return op->emitOpError()
             << "sizes " << cast<AffineConstantExpr>(lx).getValue() << " and "
             << cast<AffineConstantExpr>(ly).getValue() << " must agree"
             << (note.empty() ? "" : ": ") << note;
    unproven.push_back({lx, ly, note});
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
  // The unproven equalities over the final symbols.
  SmallVector<AffineExpr> final;
  for (DimRef ref : c.refs)
    final.push_back(
        getAffineSymbolExpr(result.symbols_.at(ref), func.getContext()));
  for (const Check &u : unproven)
    result.checks_.push_back(
        {simplifySize(u.lhs.replaceSymbols(final), numTerms),
         simplifySize(u.rhs.replaceSymbols(final), numTerms), u.note});
  for (SizeTerm x : c.tracer.terms()) {
    x.lhs = simplifySize(x.lhs.replaceSymbols(final), numTerms);
    x.rhs = simplifySize(x.rhs.replaceSymbols(final), numTerms);
    result.terms_.push_back(x);
  }
  return result;
}

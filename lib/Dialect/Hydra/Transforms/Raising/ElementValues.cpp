//===- ElementValues.cpp - what index and bool tensors hold ---------------===//

#include "Raising/ElementValues.h"

#include "mlir/Analysis/FlatLinearValueConstraints.h"
#include "mlir/Analysis/Presburger/IntegerRelation.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::hydra;

/// One element: an integer expression or a bool predicate.
/// One element: an integer expression, a bool predicate, or a float that
/// is `onTrue` where `pred` holds and `onFalse` elsewhere (a constant, or
/// a select between two: Trilu of a −∞ fill, Where(bool, 0, −∞)).
struct ElementValues::Scalar {
  enum Kind { Int, Bool, Float } kind = Int;
  AffineExpr value;
  Predicate pred;
  double onTrue = 0, onFalse = 0;

  bool isBool() const { return kind == Bool; }
  bool isInt() const { return kind == Int; }
  static Scalar ofInt(AffineExpr e) { return {Int, e, {}, 0, 0}; }
  static Scalar ofBool(Predicate p) { return {Bool, {}, std::move(p), 0, 0}; }
  static Scalar ofFloat(Predicate p, double t, double f) {
    return {Float, {}, std::move(p), t, f};
  }
};

/// A tensor's elements as a function of its indices d0 … d(rank−1): a
/// closed form, a read of another tensor at index expressions (views), or
/// the pieces of a concatenation.
struct mlir::hydra::ElementFunction {
  enum Kind { Integer, Bool, Float, View, Concat } kind;
  AffineExpr value;                              // Integer
  Predicate pred;                                // Bool, Float
  double onTrue = 0, onFalse = 0;                // Float
  std::shared_ptr<const ElementFunction> source; // View
  SmallVector<AffineExpr> index;                 // View: the source's index
  int64_t dim = 0;                               // Concat
  struct Piece {
    AffineExpr offset, size;
    std::shared_ptr<const ElementFunction> fn;
  };
  SmallVector<Piece> pieces; // Concat
};

namespace {
using Function = ElementFunction;

Atom negated(Atom a) {
  assert(!a.equality && "the negation of an equality is not one atom");
  return {-a.expr - 1, false};
}

Predicate substituted(const Predicate &p, ArrayRef<AffineExpr> dims) {
  Predicate q{p.never, {}};
  for (const Atom &a : p.atoms)
    q.atoms.push_back({a.expr.replaceDims(dims), a.equality});
  return q;
}

std::optional<int64_t> constantOf(AffineExpr e) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue();
  return std::nullopt;
}
} // namespace

static func::FuncOp enclosingFunction(Operation *op) {
  if (auto f = dyn_cast<func::FuncOp>(op))
    return f;
  return op->getParentOfType<func::FuncOp>();
}

// The tracer names a function argument's dim by the analysis' symbol for
// it; what the tracer cannot follow becomes a symbol of its own.
ElementValues::ElementValues(Operation *scope)
    : ctx(scope->getContext()),
      tracer(ctx,
             [this, f = enclosingFunction(scope)](
                 unsigned arg, unsigned axis) -> std::optional<AffineExpr> {
               func::FuncOp func = f;
               if (!func || arg >= func.getNumArguments())
                 return std::nullopt;
               return symbolFor(func.getArgument(arg), axis,
                                /*nonNegative=*/true);
             }) {}
ElementValues::~ElementValues() = default;

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

AffineExpr ElementValues::symbolFor(Value v, int64_t dim, bool nonNegative) {
  auto [it, inserted] = opaque.try_emplace({v, dim});
  if (inserted) {
    it->second = getAffineSymbolExpr(symbols.size(), ctx);
    symbols.push_back({Symbol::Opaque, {}, {}, nonNegative});
  }
  return it->second;
}

AffineExpr ElementValues::minMaxSymbol(bool isMin, AffineExpr a, AffineExpr b) {
  if (a == b)
    return a;
  auto ca = constantOf(a), cb = constantOf(b);
  if (ca && cb)
    return getAffineConstantExpr(
        isMin ? std::min(*ca, *cb) : std::max(*ca, *cb), ctx);
  AffineExpr s = getAffineSymbolExpr(symbols.size(), ctx);
  symbols.push_back({isMin ? Symbol::Min : Symbol::Max, a, b, false});
  return s;
}

/// The tracer's expression with its argument dims already the analysis'
/// symbols and its terms (dims d_i) turned into min/max symbols, or opaque
/// ones for elements read from data.
AffineExpr ElementValues::fromTracer(AffineExpr e) {
  ArrayRef<SizeTerm> terms = tracer.terms();
  for (size_t i = extremumSymbols.size(); i < terms.size(); ++i) {
    const SizeTerm &x = terms[i];
    if (!x.isExtremum()) {
      extremumSymbols.push_back(getAffineSymbolExpr(symbols.size(), ctx));
      symbols.push_back({Symbol::Opaque, {}, {}, /*nonNegative=*/false});
      continue;
    }
    AffineExpr a = x.lhs.replaceDims(extremumSymbols),
               b = x.rhs.replaceDims(extremumSymbols);
    AffineExpr sym = minMaxSymbol(!x.isMax(), a, b);
    if (auto s = dyn_cast<AffineSymbolExpr>(sym))
      symbols[s.getPosition()].nonNegative |= x.nonNegative;
    extremumSymbols.push_back(sym);
  }
  return e.replaceDims(extremumSymbols);
}

/// Sizes beyond 2^40 (INT64_MAX as "to the end") stay symbols: expressions
/// of them could overflow.
static bool isHuge(AffineExpr e) {
  bool huge = false;
  e.walk([&](AffineExpr x) {
    if (auto c = dyn_cast<AffineConstantExpr>(x))
      huge |= c.getValue() > (int64_t(1) << 40) ||
              c.getValue() < -(int64_t(1) << 40);
  });
  return huge;
}

AffineExpr ElementValues::sizeOf(Value v) {
  FailureOr<AffineExpr> e = tracer.size(v);
  if (succeeded(e) && !isHuge(*e))
    return fromTracer(*e);
  return symbolFor(v, -1, /*nonNegative=*/false);
}

AffineExpr ElementValues::dimSize(Value t, int64_t i) {
  FailureOr<AffineExpr> e = tracer.dim(t, i);
  if (succeeded(e) && !isHuge(*e))
    return fromTracer(*e);
  return symbolFor(t, i, /*nonNegative=*/true);
}

//===----------------------------------------------------------------------===//
// Deciding claims
//===----------------------------------------------------------------------===//

bool ElementValues::isEmpty(unsigned numDims, ArrayRef<Atom> constraints) {
  unsigned numSymbols = symbols.size();
  // The symbols the constraints reach, through min/max definitions.
  llvm::SetVector<unsigned> used;
  auto collect = [&](AffineExpr e) {
    e.walk([&](AffineExpr x) {
      if (auto s = dyn_cast<AffineSymbolExpr>(x))
        used.insert(s.getPosition());
    });
  };
  for (const Atom &a : constraints)
    collect(a.expr);
  for (unsigned k = 0; k < used.size(); ++k)
    if (symbols[used[k]].kind != Symbol::Opaque) {
      collect(symbols[used[k]].a);
      collect(symbols[used[k]].b);
    }

  using presburger::IntegerPolyhedron;
  // A constraint that does not flatten is left out: the set only grows, so
  // an empty answer stays right.
  auto add = [&](IntegerPolyhedron &p, Atom a) {
    // Only pure affine expressions over the frame's dims and the known
    // symbols flatten (MLIR's flattener does not check positions).
    bool inRange = a.expr.isPureAffine();
    a.expr.walk([&](AffineExpr x) {
      if (auto d = dyn_cast<AffineDimExpr>(x))
        inRange &= d.getPosition() < numDims;
      if (auto s = dyn_cast<AffineSymbolExpr>(x))
        inRange &= s.getPosition() < numSymbols;
    });
    if (!inRange)
      return;
    SmallVector<int64_t> flat;
    if (failed(getFlattenedAffineExpr(a.expr, numDims, numSymbols, &flat)) ||
        flat.size() != numDims + numSymbols + 1)
      return;
    if (a.equality)
      p.addEquality(flat);
    else
      p.addInequality(flat);
  };
  IntegerPolyhedron base(
      presburger::PresburgerSpace::getSetSpace(numDims + numSymbols));
  for (const Atom &a : constraints)
    add(base, a);
  SmallVector<unsigned> splits;
  for (unsigned k : used) {
    const Symbol &s = symbols[k];
    AffineExpr x = getAffineSymbolExpr(k, ctx);
    if (s.kind == Symbol::Opaque) {
      if (s.nonNegative)
        add(base, {x, false});
      continue;
    }
    bool isMin = s.kind == Symbol::Min;
    add(base, {isMin ? s.a - x : x - s.a, false});
    add(base, {isMin ? s.b - x : x - s.b, false});
    splits.push_back(k);
  }
  // min and max are one of their operands: decided case by case.
  if (splits.size() > 12)
    return false;
  std::function<bool(unsigned, const IntegerPolyhedron &)> empty =
      [&](unsigned k, const IntegerPolyhedron &p) {
        if (p.isEmpty())
          return true;
        if (k == splits.size())
          return false;
        const Symbol &s = symbols[splits[k]];
        AffineExpr x = getAffineSymbolExpr(splits[k], ctx);
        for (AffineExpr branch : {s.a, s.b}) {
          IntegerPolyhedron q = p;
          add(q, {x - branch, true});
          if (!empty(k + 1, q))
            return false;
        }
        return true;
      };
  return empty(0, base);
}

bool ElementValues::implies(const Frame &frame, ArrayRef<Atom> assumed,
                            Atom claim) {
  SmallVector<Atom> base(assumed.begin(), assumed.end());
  for (auto [i, size] : llvm::enumerate(frame.sizes)) {
    AffineExpr d = getAffineDimExpr(i, ctx);
    base.push_back({d, false});
    base.push_back({size - 1 - d, false});
  }
  unsigned n = frame.sizes.size();
  auto emptyWith = [&](Atom extra) {
    SmallVector<Atom> c = base;
    c.push_back(extra);
    return isEmpty(n, c);
  };
  if (!claim.equality)
    return emptyWith(negated(claim));
  return emptyWith({claim.expr - 1, false}) &&
         emptyWith({-claim.expr - 1, false});
}

bool ElementValues::implies(const Frame &frame, ArrayRef<Atom> assumed,
                            const Predicate &pred) {
  if (pred.never)
    return implies(frame, assumed, Atom{getAffineConstantExpr(-1, ctx)});
  return llvm::all_of(pred.atoms,
                      [&](Atom a) { return implies(frame, assumed, a); });
}

//===----------------------------------------------------------------------===//
// Element functions
//===----------------------------------------------------------------------===//

std::optional<ElementValues::Scalar>
ElementValues::at(const FunctionPtr &f, ArrayRef<AffineExpr> index,
                  const Frame &frame) {
  if (!f)
    return std::nullopt;
  switch (f->kind) {
  case Function::Integer:
    return Scalar::ofInt(f->value.replaceDims(index));
  case Function::Bool:
    return Scalar::ofBool(substituted(f->pred, index));
  case Function::Float:
    return Scalar::ofFloat(substituted(f->pred, index), f->onTrue, f->onFalse);
  case Function::View: {
    SmallVector<AffineExpr> inner;
    for (AffineExpr e : f->index)
      inner.push_back(e.replaceDims(index));
    return at(f->source, inner, frame);
  }
  case Function::Concat:
    break;
  }
  // A read that stays in one piece is that piece's; otherwise the pieces
  // must agree on one integer expression where each one holds.
  AffineExpr along = index[f->dim];
  auto piece = [&](const Function::Piece &p) {
    SmallVector<AffineExpr> local(index.begin(), index.end());
    local[f->dim] = along - p.offset;
    return at(p.fn, local, frame);
  };
  auto inside = [&](const Function::Piece &p) -> SmallVector<Atom> {
    return {{along - p.offset, false}, {p.offset + p.size - 1 - along, false}};
  };
  for (const Function::Piece &p : f->pieces)
    if (implies(frame, {}, inside(p)[0]) && implies(frame, {}, inside(p)[1]))
      return piece(p);
  std::optional<Scalar> merged = piece(f->pieces.back());
  if (!merged || !merged->isInt())
    return std::nullopt;
  for (const Function::Piece &p : ArrayRef(f->pieces).drop_back()) {
    std::optional<Scalar> s = piece(p);
    if (!s || !s->isInt() ||
        !implies(frame, inside(p), Atom{s->value - merged->value, true}))
      return std::nullopt;
  }
  return merged;
}

ElementValues::FunctionPtr ElementValues::functionOf(Value v) {
  if (auto it = functions.find(v); it != functions.end())
    return it->second;
  FunctionPtr f = compute(v);
  functions[v] = f;
  return f;
}

ElementValues::FunctionPtr ElementValues::compute(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !isa<IntegerType, IndexType, FloatType>(type.getElementType()))
    return nullptr;
  bool isBool = type.getElementType().isInteger(1);
  bool isFloat = isa<FloatType>(type.getElementType());
  Operation *def = v.getDefiningOp();
  if (!def)
    return nullptr;
  auto constant = [&](Attribute value) -> FunctionPtr {
    auto f = std::make_shared<Function>();
    if (auto x = dyn_cast_or_null<FloatAttr>(value)) {
      f->kind = Function::Float;
      f->onTrue = f->onFalse = x.getValueAsDouble();
      return f;
    }
    auto i = dyn_cast_or_null<IntegerAttr>(value);
    if (!i || i.getValue().getSignificantBits() > 40)
      return nullptr;
    if (isBool) {
      f->kind = Function::Bool;
      f->pred.never = i.getValue().isZero();
    } else {
      f->kind = Function::Integer;
      f->value = getAffineConstantExpr(i.getValue().getSExtValue(), ctx);
    }
    return f;
  };
  auto view = [&](Value source, SmallVector<AffineExpr> index) {
    auto f = std::make_shared<Function>();
    f->kind = Function::View;
    f->source = functionOf(source);
    f->index = std::move(index);
    return f->source ? f : nullptr;
  };
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto ofr = [&](OpFoldResult s) {
    if (auto a = dyn_cast<Attribute>(s))
      return getAffineConstantExpr(cast<IntegerAttr>(a).getInt(), ctx);
    return sizeOf(cast<Value>(s));
  };

  DenseElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)))
    return dense.isSplat() ? constant(dense.getSplatValue<Attribute>())
                           : nullptr;
  if (auto fill = dyn_cast<linalg::FillOp>(def)) {
    Attribute value;
    if (!matchPattern(fill.getInputs()[0], m_Constant(&value)))
      return nullptr;
    return constant(value);
  }
  if (isa<linalg::GenericOp>(def))
    return interpretGeneric(def, cast<OpResult>(v).getResultNumber());
  if (auto x = dyn_cast<tensor::ExpandShapeOp>(def)) {
    // Each source index is its group's index, linearized; groups with more
    // than one dynamic size are not modelled.
    SmallVector<AffineExpr> index;
    for (ReassociationIndices group : x.getReassociationIndices()) {
      AffineExpr linear = getAffineConstantExpr(0, ctx);
      bool first = true;
      for (int64_t j : group) {
        if (type.getDimSize(j) == 1)
          continue; // always read at 0
        if (!first && type.isDynamicDim(j))
          return nullptr;
        linear = first ? d(j) : linear * type.getDimSize(j) + d(j);
        first = false;
      }
      index.push_back(linear);
    }
    return view(x.getSrc(), index);
  }
  if (auto x = dyn_cast<tensor::CollapseShapeOp>(def)) {
    // Only groups of unit dims around at most one other.
    SmallVector<AffineExpr> index;
    auto srcType = cast<RankedTensorType>(x.getSrc().getType());
    for (auto [i, group] : llvm::enumerate(x.getReassociationIndices())) {
      int others = 0;
      for (int64_t j : group) {
        bool unit = srcType.getDimSize(j) == 1;
        others += !unit;
        index.push_back(unit ? getAffineConstantExpr(0, ctx) : d(i));
      }
      if (others > 1)
        return nullptr;
    }
    return view(x.getSrc(), index);
  }
  if (auto x = dyn_cast<tensor::ExtractSliceOp>(def)) {
    llvm::SmallBitVector dropped = x.getDroppedDims();
    SmallVector<AffineExpr> index;
    unsigned next = 0;
    for (auto [k, offset, stride] :
         llvm::enumerate(x.getMixedOffsets(), x.getMixedStrides())) {
      AffineExpr o = ofr(offset), s = ofr(stride);
      if (!constantOf(s))
        return nullptr;
      index.push_back(dropped[k] ? o : o + s * d(next++));
    }
    return view(x.getSource(), index);
  }
  if (auto x = dyn_cast<tensor::FromElementsOp>(def)) {
    // Sizes made tensors (Shape, Size, a past length): one element, or a
    // row of them as unit pieces.
    if (isBool || isFloat || type.getRank() > 1 || x.getElements().empty())
      return nullptr;
    auto element = [&](Value e) {
      auto f = std::make_shared<Function>();
      f->kind = Function::Integer;
      f->value = sizeOf(e);
      return f;
    };
    if (x.getElements().size() == 1)
      return element(x.getElements()[0]);
    auto f = std::make_shared<Function>();
    f->kind = Function::Concat;
    for (auto [i, e] : llvm::enumerate(x.getElements()))
      f->pieces.push_back({getAffineConstantExpr(i, ctx),
                           getAffineConstantExpr(1, ctx), element(e)});
    return f;
  }
  if (auto x = dyn_cast<tensor::ConcatOp>(def)) {
    auto f = std::make_shared<Function>();
    f->kind = Function::Concat;
    f->dim = x.getDim();
    AffineExpr offset = getAffineConstantExpr(0, ctx);
    for (Value in : x.getInputs()) {
      AffineExpr size = dimSize(in, f->dim);
      FunctionPtr piece = functionOf(in);
      if (!piece)
        return nullptr;
      f->pieces.push_back({offset, size, piece});
      offset = offset + size;
    }
    return f;
  }
  if (auto x = dyn_cast<linalg::TransposeOp>(def)) {
    // result dim i is input dim perm[i].
    SmallVector<AffineExpr> index(type.getRank());
    for (auto [i, p] : llvm::enumerate(x.getPermutation()))
      index[p] = d(i);
    return view(x.getInput(), index);
  }
  if (auto x = dyn_cast<linalg::BroadcastOp>(def)) {
    SmallVector<AffineExpr> index;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (!llvm::is_contained(x.getDimensions(), i))
        index.push_back(d(i));
    return view(x.getInput(), index);
  }
  if (auto x = dyn_cast<tensor::CastOp>(def)) {
    SmallVector<AffineExpr> index;
    for (int64_t i = 0; i < type.getRank(); ++i)
      index.push_back(d(i));
    return view(x.getSource(), index);
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// linalg.generic bodies
//===----------------------------------------------------------------------===//

ElementValues::FunctionPtr ElementValues::interpretGeneric(Operation *op,
                                                           unsigned result) {
  auto g = cast<linalg::GenericOp>(op);
  unsigned loops = g.getNumLoops();
  SmallVector<AffineExpr> loopSizes(loops);
  for (OpOperand &operand : g->getOpOperands()) {
    if (!isa<ShapedType>(operand.get().getType()))
      continue;
    for (auto [k, e] :
         llvm::enumerate(g.getMatchingIndexingMap(&operand).getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(e);
          dim && !loopSizes[dim.getPosition()])
        loopSizes[dim.getPosition()] = dimSize(operand.get(), k);
  }
  if (llvm::any_of(loopSizes, [](AffineExpr s) { return !s; }))
    return nullptr;
  Frame frame{loopSizes};
  OpOperand *init = g.getDpsInitOperand(result);
  AffineMap outMap = g.getMatchingIndexingMap(init);
  bool reduction = g.getNumReductionLoops() > 0;
  if (!reduction && !outMap.isIdentity())
    return nullptr;

  Block &body = g.getRegion().front();
  DenseMap<Value, Scalar> env;
  for (OpOperand *in : g.getDpsInputOperands()) {
    BlockArgument arg = body.getArgument(in->getOperandNumber());
    if (arg.use_empty())
      continue;
    SmallVector<AffineExpr> index(g.getMatchingIndexingMap(in).getResults());
    if (auto s = at(functionOf(in->get()), index, frame))
      env[arg] = *s;
  }
  auto get = [&](Value v) -> std::optional<Scalar> {
    if (auto it = env.find(v); it != env.end())
      return it->second;
    if (v.getParentRegion() == &g.getRegion())
      return std::nullopt;
    // Values from outside the body: constants and sizes.
    APInt c;
    if (v.getType().isInteger(1)) {
      if (!matchPattern(v, m_ConstantInt(&c)))
        return std::nullopt;
      return Scalar::ofBool(Predicate{c.isZero(), {}});
    }
    FloatAttr f;
    if (matchPattern(v, m_Constant(&f))) {
      double c = f.getValueAsDouble();
      return Scalar::ofFloat(Predicate{}, c, c);
    }
    if (!v.getType().isIntOrIndex())
      return std::nullopt;
    return Scalar::ofInt(sizeOf(v));
  };
  auto integer = [&](AffineExpr e) { return Scalar::ofInt(e); };
  auto boolean = [&](Predicate p) { return Scalar::ofBool(p); };
  auto truth = [&](bool b) { return boolean(Predicate{!b, {}}); };
  // An atom decided over the loop space is a constant.
  auto decide = [&](Atom a) {
    if (implies(frame, {}, a))
      return truth(true);
    bool never = a.equality ? implies(frame, {}, Atom{a.expr - 1, false}) ||
                                  implies(frame, {}, Atom{-a.expr - 1, false})
                            : implies(frame, {}, negated(a));
    if (never)
      return truth(false);
    return boolean(Predicate{false, {a}});
  };

  for (Operation &o : body.without_terminator()) {
    if (o.getNumResults() != 1)
      continue;
    SmallVector<Scalar> args;
    bool known = true;
    for (Value operand : o.getOperands()) {
      std::optional<Scalar> s = get(operand);
      if (!s)
        known = false;
      else
        args.push_back(*s);
    }
    std::optional<Scalar> r;
    auto allInts = [&] {
      return known &&
             llvm::all_of(args, [](const Scalar &s) { return s.isInt(); });
    };
    if (auto index = dyn_cast<linalg::IndexOp>(o)) {
      r = integer(getAffineDimExpr(index.getDim(), ctx));
    } else if (auto extract = dyn_cast<tensor::ExtractOp>(o)) {
      SmallVector<AffineExpr> index;
      for (Value i : extract.getIndices()) {
        std::optional<Scalar> s = get(i);
        if (!s || !s->isInt())
          break;
        index.push_back(s->value);
      }
      if (index.size() == extract.getIndices().size())
        r = at(functionOf(extract.getTensor()), index, frame);
    } else if (auto c = dyn_cast<arith::ConstantOp>(o)) {
      if (auto i = dyn_cast<IntegerAttr>(c.getValue());
          i && i.getValue().getSignificantBits() <= 40)
        r = c.getType().isInteger(1) ? truth(!i.getValue().isZero())
                                     : integer(getAffineConstantExpr(
                                           i.getValue().getSExtValue(), ctx));
      if (auto f = dyn_cast<FloatAttr>(c.getValue()))
        r = Scalar::ofFloat(Predicate{}, f.getValueAsDouble(),
                            f.getValueAsDouble());
    } else if (!known) {
      // Every other op needs all its operands.
    } else if (isa<arith::AddIOp, arith::SubIOp>(o) && allInts()) {
      r = integer(isa<arith::AddIOp>(o) ? args[0].value + args[1].value
                                        : args[0].value - args[1].value);
    } else if (isa<arith::MulIOp>(o) && allInts() &&
               (constantOf(args[0].value) || constantOf(args[1].value))) {
      r = integer(args[0].value * args[1].value);
    } else if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
                   arith::TruncIOp>(o) &&
               allInts()) {
      r = args[0];
    } else if (isa<arith::ExtUIOp, arith::ExtSIOp>(o) && args[0].isBool()) {
      if (args[0].pred.isTrue())
        r = integer(
            getAffineConstantExpr(isa<arith::ExtUIOp>(o) ? 1 : -1, ctx));
      else if (args[0].pred.never)
        r = integer(getAffineConstantExpr(0, ctx));
    } else if (isa<arith::ExtUIOp>(o) && allInts()) {
      r = args[0];
    } else if (auto cmp = dyn_cast<arith::CmpIOp>(o); cmp && allInts()) {
      AffineExpr l = args[0].value, rr = args[1].value;
      using P = arith::CmpIPredicate;
      P p = cmp.getPredicate();
      bool isUnsigned = llvm::is_contained({P::ult, P::ule, P::ugt, P::uge}, p);
      // Unsigned orders agree with signed ones on non-negative values.
      if (isUnsigned && !(implies(frame, {}, Atom{l, false}) &&
                          implies(frame, {}, Atom{rr, false})))
        continue;
      switch (p) {
      case P::slt:
      case P::ult:
        r = decide({rr - l - 1, false});
        break;
      case P::sle:
      case P::ule:
        r = decide({rr - l, false});
        break;
      case P::sgt:
      case P::ugt:
        r = decide({l - rr - 1, false});
        break;
      case P::sge:
      case P::uge:
        r = decide({l - rr, false});
        break;
      case P::eq:
        r = decide({l - rr, true});
        break;
      case P::ne: {
        Scalar eq = decide({l - rr, true});
        if (eq.pred.isTrue() || eq.pred.never)
          r = truth(eq.pred.never);
        break;
      }
      }
    } else if (isa<arith::MinSIOp, arith::MaxSIOp>(o) && allInts()) {
      AffineExpr a = args[0].value, b = args[1].value;
      bool isMin = isa<arith::MinSIOp>(o);
      if (implies(frame, {}, Atom{b - a, false}))
        r = integer(isMin ? a : b);
      else if (implies(frame, {}, Atom{a - b, false}))
        r = integer(isMin ? b : a);
    } else if (isa<arith::AndIOp, arith::OrIOp, arith::XOrIOp>(o) &&
               args[0].isBool() && args[1].isBool()) {
      const Predicate &a = args[0].pred, &b = args[1].pred;
      if (isa<arith::AndIOp>(o)) {
        Predicate both{a.never || b.never, a.atoms};
        both.atoms.append(b.atoms.begin(), b.atoms.end());
        r = boolean(both.never ? Predicate{true, {}} : both);
      } else if (isa<arith::OrIOp>(o)) {
        if (a.isTrue() || b.never)
          r = args[0];
        else if (b.isTrue() || a.never)
          r = args[1];
      } else {
        // x xor true is not x: one inequality negates into one.
        for (int i = 0; i < 2 && !r; ++i) {
          const Predicate &c = i ? a : b, &x = i ? b : a;
          if (c.never)
            r = boolean(x);
          else if (c.isTrue() && (x.isTrue() || x.never))
            r = truth(x.never);
          else if (c.isTrue() && x.atoms.size() == 1 && !x.atoms[0].equality)
            r = boolean(Predicate{false, {negated(x.atoms[0])}});
        }
      }
    } else if (isa<arith::SelectOp>(o) && args[0].isBool()) {
      const Scalar &a = args[1], &b = args[2];
      auto constantFloat = [](const Scalar &x) {
        return x.kind == Scalar::Float && x.pred.isTrue();
      };
      if (args[0].pred.isTrue())
        r = a;
      else if (args[0].pred.never)
        r = b;
      else if (a.isInt() && b.isInt() && a.value == b.value)
        r = a;
      else if (constantFloat(a) && constantFloat(b))
        r = Scalar::ofFloat(args[0].pred, a.onTrue, b.onTrue);
    } else if (isa<arith::ExtFOp, arith::TruncFOp>(o) &&
               args[0].kind == Scalar::Float) {
      // ±∞, 0 and the lowest floats keep their meaning for a mask.
      r = args[0];
    }
    if (r)
      env[o.getResult(0)] = *r;
  }

  Value yielded = body.getTerminator()->getOperand(result);
  if (reduction) {
    // A sum of zeros from a zero init is the init: CumSum and ReduceSum of
    // a tensor the analysis shows to be 0 (transformers' packed-sequence
    // check).
    auto add = yielded.getDefiningOp<arith::AddIOp>();
    BlockArgument acc = body.getArgument(init->getOperandNumber());
    if (!add || add->getParentRegion() != &g.getRegion())
      return nullptr;
    Value other = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
    std::optional<Scalar> s = other ? get(other) : std::nullopt;
    FunctionPtr start = functionOf(init->get());
    if (!s || !s->isInt() || constantOf(s->value) != 0 || !start ||
        start->kind != Function::Integer || constantOf(start->value) != 0)
      return nullptr;
    return start;
  }
  std::optional<Scalar> s = get(yielded);
  if (!s)
    return nullptr;
  auto f = std::make_shared<Function>();
  f->kind = s->isBool()  ? Function::Bool
            : s->isInt() ? Function::Integer
                         : Function::Float;
  f->value = s->value;
  f->pred = s->pred;
  f->onTrue = s->onTrue;
  f->onFalse = s->onFalse;
  return f;
}

std::optional<Predicate> ElementValues::predicateAt(Value v,
                                                    ArrayRef<AffineExpr> index,
                                                    const Frame &frame) {
  std::optional<Scalar> s = at(functionOf(v), index, frame);
  if (!s || !s->isBool())
    return std::nullopt;
  return s->pred;
}

std::optional<Predicate> ElementValues::keptAt(Value mask,
                                               ArrayRef<AffineExpr> index,
                                               const Frame &frame,
                                               double dropAtMost) {
  std::optional<Scalar> s = at(functionOf(mask), index, frame);
  if (!s)
    return std::nullopt;
  if (s->isBool())
    return s->pred;
  if (s->kind != Scalar::Float)
    return std::nullopt;
  // Added to the scores: 0 keeps a score, a value at most `dropAtMost`
  // drops it.
  auto keeps = [](double x) { return x == 0.0; };
  auto drops = [&](double x) { return x <= dropAtMost; };
  if (keeps(s->onTrue) && (s->pred.isTrue() || drops(s->onFalse)))
    return s->pred;
  if (drops(s->onTrue) && keeps(s->onFalse)) {
    // Kept where the predicate fails: one inequality negates into one.
    if (s->pred.never)
      return Predicate{};
    if (s->pred.atoms.size() == 1 && !s->pred.atoms[0].equality)
      return Predicate{false, {negated(s->pred.atoms[0])}};
    if (s->pred.isTrue())
      return Predicate{true, {}};
  }
  return std::nullopt;
}

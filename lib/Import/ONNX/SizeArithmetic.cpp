//===- SizeArithmetic.cpp - index arithmetic the artifact can say ---------===//

#include "SizeArithmetic.h"
#include "ShapeArithmetic.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

static Value indexValue(OpBuilder &b, Location loc, OpFoldResult f) {
  return getValueOrCreateConstantIndexOp(b, loc, f);
}

OpFoldResult mlir::hydra::onnx_import::combine(OpBuilder &b, Location loc,
                                               Arith k, OpFoldResult a,
                                               OpFoldResult c) {
  std::optional<int64_t> x = getConstantIntValue(a), y = getConstantIntValue(c);
  if (x && y) {
    int64_t r = 0;
    switch (k) {
    case Arith::Add:
      r = wrapAdd(*x, *y);
      break;
    case Arith::Sub:
      r = wrapSub(*x, *y);
      break;
    case Arith::Mul:
      r = wrapMul(*x, *y);
      break;
    case Arith::Div:
      r = wrapDiv(*x, *y);
      break;
    case Arith::Mod:
      r = wrapMod(*x, *y, /*fmod=*/false);
      break;
    case Arith::Max:
      r = std::max(*x, *y);
      break;
    case Arith::Min:
      r = std::min(*x, *y);
      break;
    }
    return b.getIndexAttr(r);
  }
  Value u = indexValue(b, loc, a), v = indexValue(b, loc, c);
  switch (k) {
  case Arith::Add:
    return arith::AddIOp::create(b, loc, u, v).getResult();
  case Arith::Sub:
    return arith::SubIOp::create(b, loc, u, v).getResult();
  case Arith::Mul:
    return arith::MulIOp::create(b, loc, u, v).getResult();
  case Arith::Div:
    return arith::DivSIOp::create(b, loc, u, v).getResult();
  case Arith::Mod:
    return arith::RemSIOp::create(b, loc, u, v).getResult();
  case Arith::Max:
    return arith::MaxSIOp::create(b, loc, u, v).getResult();
  case Arith::Min:
    return arith::MinSIOp::create(b, loc, u, v).getResult();
  }
  return a;
}

SizeTracer mlir::hydra::onnx_import::importTracer(
    GraphImporter &gi, std::map<std::pair<unsigned, unsigned>, unsigned> &ids) {
  MLIRContext *ctx = gi.context();
  return SizeTracer(
      ctx,
      [&ids, &gi, ctx](unsigned arg, unsigned axis) {
        auto [it, inserted] =
            ids.insert({gi.canonicalInputDim(arg, axis), unsigned(ids.size())});
        return std::optional<AffineExpr>(getAffineSymbolExpr(it->second, ctx));
      },
      hydraResultDim);
}

BoundArithmetic::BoundArithmetic(GraphImporter &gi, const onnx::NodeProto &node)
    : gi_(gi), node_(node), b_(gi.builder()), loc_(gi.loc(node)),
      tracer_(importTracer(gi, ids_)) {}

FailureOr<AffineExpr> BoundArithmetic::expr(OpFoldResult f) {
  if (std::optional<int64_t> c = getConstantIntValue(f))
    return getAffineConstantExpr(*c, b_.getContext());
  return tracer_.size(cast<Value>(f));
}

bool BoundArithmetic::atMost(OpFoldResult f, OpFoldResult g) {
  FailureOr<AffineExpr> x = expr(f), y = expr(g);
  return succeeded(x) && succeeded(y) &&
         provablyNonNegative(simplifySize(*y - *x, tracer_.terms().size()),
                             tracer_.terms());
}

bool BoundArithmetic::readsData(OpFoldResult f) {
  FailureOr<AffineExpr> e = expr(f);
  return succeeded(e) && tracer_.readsElement(*e);
}

OpFoldResult BoundArithmetic::min(OpFoldResult f, OpFoldResult g) {
  return atMost(f, g)   ? f
         : atMost(g, f) ? g
                        : combine(b_, loc_, Arith::Min, f, g);
}

OpFoldResult BoundArithmetic::max(OpFoldResult f, OpFoldResult g) {
  return atMost(f, g)   ? g
         : atMost(g, f) ? f
                        : combine(b_, loc_, Arith::Max, f, g);
}

OpFoldResult BoundArithmetic::add(OpFoldResult f, OpFoldResult g) {
  if (getConstantIntValue(g) == 0)
    return f;
  if (getConstantIntValue(f) == 0)
    return g;
  return combine(b_, loc_, Arith::Add, f, g);
}

OpFoldResult BoundArithmetic::sub(OpFoldResult f, OpFoldResult g) {
  if (getConstantIntValue(g) == 0)
    return f;
  return combine(b_, loc_, Arith::Sub, f, g);
}

OpFoldResult BoundArithmetic::mul(OpFoldResult f, OpFoldResult g) {
  for (auto [x, y] : {std::pair(f, g), std::pair(g, f)}) {
    std::optional<int64_t> c = getConstantIntValue(x);
    if (c == 0)
      return index(0);
    if (c == 1)
      return y;
  }
  return combine(b_, loc_, Arith::Mul, f, g);
}

OpFoldResult BoundArithmetic::floorDiv(OpFoldResult f, OpFoldResult g) {
  std::optional<int64_t> x = getConstantIntValue(f), y = getConstantIntValue(g);
  if (y == 1)
    return f;
  if (x && y && *y > 0)
    return index(*x / *y - (*x % *y < 0));
  return arith::FloorDivSIOp::create(b_, loc_, indexValue(b_, loc_, f),
                                     indexValue(b_, loc_, g))
      .getResult();
}

OpFoldResult BoundArithmetic::ceilDiv(OpFoldResult f, OpFoldResult g) {
  std::optional<int64_t> x = getConstantIntValue(f), y = getConstantIntValue(g);
  if (y == 1)
    return f;
  if (x && y && *y > 0)
    return index(*x / *y + (*x % *y > 0));
  return arith::CeilDivSIOp::create(b_, loc_, indexValue(b_, loc_, f),
                                    indexValue(b_, loc_, g))
      .getResult();
}

OpFoldResult BoundArithmetic::index(int64_t v) { return b_.getIndexAttr(v); }

OpFoldResult BoundArithmetic::negative(OpFoldResult f) {
  if (std::optional<int64_t> c = getConstantIntValue(f))
    return index(*c < 0);
  if (atMost(index(0), f))
    return index(0);
  // ⌊f / 2^62⌋ is −1 for f in [−2^62, 0) and 0 for f in [0, 2^62); the
  // clamp takes the values beyond (INT64_MIN and INT64_MAX as "the end").
  constexpr int64_t kHuge = int64_t(1) << 62;
  OpFoldResult q = sub(index(0), floorDiv(f, index(kHuge)));
  return combine(b_, loc_, Arith::Min,
                 combine(b_, loc_, Arith::Max, q, index(0)), index(1));
}

OpFoldResult BoundArithmetic::isZero(OpFoldResult f) {
  if (std::optional<int64_t> c = getConstantIntValue(f))
    return index(*c == 0);
  OpFoldResult magnitude =
      atMost(index(0), f) ? f
                          : combine(b_, loc_, Arith::Max, f, sub(index(0), f));
  return sub(index(1), combine(b_, loc_, Arith::Min, magnitude, index(1)));
}

OpFoldResult BoundArithmetic::equal(OpFoldResult f, OpFoldResult g) {
  if (f == g)
    return index(1);
  return isZero(sub(f, g));
}

OpFoldResult BoundArithmetic::select(OpFoldResult c, OpFoldResult a,
                                     OpFoldResult b) {
  if (std::optional<int64_t> k = getConstantIntValue(c))
    return *k ? a : b;
  if (a == b)
    return a;
  return add(b, mul(c, sub(a, b)));
}

OpFoldResult BoundArithmetic::bound(OpFoldResult v, OpFoldResult dim) {
  // Beyond ±2^62 is "to the end" / "from the start" (exporters write
  // INT64_MAX and INT64_MIN); no size is that large.
  constexpr int64_t kHuge = int64_t(1) << 62;
  if (std::optional<int64_t> c = getConstantIntValue(v)) {
    if (*c >= kHuge)
      return dim;
    if (*c <= -kHuge)
      return index(0);
    if (*c < 0)
      return max(add(dim, v), index(0));
    return min(v, dim);
  }
  if (!atMost(index(0), v)) {
    // v + dim where v < 0, as v - dim · floor(v / 2^62): no select, so
    // the artifact's size expressions can say it.
    Value u = indexValue(b_, loc_, v);
    Value sign = arith::FloorDivSIOp::create(
        b_, loc_, u, arith::ConstantIndexOp::create(b_, loc_, kHuge));
    Value shift =
        arith::MulIOp::create(b_, loc_, sign, indexValue(b_, loc_, dim));
    v = arith::SubIOp::create(b_, loc_, u, shift).getResult();
    return max(min(v, dim), index(0));
  }
  return min(v, dim);
}

LogicalResult BoundArithmetic::require(OpFoldResult f, OpFoldResult g,
                                       const Twine &what) {
  std::optional<int64_t> x = getConstantIntValue(f), y = getConstantIntValue(g);
  if (f == g || (x && y && *x == *y))
    return success();
  if (x && y)
    return gi_.error(node_, what);
  std::string note =
      "node '" + node_.name() + "' (" + node_.op_type() + "): " + what.str();
  SizeCheckOp::create(b_, loc_, indexValue(b_, loc_, f),
                      indexValue(b_, loc_, g), b_.getStringAttr(note));
  return success();
}

LogicalResult BoundArithmetic::fail(const Twine &what) {
  return gi_.error(node_, what);
}

LogicalResult BoundArithmetic::requireAtLeast(OpFoldResult f, OpFoldResult g,
                                              const Twine &what) {
  if (atMost(g, f))
    return success();
  return require(combine(b_, loc_, Arith::Max, f, g), f, what);
}

bool mlir::hydra::onnx_import::isGraphInput(Value v) {
  auto arg = dyn_cast_or_null<BlockArgument>(v);
  return arg && isa<func::FuncOp>(arg.getOwner()->getParentOp());
}

std::optional<SmallVector<OpFoldResult>>
mlir::hydra::onnx_import::dataElements(GraphImporter &gi,
                                       const onnx::NodeProto &node, int i) {
  Value v = gi.optionalInput(node, i);
  if (!isGraphInput(v))
    return std::nullopt;
  auto t = cast<RankedTensorType>(v.getType());
  auto elt = dyn_cast<IntegerType>(t.getElementType());
  if (!elt || elt.getWidth() == 1 || t.getRank() > 1 || !t.hasStaticShape() ||
      t.getNumElements() > 64)
    return std::nullopt;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  SmallVector<OpFoldResult> out;
  for (int64_t k = 0; k < t.getNumElements(); ++k) {
    SmallVector<Value> indices;
    if (t.getRank() == 1)
      indices.push_back(arith::ConstantIndexOp::create(b, loc, k));
    Value e = tensor::ExtractOp::create(b, loc, v, indices);
    // Unsigned inputs are read as they are stored: the tracer and the
    // runtime read them the same way.
    out.push_back(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), e).getResult());
  }
  return out;
}

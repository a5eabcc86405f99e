//===- ElementwiseImport.cpp - arithmetic, comparisons, casts -------------===//
//
// The elementwise operators on floats and integers, each one linalg.generic
// with numpy broadcasting. MLIR integers are signless: division,
// comparisons and widening casts pick their signed or unsigned form from
// the signedness the importer records per value.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

LogicalResult mlir::hydra::onnx_import::sameTypeInputs(
    GraphImporter &gi, const onnx::NodeProto &node, int count,
    function_ref<bool(Type)> ok, StringRef kinds, SmallVectorImpl<Value> &out) {
  if (failed(gi.typedInputs(node, count, ok, kinds, out)))
    return failure();
  for (Value v : out)
    if (elementOf(v) != elementOf(out.front()))
      return gi.error(node, "inputs of different element types");
  return success();
}

LogicalResult mlir::hydra::onnx_import::setResult(GraphImporter &gi,
                                                  const onnx::NodeProto &node,
                                                  FailureOr<Value> r) {
  if (failed(r))
    return gi.error(node, "input shapes do not broadcast");
  gi.setOutput(node, 0, *r);
  return success();
}

Value mlir::hydra::onnx_import::inFloat32(OpBuilder &b, Location loc,
                                          ValueRange a, ScalarFn fn) {
  Type t = a.front().getType();
  if (t.getIntOrFloatBitWidth() >= 32)
    return fn(b, loc, a);
  SmallVector<Value> wide;
  for (Value v : a)
    wide.push_back(arith::ExtFOp::create(b, loc, b.getF32Type(), v));
  return arith::TruncFOp::create(b, loc, t, fn(b, loc, wide));
}

LogicalResult mlir::hydra::onnx_import::floatElementwise(
    GraphImporter &gi, const onnx::NodeProto &node, int count, ScalarFn body) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, count, isFloatElement, "float", ins)))
    return failure();
  return setResult(gi, node,
                   elementwise(gi.builder(), gi.loc(node), ins,
                               elementOf(ins[0]),
                               [&](OpBuilder &b, Location l, ValueRange a) {
                                 return inFloat32(b, l, a, body);
                               }));
}

Value mlir::hydra::onnx_import::floatConstant(OpBuilder &b, Location loc,
                                              Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

namespace {

/// Add, Sub, Mul, Div on floats or integers (signed or unsigned division).
template <typename FOp, typename SIOp, typename UIOp = SIOp>
LogicalResult arithmetic(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 2, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elt,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    if (isFloatElement(elt))
                      return FOp::create(b, l, a[0], a[1]);
                    if (isUnsigned)
                      return UIOp::create(b, l, a[0], a[1]);
                    return SIOp::create(b, l, a[0], a[1]);
                  }));
}

LogicalResult importNeg(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elt,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    if (isFloatElement(elt))
                      return arith::NegFOp::create(b, l, a[0]);
                    Value zero = arith::ConstantOp::create(
                        b, l, b.getIntegerAttr(elt, 0));
                    return arith::SubIOp::create(b, l, zero, a[0]);
                  }));
}

/// Pow: the result has the base's type; integer operands are raised in
/// f64 (exact for the integers a double holds).
LogicalResult importPow(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0), y = gi.input(node, 1);
  if (!x || !y)
    return failure();
  Type tx = elementOf(x), ty = elementOf(y);
  if (!(isFloatElement(tx) || isIntElement(tx)) ||
      !(isFloatElement(ty) || isIntElement(ty)))
    return gi.error(node, "not supported: Pow of element types other than "
                          "float or integer");
  bool ux = gi.inputIsUnsigned(node, 0), uy = gi.inputIsUnsigned(node, 1);
  Type work = isFloatElement(tx) ? tx : Builder(gi.context()).getF64Type();
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), {x, y}, tx,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    Value base = convertScalar(b, l, a[0], work, ux, false);
                    Value exp = convertScalar(b, l, a[1], work, uy, false);
                    Value r = math::PowFOp::create(b, l, base, exp);
                    return convertScalar(b, l, r, tx, false, ux);
                  }));
}

LogicalResult importWhere(GraphImporter &gi, const onnx::NodeProto &node) {
  Value cond = gi.input(node, 0), x = gi.input(node, 1), y = gi.input(node, 2);
  if (!cond || !x || !y)
    return failure();
  if (!elementOf(cond).isInteger(1) || elementOf(x) != elementOf(y))
    return gi.error(node, "condition must be bool and both branches of one "
                          "element type");
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), {cond, x, y}, elementOf(x),
                  [](OpBuilder &b, Location l, ValueRange a) -> Value {
                    return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
                  }));
}

/// Sets the node's output to input 0, `x`, converted to `to`.
LogicalResult setConverted(GraphImporter &gi, const onnx::NodeProto &node,
                           Value x, Type to, bool toUnsigned) {
  gi.setOutput(node, 0,
               convertElements(gi.builder(), gi.loc(node), x, to,
                               gi.inputIsUnsigned(node, 0), toUnsigned));
  return success();
}

LogicalResult importCast(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  int32_t toOnnx = gi.intAttr(node, "to", 0);
  Type to = gi.elementType(toOnnx);
  if (!to) {
    // Debian's ONNX protobuf predates some types (INT4, FLOAT8E8M0, ...).
    std::string name =
        onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(toOnnx));
    return gi.error(
        node, "not supported: Cast to " +
                  (name.empty() ? "ONNX element type " + std::to_string(toOnnx)
                                : name));
  }
  return setConverted(gi, node, x, to, GraphImporter::isUnsignedType(toOnnx));
}

LogicalResult importCastLike(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0), like = gi.input(node, 1);
  if (!x || !like)
    return failure();
  return setConverted(gi, node, x, elementOf(like),
                      gi.inputIsUnsigned(node, 1));
}

/// Equal, Less, Greater, LessOrEqual, GreaterOrEqual → bool.
template <arith::CmpFPredicate F, arith::CmpIPredicate S,
          arith::CmpIPredicate U>
LogicalResult compare(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(
          gi, node, 2,
          [](Type t) { return isFloatElement(t) || isa<IntegerType>(t); },
          "float, integer or bool", ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0) || elt.isInteger(1);
  OpBuilder &b = gi.builder();
  return setResult(
      gi, node,
      elementwise(b, gi.loc(node), ins, b.getI1Type(),
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    if (isFloatElement(elt))
                      return arith::CmpFOp::create(nb, l, F, a[0], a[1]);
                    return arith::CmpIOp::create(nb, l, isUnsigned ? U : S,
                                                 a[0], a[1]);
                  }));
}

/// Not, And, Or, Xor on bools.
template <typename OpTy>
LogicalResult logical(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  int arity = std::is_same_v<OpTy, arith::XOrIOp> && node.input_size() == 1
                  ? 1
                  : node.input_size();
  if (failed(sameTypeInputs(
          gi, node, arity, [](Type t) { return t.isInteger(1); }, "bool", ins)))
    return failure();
  OpBuilder &b = gi.builder();
  return setResult(
      gi, node,
      elementwise(b, gi.loc(node), ins, b.getI1Type(),
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    if (a.size() == 1) { // Not: x xor true
                      Value t = arith::ConstantOp::create(nb, l,
                                                          nb.getBoolAttr(true));
                      return arith::XOrIOp::create(nb, l, a[0], t);
                    }
                    return OpTy::create(nb, l, a[0], a[1]);
                  }));
}

/// Max, Min, Sum, Mean over one or more inputs: floats propagate NaN,
/// integers compare by their signedness.
enum class Fold { Max, Min, Sum, Mean };
template <Fold K>
LogicalResult variadic(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  auto ok = K == Fold::Mean ? isFloatElement : isNumberElement;
  if (failed(sameTypeInputs(gi, node, node.input_size(), ok,
                            K == Fold::Mean ? "float" : "float or integer",
                            ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elt,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    Value r = a[0];
                    for (Value x : a.drop_front()) {
                      if (K == Fold::Sum || K == Fold::Mean)
                        r = isFloatElement(elt)
                                ? Value(arith::AddFOp::create(b, l, r, x))
                                : Value(arith::AddIOp::create(b, l, r, x));
                      else if (isFloatElement(elt))
                        r = K == Fold::Max
                                ? Value(arith::MaximumFOp::create(b, l, r, x))
                                : Value(arith::MinimumFOp::create(b, l, r, x));
                      else if (K == Fold::Max)
                        r = isUnsigned
                                ? Value(arith::MaxUIOp::create(b, l, r, x))
                                : Value(arith::MaxSIOp::create(b, l, r, x));
                      else
                        r = isUnsigned
                                ? Value(arith::MinUIOp::create(b, l, r, x))
                                : Value(arith::MinSIOp::create(b, l, r, x));
                    }
                    if (K == Fold::Mean)
                      r = arith::DivFOp::create(
                          b, l, r, floatConstant(b, l, elt, double(a.size())));
                    return r;
                  }));
}

/// Mod: with fmod = 1 C's fmod (the dividend's sign); otherwise the
/// remainder takes the divisor's sign, as Python's (for floats since
/// opset 28; earlier opsets allowed floats only with fmod = 1).
LogicalResult importMod(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 2, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool fmod = gi.intAttr(node, "fmod", 0) != 0;
  if (isFloatElement(elt) && !fmod && gi.opset("") < 28)
    return gi.error(node, "fmod must be 1 for float inputs before opset 28");
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(
          gi.builder(), gi.loc(node), ins, elt,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            if (isFloatElement(elt)) {
              Value r = arith::RemFOp::create(b, l, a[0], a[1]);
              if (fmod)
                return r;
              // A non-zero remainder of the dividend's sign moves by one
              // divisor; zero takes the divisor's sign.
              Value zero = floatConstant(b, l, elt, 0.0);
              auto lt = [&](Value x) {
                return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                             zero);
              };
              Value isZero = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, r, zero);
              Value differ = arith::XOrIOp::create(b, l, lt(r), lt(a[1]));
              Value moved = arith::SelectOp::create(
                  b, l, differ, arith::AddFOp::create(b, l, r, a[1]), r);
              return arith::SelectOp::create(
                  b, l, isZero, math::CopySignOp::create(b, l, r, a[1]), moved);
            }
            if (isUnsigned)
              return arith::RemUIOp::create(b, l, a[0], a[1]);
            Value r = arith::RemSIOp::create(b, l, a[0], a[1]);
            if (fmod)
              return r;
            Value zero =
                arith::ConstantOp::create(b, l, b.getIntegerAttr(elt, 0));
            Value nonZero =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, r, zero);
            Value rNeg =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
            Value dNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                               a[1], zero);
            Value differ = arith::XOrIOp::create(b, l, rNeg, dNeg);
            Value fix = arith::AndIOp::create(b, l, nonZero, differ);
            return arith::SelectOp::create(
                b, l, fix, arith::AddIOp::create(b, l, r, a[1]), r);
          }));
}

/// Abs, Sign and Relu on floats and integers (unsigned: Abs is the value,
/// Sign 0 or 1).
enum class Unary { Abs, Sign, Relu };
template <Unary K>
LogicalResult numberUnary(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(
          gi.builder(), gi.loc(node), ins, elt,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value x = a[0];
            if (isFloatElement(elt)) {
              Value zero = floatConstant(b, l, elt, 0.0);
              if (K == Unary::Abs)
                return math::AbsFOp::create(b, l, x);
              if (K == Unary::Relu)
                return arith::MaximumFOp::create(b, l, x, zero);
              // Sign: -1, 0 or 1; NaN stays NaN.
              Value one = floatConstant(b, l, elt, 1.0);
              Value s = math::CopySignOp::create(b, l, one, x);
              Value isZero = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, x, zero);
              Value isNan =
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
              s = arith::SelectOp::create(b, l, isZero, zero, s);
              return arith::SelectOp::create(b, l, isNan, x, s);
            }
            Value zero =
                arith::ConstantOp::create(b, l, b.getIntegerAttr(elt, 0));
            if (K == Unary::Abs)
              return isUnsigned ? x : Value(math::AbsIOp::create(b, l, x));
            if (K == Unary::Relu)
              return isUnsigned ? x
                                : Value(arith::MaxSIOp::create(b, l, x, zero));
            Value one =
                arith::ConstantOp::create(b, l, b.getIntegerAttr(elt, 1));
            Value positive =
                arith::CmpIOp::create(b, l,
                                      isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                      x, zero);
            Value r = arith::SelectOp::create(b, l, positive, one, zero);
            if (isUnsigned)
              return r;
            Value negative =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, x, zero);
            Value minusOne =
                arith::ConstantOp::create(b, l, b.getIntegerAttr(elt, -1));
            return arith::SelectOp::create(b, l, negative, minusOne, r);
          }));
}

/// Clip: bounds from inputs 1 and 2 (opset 11 on; either may be absent) or
/// from the min/max attributes before it.
LogicalResult importClip(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  Type elt = elementOf(x);
  if (!isNumberElement(elt))
    return gi.error(node, "input 0 of element type other than float or "
                          "integer");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  SmallVector<Value> ins{x};
  int lo = -1, hi = -1;
  if (gi.opset("") >= 11) {
    for (int i = 1; i <= 2; ++i) {
      Value bound = gi.optionalInput(node, i);
      if (!bound)
        continue;
      auto t = cast<RankedTensorType>(bound.getType());
      if (t.getElementType() != elt || t.getRank() != 0)
        return gi.error(node, "input " + Twine(i) +
                                  " must be a scalar of the input's type");
      (i == 1 ? lo : hi) = ins.size();
      ins.push_back(bound);
    }
  } else {
    if (!isFloatElement(elt))
      return gi.error(node, "input 0 of element type other than float");
    auto scalar = [&](float v) {
      auto t = RankedTensorType::get({}, elt);
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(t, b.getFloatAttr(elt, v)));
    };
    if (gi.attribute(node, "min")) {
      lo = ins.size();
      ins.push_back(scalar(gi.floatAttr(node, "min", 0)));
    }
    if (gi.attribute(node, "max")) {
      hi = ins.size();
      ins.push_back(scalar(gi.floatAttr(node, "max", 0)));
    }
  }
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(
          b, loc, ins, elt,
          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value r = a[0];
            if (lo >= 0)
              r = isFloatElement(elt)
                      ? Value(arith::MaximumFOp::create(nb, l, r, a[lo]))
                  : isUnsigned ? Value(arith::MaxUIOp::create(nb, l, r, a[lo]))
                               : Value(arith::MaxSIOp::create(nb, l, r, a[lo]));
            if (hi >= 0)
              r = isFloatElement(elt)
                      ? Value(arith::MinimumFOp::create(nb, l, r, a[hi]))
                  : isUnsigned ? Value(arith::MinUIOp::create(nb, l, r, a[hi]))
                               : Value(arith::MinSIOp::create(nb, l, r, a[hi]));
            return r;
          }));
}
} // namespace

/// f64 `x` rounded once to the 16-bit float type `to`. The CPU lowering
/// has no direct conversion (it would call a runtime helper), so it goes
/// through f32 rounding to odd (toward zero, then the last bit set if
/// inexact): f32 keeps more than two bits beyond either 16-bit type's, so
/// rounding that to nearest gives what one rounding of x would.
static Value roundF64To16(OpBuilder &b, Location l, Value x, Type to) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value y = arith::TruncFOp::create(b, l, f32, x);
  Value back = arith::ExtFOp::create(b, l, b.getF64Type(), y);
  Value inexact =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::ONE, back, x);
  // Where nearest went away from zero, one step back toward it.
  Value away = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                     math::AbsFOp::create(b, l, back),
                                     math::AbsFOp::create(b, l, x));
  Value bits = arith::BitcastOp::create(b, l, i32, y);
  Value one = arith::ConstantOp::create(b, l, b.getI32IntegerAttr(1));
  Value towardZero = arith::SelectOp::create(
      b, l, away, arith::SubIOp::create(b, l, bits, one), bits);
  Value odd = arith::SelectOp::create(
      b, l, inexact, arith::OrIOp::create(b, l, towardZero, one), bits);
  return arith::TruncFOp::create(b, l, to,
                                 arith::BitcastOp::create(b, l, f32, odd));
}

Value mlir::hydra::onnx_import::convertScalar(OpBuilder &b, Location l, Value x,
                                              Type to, bool fromUnsigned,
                                              bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) { // anything non-zero is true
    if (isFloatElement(from)) {
      Value zero = arith::ConstantOp::create(b, l, b.getFloatAttr(from, 0.0));
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
    }
    Value zero = arith::ConstantOp::create(b, l, b.getIntegerAttr(from, 0));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x, zero);
  }
  if (from.isInteger(1))
    fromUnsigned = true;
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (isFloatElement(from) && isFloatElement(to)) {
    if (fw < tw)
      return arith::ExtFOp::create(b, l, to, x);
    if (fw == 64 && tw == 16)
      return roundF64To16(b, l, x, to);
    if (fw > tw)
      return arith::TruncFOp::create(b, l, to, x);
    // f16 <-> bf16: through f32.
    Value w = arith::ExtFOp::create(b, l, b.getF32Type(), x);
    return arith::TruncFOp::create(b, l, to, w);
  }
  if (isFloatElement(to))
    return fromUnsigned ? Value(arith::UIToFPOp::create(b, l, to, x))
                        : Value(arith::SIToFPOp::create(b, l, to, x));
  if (isFloatElement(from))
    return toUnsigned ? Value(arith::FPToUIOp::create(b, l, to, x))
                      : Value(arith::FPToSIOp::create(b, l, to, x));
  if (fw < tw)
    return fromUnsigned ? Value(arith::ExtUIOp::create(b, l, to, x))
                        : Value(arith::ExtSIOp::create(b, l, to, x));
  return arith::TruncIOp::create(b, l, to, x);
}

Value mlir::hydra::onnx_import::convertElements(OpBuilder &b, Location loc,
                                                Value x, Type to,
                                                bool fromUnsigned,
                                                bool toUnsigned) {
  if (elementOf(x) == to)
    return x;
  return *elementwise(
      b, loc, {x}, to, [&](OpBuilder &nb, Location l, ValueRange a) {
        return convertScalar(nb, l, a[0], to, fromUnsigned, toUnsigned);
      });
}

void registerElementwiseImporters(ImporterTable &onnx) {
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  onnx["Add"] = {arithmetic<arith::AddFOp, arith::AddIOp>, {2, 2}};
  onnx["Sub"] = {arithmetic<arith::SubFOp, arith::SubIOp>, {2, 2}};
  onnx["Mul"] = {arithmetic<arith::MulFOp, arith::MulIOp>, {2, 2}};
  onnx["Div"] = {arithmetic<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>,
                 {2, 2}};
  onnx["Pow"] = {importPow, {2, 2}};
  onnx["Neg"] = {importNeg, {1, 1}};
  onnx["Where"] = {importWhere, {3, 3}};
  onnx["Cast"] = {importCast, {1, 1}};
  onnx["CastLike"] = {importCastLike, {2, 2}};
  onnx["Equal"] = {compare<F::OEQ, I::eq, I::eq>, {2, 2}};
  onnx["Less"] = {compare<F::OLT, I::slt, I::ult>, {2, 2}};
  onnx["Greater"] = {compare<F::OGT, I::sgt, I::ugt>, {2, 2}};
  onnx["LessOrEqual"] = {compare<F::OLE, I::sle, I::ule>, {2, 2}};
  onnx["GreaterOrEqual"] = {compare<F::OGE, I::sge, I::uge>, {2, 2}};
  onnx["Not"] = {logical<arith::XOrIOp>, {1, 1}};
  onnx["And"] = {logical<arith::AndIOp>, {2, 2}};
  onnx["Or"] = {logical<arith::OrIOp>, {2, 2}};
  onnx["Xor"] = {logical<arith::XOrIOp>, {2, 2}};
  onnx["Max"] = {variadic<Fold::Max>, {1, kVariadic}};
  onnx["Min"] = {variadic<Fold::Min>, {1, kVariadic}};
  onnx["Sum"] = {variadic<Fold::Sum>, {1, kVariadic}};
  onnx["Mean"] = {variadic<Fold::Mean>, {1, kVariadic}};
  onnx["Mod"] = {importMod, {2, 2}};
  onnx["Abs"] = {numberUnary<Unary::Abs>, {1, 1}};
  onnx["Sign"] = {numberUnary<Unary::Sign>, {1, 1}};
  onnx["Relu"] = {numberUnary<Unary::Relu>, {1, 1}};
  onnx["Clip"] = {importClip, {1, 3}};
}

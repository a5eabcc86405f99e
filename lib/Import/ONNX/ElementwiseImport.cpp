//===- ElementwiseImport.cpp - arithmetic, comparisons, casts -------------===//
//
// The elementwise operators on floats and integers, each one linalg.generic
// with numpy broadcasting. MLIR integers are signless: division,
// comparisons and widening casts pick their signed or unsigned form from
// the signedness the importer records per value.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
Type elementOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
bool isFloat(Type t) { return isa<FloatType>(t); }
bool isInt(Type t) { return isa<IntegerType>(t) && !t.isInteger(1); }

/// The node's first `count` inputs, of one element type accepted by `ok`.
LogicalResult sameTypeInputs(GraphImporter &gi, const onnx::NodeProto &node,
                             int count, function_ref<bool(Type)> ok,
                             StringRef kinds, SmallVectorImpl<Value> &out) {
  if (failed(gi.typedInputs(node, count, ok, kinds, out)))
    return failure();
  for (Value v : out)
    if (elementOf(v) != elementOf(out.front()))
      return gi.error(node, "inputs of different element types");
  return success();
}

LogicalResult setResult(GraphImporter &gi, const onnx::NodeProto &node,
                        FailureOr<Value> r) {
  if (failed(r))
    return gi.error(node, "input shapes do not broadcast");
  gi.setOutput(node, 0, *r);
  return success();
}

/// Add, Sub, Mul, Div on floats or integers (signed or unsigned division).
template <typename FOp, typename SIOp, typename UIOp = SIOp>
LogicalResult arithmetic(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(
          gi, node, 2, [](Type t) { return isFloat(t) || isInt(t); },
          "float or integer", ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elt,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    if (isFloat(elt))
                      return FOp::create(b, l, a[0], a[1]);
                    if (isUnsigned)
                      return UIOp::create(b, l, a[0], a[1]);
                    return SIOp::create(b, l, a[0], a[1]);
                  }));
}

/// A float-only unary operator computing `body` per element.
LogicalResult floatUnary(GraphImporter &gi, const onnx::NodeProto &node,
                         ScalarFn body) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isFloat, "float", ins)))
    return failure();
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elementOf(ins[0]), body));
}

template <typename OpTy>
LogicalResult floatUnary(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatUnary(gi, node,
                    [](OpBuilder &b, Location l, ValueRange a) -> Value {
                      return OpTy::create(b, l, a[0]);
                    });
}

LogicalResult importReciprocal(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatUnary(gi, node,
                    [](OpBuilder &b, Location l, ValueRange a) -> Value {
                      Value one = arith::ConstantOp::create(
                          b, l, b.getFloatAttr(a[0].getType(), 1.0));
                      return arith::DivFOp::create(b, l, one, a[0]);
                    });
}

LogicalResult importNeg(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(
          gi, node, 1, [](Type t) { return isFloat(t) || isInt(t); },
          "float or integer", ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  return setResult(
      gi, node,
      elementwise(gi.builder(), gi.loc(node), ins, elt,
                  [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                    if (isFloat(elt))
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
  if (!(isFloat(tx) || isInt(tx)) || !(isFloat(ty) || isInt(ty)))
    return gi.error(node, "not supported: Pow of element types other than "
                          "float or integer");
  bool ux = gi.inputIsUnsigned(node, 0), uy = gi.inputIsUnsigned(node, 1);
  Type work = isFloat(tx) ? tx : Builder(gi.context()).getF64Type();
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
  Type from = elementOf(x);
  if (!to) {
    // Debian's ONNX protobuf predates some types (INT4, FLOAT8E8M0, ...).
    std::string name =
        onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(toOnnx));
    return gi.error(
        node, "not supported: Cast to " +
                  (name.empty() ? "ONNX element type " + std::to_string(toOnnx)
                                : name));
  }
  if (from.isF64() && to.getIntOrFloatBitWidth() == 16)
    return gi.error(node, "not supported: Cast from f64 to a 16-bit float "
                          "(one rounding step needs a runtime helper)");
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
          gi, node, 2, [](Type t) { return isFloat(t) || isa<IntegerType>(t); },
          "float, integer or bool", ins)))
    return failure();
  Type elt = elementOf(ins[0]);
  bool isUnsigned = gi.inputIsUnsigned(node, 0) || elt.isInteger(1);
  OpBuilder &b = gi.builder();
  return setResult(
      gi, node,
      elementwise(b, gi.loc(node), ins, b.getI1Type(),
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    if (isFloat(elt))
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
} // namespace

Value mlir::hydra::onnx_import::convertScalar(OpBuilder &b, Location l, Value x,
                                              Type to, bool fromUnsigned,
                                              bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) { // anything non-zero is true
    if (isFloat(from)) {
      Value zero = arith::ConstantOp::create(b, l, b.getFloatAttr(from, 0.0));
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
    }
    Value zero = arith::ConstantOp::create(b, l, b.getIntegerAttr(from, 0));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x, zero);
  }
  if (from.isInteger(1))
    fromUnsigned = true;
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (isFloat(from) && isFloat(to)) {
    if (fw < tw)
      return arith::ExtFOp::create(b, l, to, x);
    if (fw > tw)
      return arith::TruncFOp::create(b, l, to, x);
    // f16 <-> bf16: through f32.
    Value w = arith::ExtFOp::create(b, l, b.getF32Type(), x);
    return arith::TruncFOp::create(b, l, to, w);
  }
  if (isFloat(to))
    return fromUnsigned ? Value(arith::UIToFPOp::create(b, l, to, x))
                        : Value(arith::SIToFPOp::create(b, l, to, x));
  if (isFloat(from))
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
  onnx["Sqrt"] = {floatUnary<math::SqrtOp>, {1, 1}};
  onnx["Exp"] = {floatUnary<math::ExpOp>, {1, 1}};
  onnx["Tanh"] = {floatUnary<math::TanhOp>, {1, 1}};
  onnx["Reciprocal"] = {importReciprocal, {1, 1}};
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
}

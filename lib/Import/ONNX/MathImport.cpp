//===- MathImport.cpp - float functions and activations -------------------===//
//
// The unary float operators: math functions (one math dialect op each) and
// the activations exporters write (Sigmoid of SiLU, Gelu, Softplus of the
// delta-rule gates, ...), each one linalg.generic. 16-bit floats are
// computed in f32 and rounded once.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
using B = OpBuilder &;
using L = Location;

Value cst(B b, L l, Value like, double v) {
  return floatConstant(b, l, like.getType(), v);
}
Value mul(B b, L l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}
Value add(B b, L l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}
Value div(B b, L l, Value x, Value y) {
  return arith::DivFOp::create(b, l, x, y);
}
Value less(B b, L l, Value x, Value y) {
  return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y);
}
Value select(B b, L l, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, l, c, x, y);
}
/// 1 / (1 + e^-x): e^-x overflows to +inf for very negative x, giving 0.
Value sigmoid(B b, L l, Value x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return div(b, l, cst(b, l, x, 1.0), add(b, l, cst(b, l, x, 1.0), e));
}
/// max(0, min(1, alpha·x + beta)).
Value hardSigmoid(B b, L l, Value x, double alpha, double beta) {
  Value y = add(b, l, mul(b, l, cst(b, l, x, alpha), x), cst(b, l, x, beta));
  y = arith::MinimumFOp::create(b, l, y, cst(b, l, x, 1.0));
  return arith::MaximumFOp::create(b, l, y, cst(b, l, x, 0.0));
}

template <typename OpTy>
LogicalResult mathOp(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatElementwise(gi, node, 1, [](B b, L l, ValueRange a) -> Value {
    return OpTy::create(b, l, a[0]);
  });
}

/// An activation whose body reads the node's float attributes.
using Activation = Value (*)(B, L, Value, GraphImporter &,
                             const onnx::NodeProto &);
template <Activation F>
LogicalResult activation(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatElementwise(gi, node, 1, [&](B b, L l, ValueRange a) {
    return F(b, l, a[0], gi, node);
  });
}

Value reciprocalOf(B b, L l, Value x, GraphImporter &,
                   const onnx::NodeProto &) {
  return div(b, l, cst(b, l, x, 1.0), x);
}
Value sigmoidOf(B b, L l, Value x, GraphImporter &, const onnx::NodeProto &) {
  return sigmoid(b, l, x);
}
Value hardSigmoidOf(B b, L l, Value x, GraphImporter &gi,
                    const onnx::NodeProto &n) {
  return hardSigmoid(b, l, x, gi.floatAttr(n, "alpha", 0.2f),
                     gi.floatAttr(n, "beta", 0.5f));
}
Value hardSwishOf(B b, L l, Value x, GraphImporter &, const onnx::NodeProto &) {
  return mul(b, l, x, hardSigmoid(b, l, x, 1.0 / 6.0, 0.5));
}
/// Swish (opset 24): x · sigmoid(alpha · x).
Value swishOf(B b, L l, Value x, GraphImporter &gi, const onnx::NodeProto &n) {
  Value ax = mul(b, l, cst(b, l, x, gi.floatAttr(n, "alpha", 1.0f)), x);
  return mul(b, l, x, sigmoid(b, l, ax));
}
Value leakyReluOf(B b, L l, Value x, GraphImporter &gi,
                  const onnx::NodeProto &n) {
  Value scaled = mul(b, l, cst(b, l, x, gi.floatAttr(n, "alpha", 0.01f)), x);
  return select(b, l, less(b, l, x, cst(b, l, x, 0.0)), scaled, x);
}
Value thresholdedReluOf(B b, L l, Value x, GraphImporter &gi,
                        const onnx::NodeProto &n) {
  Value alpha = cst(b, l, x, gi.floatAttr(n, "alpha", 1.0f));
  return select(b, l, less(b, l, alpha, x), x, cst(b, l, x, 0.0));
}
/// alpha · (e^x − 1) below zero, x elsewhere.
Value eluOf(B b, L l, Value x, GraphImporter &gi, const onnx::NodeProto &n) {
  Value neg = mul(b, l, cst(b, l, x, gi.floatAttr(n, "alpha", 1.0f)),
                  math::ExpM1Op::create(b, l, x));
  return select(b, l, less(b, l, x, cst(b, l, x, 0.0)), neg, x);
}
Value seluOf(B b, L l, Value x, GraphImporter &gi, const onnx::NodeProto &n) {
  Value alpha =
      cst(b, l, x, gi.floatAttr(n, "alpha", 1.67326319217681884765625f));
  Value gamma =
      cst(b, l, x, gi.floatAttr(n, "gamma", 1.05070102214813232421875f));
  Value neg = mul(b, l, alpha, math::ExpM1Op::create(b, l, x));
  Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                    cst(b, l, x, 0.0));
  return mul(b, l, gamma, select(b, l, pos, x, neg));
}
/// max(0, x) + alpha · min(0, e^(x/alpha) − 1).
Value celuOf(B b, L l, Value x, GraphImporter &gi, const onnx::NodeProto &n) {
  Value alpha = cst(b, l, x, gi.floatAttr(n, "alpha", 1.0f));
  Value zero = cst(b, l, x, 0.0);
  Value e = math::ExpM1Op::create(b, l, div(b, l, x, alpha));
  Value neg = mul(b, l, alpha, arith::MinimumFOp::create(b, l, zero, e));
  return add(b, l, arith::MaximumFOp::create(b, l, zero, x), neg);
}
/// log(1 + e^x) as max(x, 0) + log1p(e^-|x|): no overflow for large x.
Value softplus(B b, L l, Value x) {
  Value e = math::ExpOp::create(
      b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, x)));
  return add(b, l, arith::MaximumFOp::create(b, l, x, cst(b, l, x, 0.0)),
             math::Log1pOp::create(b, l, e));
}
Value softplusOf(B b, L l, Value x, GraphImporter &, const onnx::NodeProto &) {
  return softplus(b, l, x);
}
Value softsignOf(B b, L l, Value x, GraphImporter &, const onnx::NodeProto &) {
  Value d = add(b, l, cst(b, l, x, 1.0), math::AbsFOp::create(b, l, x));
  return div(b, l, x, d);
}
/// x · tanh(softplus(x)).
Value mishOf(B b, L l, Value x, GraphImporter &, const onnx::NodeProto &) {
  return mul(b, l, x, math::TanhOp::create(b, l, softplus(b, l, x)));
}
/// 0.5 x (1 + erf(x / √2)), or with approximate = "tanh"
/// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
Value geluOf(B b, L l, Value x, GraphImporter &gi, const onnx::NodeProto &n) {
  Value inner;
  if (gi.stringAttr(n, "approximate", "none") == "tanh") {
    Value x3 = mul(b, l, mul(b, l, x, x), x);
    Value t = add(b, l, x, mul(b, l, cst(b, l, x, 0.044715), x3));
    inner = math::TanhOp::create(
        b, l, mul(b, l, cst(b, l, x, std::sqrt(2.0 / M_PI)), t));
  } else {
    inner = math::ErfOp::create(b, l, mul(b, l, x, cst(b, l, x, M_SQRT1_2)));
  }
  Value half = mul(b, l, cst(b, l, x, 0.5), x);
  return mul(b, l, half, add(b, l, cst(b, l, x, 1.0), inner));
}

/// SwiGLU (opset 28): Swish_alpha(A) · B, A and B of one shape.
LogicalResult importSwiGLU(GraphImporter &gi, const onnx::NodeProto &node) {
  Value a = gi.input(node, 0), v = gi.input(node, 1);
  if (!a || !v)
    return failure();
  if (a.getType() != v.getType())
    return gi.error(node, "inputs A and B must have one type and shape");
  float alpha = gi.floatAttr(node, "alpha", 1.0f);
  return floatElementwise(gi, node, 2, [&](B b, L l, ValueRange x) {
    Value g = mul(b, l, cst(b, l, x[0], alpha), x[0]);
    return mul(b, l, mul(b, l, x[0], sigmoid(b, l, g)), x[1]);
  });
}

LogicalResult importGelu(GraphImporter &gi, const onnx::NodeProto &node) {
  std::string approximate = gi.stringAttr(node, "approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return gi.error(node, "approximate must be \"none\" or \"tanh\", not \"" +
                              approximate + "\"");
  return activation<geluOf>(gi, node);
}

/// IsNaN and IsInf → bool.
LogicalResult floatTest(GraphImporter &gi, const onnx::NodeProto &node,
                        bool nan) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isFloatElement, "float", ins)))
    return failure();
  bool negative = gi.intAttr(node, "detect_negative", 1) != 0;
  bool positive = gi.intAttr(node, "detect_positive", 1) != 0;
  OpBuilder &b = gi.builder();
  return setResult(gi, node,
                   elementwise(b, gi.loc(node), ins, b.getI1Type(),
                               [&](B nb, L l, ValueRange a) -> Value {
                                 Value x = a[0];
                                 if (nan)
                                   return arith::CmpFOp::create(
                                       nb, l, arith::CmpFPredicate::UNO, x, x);
                                 Value inf = cst(nb, l, x, INFINITY);
                                 Value isPos = arith::CmpFOp::create(
                                     nb, l, arith::CmpFPredicate::OEQ, x, inf);
                                 Value isNeg = arith::CmpFOp::create(
                                     nb, l, arith::CmpFPredicate::OEQ, x,
                                     arith::NegFOp::create(nb, l, inf));
                                 Value no = arith::ConstantOp::create(
                                     nb, l, nb.getBoolAttr(false));
                                 Value r = positive ? isPos : no;
                                 if (negative)
                                   r = arith::OrIOp::create(nb, l, r, isNeg);
                                 return r;
                               }));
}
LogicalResult importIsNaN(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatTest(gi, node, true);
}
LogicalResult importIsInf(GraphImporter &gi, const onnx::NodeProto &node) {
  return floatTest(gi, node, false);
}
} // namespace

void registerMathImporters(ImporterTable &onnx) {
  OpArity unary{1, 1};
  onnx["Sqrt"] = {mathOp<math::SqrtOp>, unary};
  onnx["Exp"] = {mathOp<math::ExpOp>, unary};
  onnx["Log"] = {mathOp<math::LogOp>, unary};
  onnx["Tanh"] = {mathOp<math::TanhOp>, unary};
  onnx["Sin"] = {mathOp<math::SinOp>, unary};
  onnx["Cos"] = {mathOp<math::CosOp>, unary};
  onnx["Tan"] = {mathOp<math::TanOp>, unary};
  onnx["Asin"] = {mathOp<math::AsinOp>, unary};
  onnx["Acos"] = {mathOp<math::AcosOp>, unary};
  onnx["Atan"] = {mathOp<math::AtanOp>, unary};
  onnx["Sinh"] = {mathOp<math::SinhOp>, unary};
  onnx["Cosh"] = {mathOp<math::CoshOp>, unary};
  onnx["Asinh"] = {mathOp<math::AsinhOp>, unary};
  onnx["Acosh"] = {mathOp<math::AcoshOp>, unary};
  onnx["Atanh"] = {mathOp<math::AtanhOp>, unary};
  onnx["Erf"] = {mathOp<math::ErfOp>, unary};
  onnx["Floor"] = {mathOp<math::FloorOp>, unary};
  onnx["Ceil"] = {mathOp<math::CeilOp>, unary};
  onnx["Round"] = {mathOp<math::RoundEvenOp>, unary};
  onnx["Reciprocal"] = {activation<reciprocalOf>, unary};
  onnx["Sigmoid"] = {activation<sigmoidOf>, unary};
  onnx["HardSigmoid"] = {activation<hardSigmoidOf>, unary};
  onnx["HardSwish"] = {activation<hardSwishOf>, unary};
  onnx["Swish"] = {activation<swishOf>, unary};
  onnx["LeakyRelu"] = {activation<leakyReluOf>, unary};
  onnx["ThresholdedRelu"] = {activation<thresholdedReluOf>, unary};
  onnx["Elu"] = {activation<eluOf>, unary};
  onnx["Selu"] = {activation<seluOf>, unary};
  onnx["Celu"] = {activation<celuOf>, unary};
  onnx["Softplus"] = {activation<softplusOf>, unary};
  onnx["Softsign"] = {activation<softsignOf>, unary};
  onnx["Mish"] = {activation<mishOf>, unary};
  onnx["Gelu"] = {importGelu, unary};
  onnx["SwiGLU"] = {importSwiGLU, {2, 2}};
  onnx["IsNaN"] = {importIsNaN, unary};
  onnx["IsInf"] = {importIsInf, unary};
}

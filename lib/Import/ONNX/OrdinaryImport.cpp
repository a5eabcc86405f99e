//===- OrdinaryImport.cpp - ordinary ONNX operators → linalg/tensor -------===//
//
// Float element types; shapes static or dynamic where the operator allows.
// Shapes and axes may be known at import, computed from input sizes, or
// read at run time from a graph input (SizeArithmetic, DataAxes).
//
//===----------------------------------------------------------------------===//

#include "DataAxes.h"
#include "GraphImporter.h"
#include "ShapeArithmetic.h"
#include "SymbolicShapes.h"
#include "TensorOps.h"
#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Gathers the node's inputs, all floats; fails with the node named.
LogicalResult floatInputs(GraphImporter &gi, const onnx::NodeProto &node,
                          int count, SmallVectorImpl<Value> &out) {
  return gi.typedInputs(
      node, count, [](Type t) { return isa<FloatType>(t); }, "float", out);
}

LogicalResult importTranspose(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  int64_t rank = typeOf(x).getRank();
  std::vector<int64_t> perm = gi.intsAttr(node, "perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  std::vector<int64_t> sorted(perm);
  llvm::sort(sorted);
  bool isPermutation = int64_t(perm.size()) == rank;
  for (int64_t d = 0; d < int64_t(sorted.size()); ++d)
    isPermutation &= sorted[d] == d;
  if (!isPermutation)
    return gi.error(node, "perm " + formatShape(perm) +
                              " is not a permutation of the " + Twine(rank) +
                              " dimensions");
  gi.setOutput(node, 0, transpose(gi.builder(), gi.loc(node), x, perm));
  return success();
}

/// Reshapes statically shaped `x` to `shape` as a collapse to one
/// dimension and an expand: both are views, so no copy is made.
Value reshapeTo(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> shape) {
  auto t = typeOf(x);
  auto type = RankedTensorType::get(shape, t.getElementType());
  if (t.getShape() == shape)
    return x;
  // One collapse or one expand where the new shape merges or splits
  // neighbouring dimensions (the head splits and merges of attention).
  if (t.getRank() > int64_t(shape.size()) && !shape.empty())
    if (auto groups = getReassociationIndicesForCollapse(t.getShape(), shape))
      return tensor::CollapseShapeOp::create(b, loc, type, x, *groups);
  if (t.getRank() < int64_t(shape.size()) && t.getRank() > 0)
    if (auto groups = getReassociationIndicesForCollapse(shape, t.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, type, x, *groups);
  Value flat = x;
  if (t.getRank() != 1) {
    auto flatType =
        RankedTensorType::get({t.getNumElements()}, t.getElementType());
    flat = t.getRank() == 0
               ? Value(tensor::ExpandShapeOp::create(
                     b, loc, flatType, x, ArrayRef<ReassociationIndices>{}))
               : Value(tensor::CollapseShapeOp::create(b, loc, flatType, x,
                                                       wholeRank(t.getRank())));
  }
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       wholeRank(shape.size()));
}

LogicalResult importReshape(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  const HostTensor *shape = gi.constantInput(node, 1);
  if (!x)
    return failure();
  auto t = typeOf(x);
  if (!shape || !t.hasStaticShape()) {
    std::optional<SmallVector<OpFoldResult>> dims = gi.sizesInput(node, 1);
    if (!dims)
      return gi.error(node, "not supported: a shape that is neither known at "
                            "import nor computed from input sizes");
    FailureOr<Value> y =
        reshapeDynamic(gi, node, x, *dims, gi.intAttr(node, "allowzero", 0));
    if (failed(y))
      return failure();
    gi.setOutput(node, 0, *y);
    return success();
  }
  std::string error;
  auto dims = reshapeDims(t.getShape(), shape->ints(),
                          gi.intAttr(node, "allowzero", 0), error);
  if (!dims)
    return gi.error(node, error);
  gi.setOutput(node, 0, reshapeTo(gi.builder(), gi.loc(node), x, *dims));
  return success();
}

/// Axes from the attribute (old opsets) or the second input.
LogicalResult axesOf(GraphImporter &gi, const onnx::NodeProto &node,
                     std::vector<int64_t> &axes, bool &given) {
  given = true;
  if (const HostTensor *c = gi.constantInput(node, 1)) {
    axes = c->ints();
    return success();
  }
  if (gi.hasInput(node, 1)) {
    // An empty axes input given at run time is as if none were given.
    if (auto data = dataElements(gi, node, 1); data && data->empty()) {
      given = false;
      return success();
    }
    return gi.error(node, "not supported: axes that are not known at import "
                          "nor a graph input");
  }
  if (gi.attribute(node, "axes")) {
    axes = gi.intsAttr(node, "axes");
    return success();
  }
  given = false;
  return success();
}

/// Input 0 and the axes of Squeeze/Unsqueeze.
LogicalResult inputAndAxes(GraphImporter &gi, const onnx::NodeProto &node,
                           Value &x, std::vector<int64_t> &axes, bool &given) {
  x = gi.input(node, 0);
  if (!x)
    return failure();
  return axesOf(gi, node, axes, given);
}

/// Sets output 0 to `x` reshaped to `shape` (static) or, when x is dynamic,
/// to `dims`.
LogicalResult setReshaped(GraphImporter &gi, const onnx::NodeProto &node,
                          Value x, ArrayRef<int64_t> shape,
                          ArrayRef<OpFoldResult> dims) {
  if (typeOf(x).hasStaticShape()) {
    gi.setOutput(node, 0, reshapeTo(gi.builder(), gi.loc(node), x, shape));
    return success();
  }
  FailureOr<Value> y = reshapeDynamic(gi, node, x, dims, /*allowZero=*/true);
  if (failed(y))
    return failure();
  gi.setOutput(node, 0, *y);
  return success();
}

/// The axes input's elements when the model gives them as a graph input
/// (read at run time); nothing when they are known at import or absent.
std::optional<SmallVector<OpFoldResult>> dataAxes(GraphImporter &gi,
                                                  const onnx::NodeProto &node) {
  if (!gi.hasInput(node, 1) || gi.constantInput(node, 1))
    return std::nullopt;
  return dataElements(gi, node, 1);
}

LogicalResult importUnsqueeze(GraphImporter &gi, const onnx::NodeProto &node) {
  if (auto data = dataAxes(gi, node)) {
    Value x = gi.input(node, 0);
    if (!x)
      return failure();
    FailureOr<Value> y = unsqueezeAtData(gi, node, x, *data);
    if (failed(y))
      return failure();
    gi.setOutput(node, 0, *y);
    return success();
  }
  Value x;
  std::vector<int64_t> axes;
  bool given;
  if (failed(inputAndAxes(gi, node, x, axes, given)))
    return failure();
  auto t = typeOf(x);
  int64_t rank = t.getRank() + axes.size();
  if (!normalizeAxes(axes, rank))
    return gi.error(node, "axes out of range or repeated");
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> dims;
  for (int64_t d = 0, k = 0; d < rank; ++d) {
    bool unit = llvm::is_contained(axes, d);
    shape.push_back(unit ? 1 : t.getDimSize(k));
    dims.push_back(unit ? gi.builder().getIndexAttr(1) : gi.dimOf(x, k));
    k += !unit;
  }
  return setReshaped(gi, node, x, shape, dims);
}

LogicalResult importSqueeze(GraphImporter &gi, const onnx::NodeProto &node) {
  if (auto data = dataAxes(gi, node); data && !data->empty()) {
    Value x = gi.input(node, 0);
    if (!x)
      return failure();
    BoundArithmetic a(gi, node);
    FailureOr<SmallVector<OpFoldResult>> flags =
        axisFlags(a, *data, typeOf(x).getRank());
    if (failed(flags))
      return failure();
    FailureOr<Value> y =
        squeezeFlagged(gi, node, x, *flags, data->size(), /*checkUnit=*/true);
    if (failed(y))
      return failure();
    gi.setOutput(node, 0, *y);
    return success();
  }
  Value x;
  std::vector<int64_t> axes;
  bool given;
  if (failed(inputAndAxes(gi, node, x, axes, given)))
    return failure();
  auto t = typeOf(x);
  if (!given)
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (t.getDimSize(d) == 1)
        axes.push_back(d);
  if (!normalizeAxes(axes, t.getRank()))
    return gi.error(node, "axes out of range");
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> dims;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (!llvm::is_contained(axes, d)) {
      shape.push_back(t.getDimSize(d));
      dims.push_back(gi.dimOf(x, d));
    } else if (t.getDimSize(d) != 1) {
      return gi.error(node, t.isDynamicDim(d)
                                ? Twine("not supported: squeezing a dynamic "
                                        "dimension")
                                : "squeezes a dimension of size " +
                                      Twine(t.getDimSize(d)));
    }
  }
  return setReshaped(gi, node, x, shape, dims);
}

LogicalResult importConcat(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  for (int i = 0; i < node.input_size(); ++i) {
    Value v = gi.input(node, i);
    if (!v)
      return failure();
    ins.push_back(v);
  }
  if (ins.empty())
    return gi.error(node, "no inputs");
  FailureOr<int64_t> axis = gi.axisAttr(node, 0, typeOf(ins[0]).getRank());
  if (failed(axis))
    return failure();
  std::string mismatch = concatMismatch(ins, *axis);
  if (!mismatch.empty())
    return gi.error(node, "cannot concatenate: " + mismatch);
  // Operands empty along the axis add nothing (their insertion would start
  // past the end, which subviews refuse).
  SmallVector<Value> nonEmpty;
  for (Value v : ins)
    if (typeOf(v).getDimSize(*axis) != 0)
      nonEmpty.push_back(v);
  if (nonEmpty.empty())
    nonEmpty.push_back(ins.front());
  if (nonEmpty.size() == 1 &&
      nonEmpty.front().getType() == tensor::ConcatOp::inferResultType(
                                        *axis, ValueRange(ins).getTypes())) {
    gi.setOutput(node, 0, nonEmpty.front());
    return success();
  }
  gi.setOutput(
      node, 0,
      tensor::ConcatOp::create(gi.builder(), gi.loc(node), *axis, nonEmpty));
  return success();
}

LogicalResult importMatMul(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 2, ins)))
    return failure();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  // 1D operands: promote to matrices and drop the added dims afterwards.
  Value a = ins[0], c = ins[1];
  bool vecA = typeOf(a).getRank() == 1, vecC = typeOf(c).getRank() == 1;
  if ((vecA || vecC) &&
      (!typeOf(a).hasStaticShape() || !typeOf(c).hasStaticShape()))
    return gi.error(node, "not supported: dynamic 1D MatMul");
  if (vecA)
    a = reshapeTo(b, loc, a, {1, typeOf(a).getDimSize(0)});
  if (vecC)
    c = reshapeTo(b, loc, c, {typeOf(c).getDimSize(0), 1});
  auto r = matmul(b, loc, a, c);
  if (failed(r))
    return gi.error(node, "shapes do not multiply");
  Value y = *r;
  if (vecA || vecC) {
    SmallVector<int64_t> shape(typeOf(y).getShape());
    if (vecC)
      shape.erase(shape.end() - 1);
    if (vecA)
      shape.erase(shape.end() - (vecC ? 1 : 2));
    y = reshapeTo(b, loc, y, shape);
  }
  gi.setOutput(node, 0, y);
  return success();
}

LogicalResult importGemm(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 2, ins)))
    return failure();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value a = ins[0], c = ins[1];
  if (typeOf(a).getRank() != 2 || typeOf(c).getRank() != 2)
    return gi.error(node, "A and B must be 2D");
  if (gi.intAttr(node, "transA", 0))
    a = transpose(b, loc, a, {1, 0});
  if (gi.intAttr(node, "transB", 0))
    c = transpose(b, loc, c, {1, 0});
  auto r = matmul(b, loc, a, c);
  if (failed(r))
    return gi.error(node, "shapes do not multiply");
  float alpha = gi.floatAttr(node, "alpha", 1.0f);
  float beta = gi.floatAttr(node, "beta", 1.0f);
  Type elt = typeOf(a).getElementType();
  SmallVector<Value> operands = {*r};
  Value bias = gi.optionalInput(node, 2);
  if (bias)
    operands.push_back(bias);
  auto y = elementwise(
      b, loc, operands, elt,
      [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        auto scalar = [&](float f) -> Value {
          return arith::ConstantOp::create(nb, l, nb.getFloatAttr(elt, f));
        };
        Value out = arith::MulFOp::create(nb, l, v[0], scalar(alpha));
        if (v.size() > 1)
          out = arith::AddFOp::create(
              nb, l, out, arith::MulFOp::create(nb, l, v[1], scalar(beta)));
        return out;
      });
  if (failed(y))
    return gi.error(node, "C does not broadcast to the product");
  gi.setOutput(node, 0, *y);
  return success();
}

/// max(a, b) and a + b for reductions.
Value maxOf(OpBuilder &b, Location l, ValueRange a) {
  return arith::MaximumFOp::create(b, l, a[0], a[1]);
}
Value sumOf(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a[0], a[1]);
}

TypedAttr floatAttr(OpBuilder &b, Type elt, double v) {
  return b.getFloatAttr(elt, v);
}

LogicalResult importSoftmax(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 1, ins)))
    return failure();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value x = ins[0];
  auto type = typeOf(x);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axisOr =
      gi.axisAttr(node, gi.opset("") >= 13 ? -1 : 1, rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  // Before opset 13 the input is flattened at `axis` into a matrix: the
  // trailing dimensions become one, softmax runs over it.
  bool flatten = gi.opset("") < 13 && axis + 1 < rank;
  Value in = x;
  if (flatten) {
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < axis; ++d)
      groups.push_back({d});
    ReassociationIndices tail;
    for (int64_t d = axis; d < rank; ++d)
      tail.push_back(d);
    groups.push_back(tail);
    in = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  auto inType = typeOf(in);
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < inType.getRank(); ++d)
    sizes.push_back(dimOf(b, loc, in, d));
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  Value y = linalg::SoftmaxOp::create(b, loc, TypeRange{inType}, in, init, axis)
                .getResult()[0];
  if (flatten) {
    SmallVector<OpFoldResult> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(dimOf(b, loc, x, d));
    y = tensor::ExpandShapeOp::create(
        b, loc, type, y,
        cast<tensor::CollapseShapeOp>(in.getDefiningOp())
            .getReassociationIndices(),
        shape);
  }
  gi.setOutput(node, 0, y);
  return success();
}

/// mean of `x` over `axes`, kept as size-1 dims.
Value meanAlong(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes) {
  Type elt = typeOf(x).getElementType();
  Value sum = reduceKeepDims(b, loc, x, axes, floatAttr(b, elt, 0.0), sumOf);
  Value n = countAlong(b, loc, x, axes, elt);
  return *elementwise(b, loc, {sum}, elt,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::DivFOp::create(nb, l, a[0], n);
                      });
}

/// The normalized axes [axis, rank).
LogicalResult normAxes(GraphImporter &gi, const onnx::NodeProto &node,
                       int64_t rank, SmallVectorImpl<int64_t> &axes) {
  FailureOr<int64_t> axis = gi.axisAttr(node, -1, rank);
  if (failed(axis))
    return failure();
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  return success();
}

LogicalResult importRMSNormalization(GraphImporter &gi,
                                     const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 2, ins)))
    return failure();
  Value x = ins[0], scale = ins[1];
  SmallVector<int64_t> axes;
  if (failed(normAxes(gi, node, typeOf(x).getRank(), axes)))
    return failure();
  auto shape = broadcastShape({x, scale});
  if (failed(shape) || *shape != broadcastShape({x}).value())
    return gi.error(node, "scale does not broadcast to the input");
  OpBuilder &b = gi.builder();
  gi.setOutput(node, 0,
               hydra::RMSNormOp::create(
                   b, gi.loc(node), x.getType(), x, scale,
                   b.getI64IntegerAttr(axes.front()),
                   b.getF32FloatAttr(gi.floatAttr(node, "epsilon", 1e-5f))));
  return success();
}

/// ONNX LayerNormalization: statistics in `stash_type` (f32 by default),
/// Y = (x - mean) · invStdDev in the input type, then · scale + bias; the
/// optional Mean and InvStdDev outputs keep the normalized dims as size 1.
LogicalResult importLayerNormalization(GraphImporter &gi,
                                       const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 2, ins)))
    return failure();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value x = ins[0], scale = ins[1], bias = gi.optionalInput(node, 2);
  SmallVector<int64_t> axes;
  if (failed(normAxes(gi, node, typeOf(x).getRank(), axes)))
    return failure();
  Type elt = typeOf(x).getElementType();
  Type stash = gi.elementType(gi.intAttr(node, "stash_type", 1));
  if (!stash || !isa<FloatType>(stash))
    return gi.error(node, "stash_type must be a float type");
  float eps = gi.floatAttr(node, "epsilon", 1e-5f);
  Value xs = convertElements(b, loc, x, stash, false, false);
  Value mean = meanAlong(b, loc, xs, axes);
  Value centered =
      *elementwise(b, loc, {xs, mean}, stash,
                   [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     return arith::SubFOp::create(nb, l, a[0], a[1]);
                   });
  Value sq = *elementwise(b, loc, {centered}, stash,
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            return arith::MulFOp::create(nb, l, a[0], a[0]);
                          });
  Value var = meanAlong(b, loc, sq, axes);
  Value inv = *elementwise(
      b, loc, {var}, stash,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value e = arith::ConstantOp::create(nb, l, nb.getFloatAttr(stash, eps));
        return math::RsqrtOp::create(nb, l,
                                     arith::AddFOp::create(nb, l, a[0], e));
      });
  Value normalized = convertElements(
      b, loc,
      *elementwise(b, loc, {centered, inv}, stash,
                   [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     return arith::MulFOp::create(nb, l, a[0], a[1]);
                   }),
      elt, false, false);
  SmallVector<Value> operands = {normalized, scale};
  if (bias)
    operands.push_back(bias);
  auto y = elementwise(b, loc, operands, elt,
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         Value out = arith::MulFOp::create(nb, l, a[0], a[1]);
                         if (a.size() > 2)
                           out = arith::AddFOp::create(nb, l, out, a[2]);
                         return out;
                       });
  if (failed(y) || typeOf(*y).getShape() != typeOf(x).getShape())
    return gi.error(node, "scale or bias does not broadcast to the input");
  gi.setOutput(node, 0, *y);
  gi.setOutput(node, 1, mean);
  gi.setOutput(node, 2, inv);
  return success();
}

LogicalResult importExpand(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  const HostTensor *shape = gi.constantInput(node, 1);
  if (!x)
    return failure();
  if (!shape || !typeOf(x).hasStaticShape()) {
    std::optional<SmallVector<OpFoldResult>> sizes = gi.sizesInput(node, 1);
    if (!sizes)
      return gi.error(node, "not supported: a shape that is neither known at "
                            "import nor computed from input sizes");
    FailureOr<Value> y = expandDynamic(gi, node, x, *sizes);
    if (failed(y))
      return failure();
    gi.setOutput(node, 0, *y);
    return success();
  }
  std::vector<int64_t> dims = shape->ints();
  if (llvm::any_of(dims, [](int64_t d) { return d < 0; }))
    return gi.error(node,
                    "shape " + formatShape(dims) + " has a negative dimension");
  auto y = elementwise(
      gi.builder(), gi.loc(node), {x}, typeOf(x).getElementType(),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; }, dims);
  if (failed(y))
    return gi.error(node, "the shape does not broadcast with the input");
  gi.setOutput(node, 0, *y);
  return success();
}

LogicalResult importFlatten(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  int64_t rank = t.getRank();
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 1, rank, /*inclusive=*/true);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  if (!t.hasStaticShape()) {
    OpBuilder &b = gi.builder();
    Location loc = gi.loc(node);
    SmallVector<OpFoldResult> dims(2, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d) {
      Value a = getValueOrCreateConstantIndexOp(b, loc, dims[d >= axis]);
      Value c = getValueOrCreateConstantIndexOp(b, loc, gi.dimOf(x, d));
      dims[d >= axis] = arith::MulIOp::create(b, loc, a, c).getResult();
    }
    return setReshaped(gi, node, x, {}, dims);
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= t.getDimSize(d);
  gi.setOutput(
      node, 0,
      reshapeTo(gi.builder(), gi.loc(node), x,
                {outer, t.getNumElements() / std::max<int64_t>(outer, 1)}));
  return success();
}

enum class Reduction {
  Mean,
  Sum,
  Max,
  Min,
  Prod,
  SumSquare,
  L1,
  L2,
  LogSum,
  LogSumExp
};

/// One float elementwise map of `x` (or of `x` and a broadcast `y`).
Value mapFloat(OpBuilder &b, Location loc, ValueRange xs, ScalarFn fn) {
  return *elementwise(
      b, loc, xs, cast<RankedTensorType>(xs[0].getType()).getElementType(), fn);
}

/// log Σ e^x over `axes`, kept as size-1 dims, shifted by the maximum so no
/// term overflows (a row of −inf gives −inf).
Value logSumExp(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes) {
  Type elt = typeOf(x).getElementType();
  Value m = reduceKeepDims(
      b, loc, x, axes,
      floatAttr(b, elt, -std::numeric_limits<double>::infinity()), maxOf);
  // A row that is all −inf: shift by 0 instead (−inf − −inf is NaN).
  Value shift = mapFloat(
      b, loc, {m}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value finite = math::IsFiniteOp::create(nb, l, a[0]);
        Value zero = arith::ConstantOp::create(
            nb, l, nb.getFloatAttr(a[0].getType(), 0.0));
        return arith::SelectOp::create(nb, l, finite, a[0], zero);
      });
  Value e = mapFloat(b, loc, {x, shift},
                     [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       return math::ExpOp::create(
                           nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                     });
  Value sum = reduceKeepDims(b, loc, e, axes, floatAttr(b, elt, 0.0), sumOf);
  return mapFloat(b, loc, {sum, shift},
                  [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    return arith::AddFOp::create(
                        nb, l, math::LogOp::create(nb, l, a[0]), a[1]);
                  });
}

/// LogSoftmax: x − log Σ e^x along the axis (before opset 13 along every
/// dimension from the axis on, which is what flattening there means).
LogicalResult importLogSoftmax(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 1, ins)))
    return failure();
  Value x = ins[0];
  int64_t rank = typeOf(x).getRank();
  bool old = gi.opset("") < 13;
  FailureOr<int64_t> axis = gi.axisAttr(node, old ? 1 : -1, rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes{*axis};
  for (int64_t d = *axis + 1; old && d < rank; ++d)
    axes.push_back(d);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value lse = logSumExp(b, loc, x, axes);
  gi.setOutput(node, 0,
               mapFloat(b, loc, {x, lse},
                        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::SubFOp::create(nb, l, a[0], a[1]);
                        }));
  return success();
}

/// A reduction over axes read from data: the same reductions as below, one
/// pass per dimension (reduceFlagged); LogSumExp, which needs the maximum
/// first, is not written that way.
template <Reduction Kind>
LogicalResult reduceAtData(GraphImporter &gi, const onnx::NodeProto &node,
                           Value x, ArrayRef<OpFoldResult> axes) {
  if (Kind == Reduction::LogSumExp)
    return gi.error(node, "not supported: ReduceLogSumExp over axes read at "
                          "run time");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Type elt = typeOf(x).getElementType();
  int64_t rank = typeOf(x).getRank();
  BoundArithmetic a(gi, node);
  FailureOr<SmallVector<OpFoldResult>> flags = axisFlags(a, axes, rank);
  if (failed(flags))
    return failure();
  auto map = [&](Value v, auto fn) {
    return mapFloat(b, loc, {v}, [&](OpBuilder &nb, Location l, ValueRange e) {
      return Value(fn(nb, l, e[0]));
    });
  };
  Value terms = x;
  if (Kind == Reduction::SumSquare || Kind == Reduction::L2)
    terms = map(x, [](OpBuilder &nb, Location l, Value v) {
      return arith::MulFOp::create(nb, l, v, v);
    });
  if (Kind == Reduction::L1)
    terms = map(x, [](OpBuilder &nb, Location l, Value v) {
      return math::AbsFOp::create(nb, l, v);
    });
  double inf = std::numeric_limits<double>::infinity();
  Value r;
  if (Kind == Reduction::Max)
    r = reduceFlagged(gi, node, terms, *flags, floatAttr(b, elt, -inf), maxOf,
                      false);
  else if (Kind == Reduction::Min)
    r = reduceFlagged(
        gi, node, terms, *flags, floatAttr(b, elt, inf),
        [](OpBuilder &nb, Location l, ValueRange v) -> Value {
          return arith::MinimumFOp::create(nb, l, v[0], v[1]);
        },
        false);
  else if (Kind == Reduction::Prod)
    r = reduceFlagged(
        gi, node, terms, *flags, floatAttr(b, elt, 1.0),
        [](OpBuilder &nb, Location l, ValueRange v) -> Value {
          return arith::MulFOp::create(nb, l, v[0], v[1]);
        },
        false);
  else
    r = reduceFlagged(gi, node, terms, *flags, floatAttr(b, elt, 0.0), sumOf,
                      Kind == Reduction::Mean);
  if (Kind == Reduction::L2)
    r = map(r, [](OpBuilder &nb, Location l, Value v) {
      return math::SqrtOp::create(nb, l, v);
    });
  if (Kind == Reduction::LogSum)
    r = map(r, [](OpBuilder &nb, Location l, Value v) {
      return math::LogOp::create(nb, l, v);
    });
  if (!gi.intAttr(node, "keepdims", 1)) {
    FailureOr<Value> y = squeezeFlagged(gi, node, r, *flags, axes.size(),
                                        /*checkUnit=*/false);
    if (failed(y))
      return failure();
    r = *y;
  }
  gi.setOutput(node, 0, r);
  return success();
}

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd,
/// ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp:
/// axes from the input (newer opsets) or the attribute, all axes when none
/// are given.
template <Reduction Kind>
LogicalResult importReduce(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(floatInputs(gi, node, 1, ins)))
    return failure();
  Value x = ins[0];
  int64_t rank = typeOf(x).getRank();
  if (auto data = dataAxes(gi, node); data && !data->empty())
    return reduceAtData<Kind>(gi, node, x, *data);
  std::vector<int64_t> axes;
  bool given;
  if (failed(axesOf(gi, node, axes, given)))
    return failure();
  if (!given || axes.empty()) {
    if (gi.intAttr(node, "noop_with_empty_axes", 0)) {
      gi.setOutput(node, 0, x);
      return success();
    }
    axes.clear();
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (!normalizeAxes(axes, rank))
    return gi.error(node, "axes out of range");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Type elt = typeOf(x).getElementType();
  Value r;
  if (Kind == Reduction::Mean)
    r = meanAlong(b, loc, x, axes);
  else if (Kind == Reduction::Max)
    r = reduceKeepDims(
        b, loc, x, axes,
        floatAttr(b, elt, -std::numeric_limits<double>::infinity()), maxOf);
  else if (Kind == Reduction::Min)
    r = reduceKeepDims(
        b, loc, x, axes,
        floatAttr(b, elt, std::numeric_limits<double>::infinity()),
        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::MinimumFOp::create(nb, l, a[0], a[1]);
        });
  else if (Kind == Reduction::Prod)
    r = reduceKeepDims(b, loc, x, axes, floatAttr(b, elt, 1.0),
                       [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return arith::MulFOp::create(nb, l, a[0], a[1]);
                       });
  else if (Kind == Reduction::LogSumExp)
    r = logSumExp(b, loc, x, axes);
  else {
    // Sum of x, |x| or x², then the log or square root.
    Value terms = x;
    if (Kind == Reduction::SumSquare || Kind == Reduction::L2)
      terms =
          mapFloat(b, loc, {x}, [](OpBuilder &nb, Location l, ValueRange a) {
            return Value(arith::MulFOp::create(nb, l, a[0], a[0]));
          });
    if (Kind == Reduction::L1)
      terms =
          mapFloat(b, loc, {x}, [](OpBuilder &nb, Location l, ValueRange a) {
            return Value(math::AbsFOp::create(nb, l, a[0]));
          });
    r = reduceKeepDims(b, loc, terms, axes, floatAttr(b, elt, 0.0), sumOf);
    if (Kind == Reduction::L2)
      r = mapFloat(b, loc, {r}, [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(math::SqrtOp::create(nb, l, a[0]));
      });
    if (Kind == Reduction::LogSum)
      r = mapFloat(b, loc, {r}, [](OpBuilder &nb, Location l, ValueRange a) {
        return Value(math::LogOp::create(nb, l, a[0]));
      });
  }
  if (!gi.intAttr(node, "keepdims", 1)) {
    auto t = typeOf(r);
    if (!t.hasStaticShape())
      return gi.error(node, "not supported: keepdims=0 on a dynamic shape");
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d))
        shape.push_back(t.getDimSize(d));
    r = reshapeTo(b, loc, r, shape);
  }
  gi.setOutput(node, 0, r);
  return success();
}
} // namespace

void registerOrdinaryImporters(ImporterTable &onnx) {
  onnx["Transpose"] = {importTranspose, {1, 1}};
  onnx["Reshape"] = {importReshape, {2, 2}};
  onnx["Unsqueeze"] = {importUnsqueeze, {1, 2}};
  onnx["Squeeze"] = {importSqueeze, {1, 2}};
  onnx["Concat"] = {importConcat, {1, kVariadic}};
  onnx["MatMul"] = {importMatMul, {2, 2}};
  onnx["Gemm"] = {importGemm, {2, 3}};
  onnx["Softmax"] = {importSoftmax, {1, 1}};
  onnx["ReduceMean"] = {importReduce<Reduction::Mean>, {1, 2}};
  onnx["RMSNormalization"] = {importRMSNormalization, {2, 2}};
  onnx["LayerNormalization"] = {importLayerNormalization, {2, 3, 3}};
  onnx["Expand"] = {importExpand, {2, 2}};
  onnx["Flatten"] = {importFlatten, {1, 1}};
  onnx["ReduceSum"] = {importReduce<Reduction::Sum>, {1, 2}};
  onnx["ReduceMax"] = {importReduce<Reduction::Max>, {1, 2}};
  onnx["ReduceMin"] = {importReduce<Reduction::Min>, {1, 2}};
  onnx["ReduceProd"] = {importReduce<Reduction::Prod>, {1, 2}};
  onnx["ReduceSumSquare"] = {importReduce<Reduction::SumSquare>, {1, 2}};
  onnx["ReduceL1"] = {importReduce<Reduction::L1>, {1, 2}};
  onnx["ReduceL2"] = {importReduce<Reduction::L2>, {1, 2}};
  onnx["ReduceLogSum"] = {importReduce<Reduction::LogSum>, {1, 2}};
  onnx["ReduceLogSumExp"] = {importReduce<Reduction::LogSumExp>, {1, 2}};
  onnx["LogSoftmax"] = {importLogSoftmax, {1, 1}};
}

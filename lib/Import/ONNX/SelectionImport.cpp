//===- SelectionImport.cpp - Trilu, CumSum, Tile, GatherND, ArgMax --------===//
//
// Operators that pick, repeat or accumulate elements by position: masks
// (Trilu), position ids (CumSum), repeats (Tile), index lookups
// (GatherND) and arg-reductions. Static shapes; each is one
// linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"
#include "ShapeArithmetic.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value zeroOf(OpBuilder &b, Location l, Type t) {
  return arith::ConstantOp::create(b, l, b.getZeroAttr(t));
}
Value addOf(OpBuilder &b, Location l, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::AddFOp::create(b, l, x, y))
                                     : Value(arith::AddIOp::create(b, l, x, y));
}

/// A scalar integer input (0-d or one element) as an i64 inside a
/// linalg body: a constant when known at import, else read there (a host
/// program holds no loads of its own). Null when absent.
struct ScalarIntInput {
  std::optional<int64_t> constant;
  Value tensor;
  bool isUnsigned = false;
  Value read(OpBuilder &b, Location l) const {
    if (constant || !tensor)
      return arith::ConstantOp::create(
          b, l, b.getI64IntegerAttr(constant.value_or(0)));
    auto t = typeOf(tensor);
    SmallVector<Value> zeros(t.getRank(),
                             arith::ConstantIndexOp::create(b, l, 0));
    Value s = tensor::ExtractOp::create(b, l, tensor, zeros);
    return convertScalar(b, l, s, b.getI64Type(), isUnsigned, false);
  }
};
FailureOr<ScalarIntInput> scalarInt(GraphImporter &gi,
                                    const onnx::NodeProto &node, int i) {
  ScalarIntInput in;
  if (!gi.hasInput(node, i))
    return in;
  if (const HostTensor *c = gi.constantInput(node, i)) {
    if (c->ints().size() != 1)
      return gi.error(node, "input " + Twine(i) + " must be one integer");
    in.constant = c->ints().front();
    return in;
  }
  in.tensor = gi.input(node, i);
  auto t = typeOf(in.tensor);
  if (!isa<IntegerType>(t.getElementType()) || !t.hasStaticShape() ||
      t.getNumElements() != 1)
    return gi.error(node, "input " + Twine(i) + " must be one integer");
  in.isUnsigned = gi.inputIsUnsigned(node, i);
  return in;
}

/// Trilu: keeps the upper (j − i ≥ k) or lower (j − i ≤ k) triangle of the
/// last two dimensions and zeroes the rest; k may be a run-time value.
LogicalResult importTrilu(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  if (t.getRank() < 2)
    return gi.error(node, "the input must have rank 2 or more");
  FailureOr<ScalarIntInput> k = scalarInt(gi, node, 1);
  if (failed(k))
    return failure();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  bool upper = gi.intAttr(node, "upper", 1) != 0;
  int64_t rank = t.getRank();
  return setResult(
      gi, node,
      elementwise(
          b, loc, {x}, t.getElementType(),
          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value i = asI64(nb, l, linalg::IndexOp::create(nb, l, rank - 2));
            Value j = asI64(nb, l, linalg::IndexOp::create(nb, l, rank - 1));
            Value diff = arith::SubIOp::create(nb, l, j, i);
            Value kv = k->read(nb, l);
            Value keep = arith::CmpIOp::create(
                nb, l,
                upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                diff, kv);
            return arith::SelectOp::create(nb, l, keep, a[0],
                                           zeroOf(nb, l, a[0].getType()));
          }));
}

/// CumSum along a constant axis: out[i] = Σ x[j] over j ≤ i (j < i when
/// exclusive; j ≥ i, j > i when reversed), as a reduction over a second
/// copy of the axis: quadratic in the axis length, which exporters use for
/// position ids and masks (sequence length).
LogicalResult importCumSum(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Value x = ins[0];
  auto t = typeOf(x);
  Type elt = t.getElementType();
  const HostTensor *axisIn = gi.constantInput(node, 1);
  if (!axisIn || axisIn->ints().size() != 1)
    return gi.error(node, "not supported: an axis that is not one integer "
                          "known at import");
  std::vector<int64_t> axes = axisIn->ints();
  int64_t rank = t.getRank();
  if (!normalizeAxes(axes, rank))
    return gi.error(node, "axis out of range");
  int64_t axis = axes[0];
  bool exclusive = gi.intAttr(node, "exclusive", 0) != 0;
  bool reverse = gi.intAttr(node, "reverse", 0) != 0;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value init =
      linalg::FillOp::create(
          b, loc, zeroOf(b, loc, elt),
          ValueRange{tensor::EmptyOp::create(b, loc, gi.sizesOf(x), elt)})
          .getResult(0);
  // Loops d0..d(rank-1) index the output, d(rank) the summed position.
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t d = 0; d < rank; ++d) {
    inExprs.push_back(b.getAffineDimExpr(d == axis ? rank : d));
    outExprs.push_back(b.getAffineDimExpr(d));
  }
  SmallVector<AffineMap> maps{
      AffineMap::get(rank + 1, 0, inExprs, b.getContext()),
      AffineMap::get(rank + 1, 0, outExprs, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x}, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value i = linalg::IndexOp::create(nb, l, axis);
        Value j = linalg::IndexOp::create(nb, l, rank);
        using P = arith::CmpIPredicate;
        P pred = reverse ? (exclusive ? P::ugt : P::uge)
                         : (exclusive ? P::ult : P::ule);
        Value in = arith::CmpIOp::create(nb, l, pred, j, i);
        Value term =
            arith::SelectOp::create(nb, l, in, a[0], zeroOf(nb, l, elt));
        linalg::YieldOp::create(nb, l, addOf(nb, l, a[1], term));
      });
  gi.setOutput(node, 0, op.getResult(0));
  return success();
}

/// Tile with repeats known at import: out[i] = x[i mod dims].
LogicalResult importTile(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  const HostTensor *repeatsIn = gi.constantInput(node, 1);
  if (!repeatsIn)
    return gi.error(node, "not supported: repeats not known at import");
  if (!t.hasStaticShape())
    return gi.error(node, "not supported: Tile of a dynamic shape");
  std::vector<int64_t> repeats = repeatsIn->ints();
  if (int64_t(repeats.size()) != t.getRank())
    return gi.error(node, "repeats " + formatShape(repeats) + " do not give " +
                              "one count per dimension of the rank-" +
                              Twine(t.getRank()) + " input");
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (repeats[d] < 0)
      return gi.error(node, "repeats " + formatShape(repeats) +
                                " has a negative count");
    int64_t n;
    if (__builtin_mul_overflow(t.getDimSize(d), repeats[d], &n))
      return gi.error(node, "the tiled shape overflows");
    shape.push_back(n);
  }
  if (!fitsTensorLimit(shape, t.getElementTypeBitWidth()))
    return gi.error(node, "the tiled shape " + formatShape(shape) +
                              " exceeds the tensor size limit");
  OpBuilder &b = gi.builder();
  gi.setOutput(node, 0,
               indexedTensor(b, gi.loc(node),
                             getAsIndexOpFoldResult(b.getContext(), shape),
                             t.getElementType(),
                             [&](OpBuilder &nb, Location l, ValueRange ivs) {
                               SmallVector<Value> at;
                               for (int64_t d = 0; d < t.getRank(); ++d)
                                 at.push_back(arith::RemUIOp::create(
                                     nb, l, ivs[d],
                                     arith::ConstantIndexOp::create(
                                         nb, l, t.getDimSize(d))));
                               return tensor::ExtractOp::create(nb, l, x, at);
                             }));
  return success();
}

/// GatherND: out[o..., t...] = data[o[:batch]..., idx[o...], t...], each
/// index wrapped (negative) and clamped to its axis.
LogicalResult importGatherND(GraphImporter &gi, const onnx::NodeProto &node) {
  Value data = gi.input(node, 0), indices = gi.input(node, 1);
  if (!data || !indices)
    return failure();
  auto dt = typeOf(data), it = typeOf(indices);
  if (!isa<IntegerType>(it.getElementType()))
    return gi.error(node, "indices must be integers");
  int64_t batch = gi.intAttr(node, "batch_dims", 0);
  int64_t r = dt.getRank(), q = it.getRank();
  if (q < 1 || batch < 0 || batch >= std::min(r, q))
    return gi.error(node,
                    "batch_dims " + Twine(batch) + " must be below both ranks");
  int64_t k = it.getDimSize(q - 1);
  if (ShapedType::isDynamic(k))
    return gi.error(node, "not supported: indices whose last dimension "
                          "(the index length) is a run-time size");
  if (k < 1 || batch + k > r)
    return gi.error(node, "indices address " + Twine(k) +
                              " dimensions of a rank-" + Twine(r) +
                              " input after " + Twine(batch) + " batch dims");
  for (int64_t d = 0; d < batch; ++d) {
    // The output's batch loops read data too: its sizes must be known equal.
    if (dt.isDynamicDim(d) || it.isDynamicDim(d))
      return gi.error(node, "not supported: batch dimensions of run-time "
                            "size");
    if (dt.getDimSize(d) != it.getDimSize(d))
      return gi.error(node, "batch dimension " + Twine(d) +
                                " differs between data and indices");
  }
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d + 1 < q; ++d)
    sizes.push_back(gi.dimOf(indices, d));
  SmallVector<OpFoldResult> dataSizes = gi.sizesOf(data);
  for (int64_t d = batch + k; d < r; ++d)
    sizes.push_back(dataSizes[d]);
  OpBuilder &b = gi.builder();
  gi.setOutput(
      node, 0,
      indexedTensor(b, gi.loc(node), sizes, dt.getElementType(),
                    [&](OpBuilder &nb, Location l, ValueRange ivs) {
                      SmallVector<Value> at(ivs.take_front(batch));
                      SmallVector<Value> idxAt(ivs.take_front(q - 1));
                      idxAt.push_back(Value());
                      for (int64_t c = 0; c < k; ++c) {
                        idxAt.back() = arith::ConstantIndexOp::create(nb, l, c);
                        Value i =
                            tensor::ExtractOp::create(nb, l, indices, idxAt);
                        at.push_back(wrapIndex(nb, l, i, dataSizes[batch + c]));
                      }
                      for (Value v : ivs.drop_front(q - 1))
                        at.push_back(v);
                      return tensor::ExtractOp::create(nb, l, data, at);
                    }));
  return success();
}

/// ArgMax / ArgMin: the first (or with select_last_index the last) position
/// of the extreme along the axis, as int64; a reduction carrying the best
/// value and its index.
template <bool IsMax>
LogicalResult importArgExtreme(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Value x = ins[0];
  auto t = typeOf(x);
  Type elt = t.getElementType();
  if (!t.hasStaticShape() || t.getRank() == 0)
    return gi.error(node, "not supported: ArgMax/ArgMin of a scalar or a "
                          "dynamic shape");
  int64_t rank = t.getRank();
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 0, rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  bool last = gi.intAttr(node, "select_last_index", 0) != 0;
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis) {
      shape.push_back(t.getDimSize(d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  Type i64 = b.getI64Type();
  // The value slot starts at the axis' first element (no sentinel needed
  // for any type): position 0 compares equal to itself.
  SmallVector<OpFoldResult> firstOffsets(rank, b.getIndexAttr(0)), firstSizes,
      ones(rank, b.getIndexAttr(1));
  for (int64_t d = 0; d < rank; ++d)
    firstSizes.push_back(b.getIndexAttr(d == axis ? 1 : t.getDimSize(d)));
  Value first =
      tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(shape, elt),
                                     x, firstOffsets, firstSizes, ones);
  Value bestInit = linalg::CopyOp::create(
                       b, loc, first,
                       ValueRange{tensor::EmptyOp::create(b, loc, shape, elt)})
                       .getResult(0);
  Value idxInit = linalg::FillOp::create(
                      b, loc, zeroOf(b, loc, i64),
                      ValueRange{tensor::EmptyOp::create(b, loc, shape, i64)})
                      .getResult(0);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank), outMap, outMap};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{bestInit.getType(), idxInit.getType()}, ValueRange{x},
      ValueRange{bestInit, idxInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value v = a[0], best = a[1], bestIdx = a[2];
        Value better;
        if (isa<FloatType>(elt)) {
          using P = arith::CmpFPredicate;
          P pred = IsMax ? (last ? P::OGE : P::OGT) : (last ? P::OLE : P::OLT);
          better = arith::CmpFOp::create(nb, l, pred, v, best);
        } else {
          using P = arith::CmpIPredicate;
          P pred = IsMax ? (last ? (isUnsigned ? P::uge : P::sge)
                                 : (isUnsigned ? P::ugt : P::sgt))
                         : (last ? (isUnsigned ? P::ule : P::sle)
                                 : (isUnsigned ? P::ult : P::slt));
          better = arith::CmpIOp::create(nb, l, pred, v, best);
        }
        Value i = asI64(nb, l, linalg::IndexOp::create(nb, l, axis));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, v, best),
                       arith::SelectOp::create(nb, l, better, i, bestIdx)});
      });
  Value y = op.getResult(1);
  if (gi.intAttr(node, "keepdims", 1))
    y = insertUnitDim(b, loc, y, axis);
  gi.setOutput(node, 0, y);
  return success();
}
} // namespace

void registerSelectionImporters(ImporterTable &onnx) {
  onnx["Trilu"] = {importTrilu, {1, 2}};
  onnx["CumSum"] = {importCumSum, {2, 2}};
  onnx["Tile"] = {importTile, {2, 2}};
  onnx["GatherND"] = {importGatherND, {2, 2}};
  onnx["ArgMax"] = {importArgExtreme<true>, {1, 1}};
  onnx["ArgMin"] = {importArgExtreme<false>, {1, 1}};
}

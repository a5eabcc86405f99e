//===- DataAxes.cpp - axes and splits read from a graph input -------------===//

#include "DataAxes.h"
#include "SymbolicShapes.h"
#include "TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

FailureOr<SmallVector<OpFoldResult>>
mlir::hydra::onnx_import::axisFlags(BoundArithmetic &a,
                                    ArrayRef<OpFoldResult> axes, int64_t rank) {
  if (rank > kMaxDataAxesRank)
    return a.fail("not supported: axes read from data on a tensor of rank " +
                  Twine(rank) + " (at most " + Twine(kMaxDataAxesRank) + ")");
  SmallVector<OpFoldResult> flags(rank, a.index(0));
  for (auto [i, axis] : llvm::enumerate(axes)) {
    OpFoldResult normal = a.add(axis, a.mul(a.negative(axis), a.index(rank)));
    OpFoldResult hits = a.index(0);
    for (int64_t d = 0; d < rank; ++d) {
      OpFoldResult hit = a.equal(normal, a.index(d));
      flags[d] = a.add(flags[d], hit);
      hits = a.add(hits, hit);
    }
    if (failed(a.require(hits, a.index(1),
                         "axis " + Twine(i) + " is out of range for rank " +
                             Twine(rank))))
      return failure();
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (failed(a.requireAtLeast(a.index(1), flags[d],
                                "two axes name dimension " + Twine(d))))
      return failure();
  }
  return flags;
}

/// The size of the dimension of `x` at run-time position `p`.
static OpFoldResult dimAt(GraphImporter &gi, BoundArithmetic &a, Value x,
                          OpFoldResult p) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  if (std::optional<int64_t> c = getConstantIntValue(p))
    return *c >= 0 && *c < rank ? gi.dimOf(x, *c) : a.index(0);
  OpFoldResult size = a.index(0);
  for (int64_t q = 0; q < rank; ++q)
    size = a.add(size, a.mul(a.equal(p, a.index(q)), gi.dimOf(x, q)));
  return size;
}

FailureOr<Value>
mlir::hydra::onnx_import::unsqueezeAtData(GraphImporter &gi,
                                          const onnx::NodeProto &node, Value x,
                                          ArrayRef<OpFoldResult> axes) {
  BoundArithmetic a(gi, node);
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank() + axes.size();
  FailureOr<SmallVector<OpFoldResult>> flags = axisFlags(a, axes, rank);
  if (failed(flags))
    return failure();
  // Output dim j is 1 where flagged, else x's dim at j less the flags
  // before it.
  SmallVector<OpFoldResult> sizes;
  OpFoldResult before = a.index(0);
  for (int64_t j = 0; j < rank; ++j) {
    OpFoldResult source = dimAt(gi, a, x, a.sub(a.index(j), before));
    sizes.push_back(a.select((*flags)[j], a.index(1), source));
    before = a.add(before, (*flags)[j]);
  }
  return reshapeToSizes(gi, node, x, sizes);
}

FailureOr<Value> mlir::hydra::onnx_import::squeezeFlagged(
    GraphImporter &gi, const onnx::NodeProto &node, Value x,
    ArrayRef<OpFoldResult> flags, int64_t count, bool checkUnit) {
  BoundArithmetic a(gi, node);
  int64_t rank = flags.size();
  // Distinct axes (axisFlags checks) cannot outnumber the dimensions.
  if (count > rank)
    return gi.error(node, Twine(count) + " axes for a rank-" + Twine(rank) +
                              " input");
  if (checkUnit)
    for (int64_t q = 0; q < rank; ++q)
      if (failed(a.require(
              a.mul(flags[q], a.sub(gi.dimOf(x, q), a.index(1))), a.index(0),
              "an axis names dimension " + Twine(q) + ", whose size is not 1")))
        return failure();
  // Output dim j is x's dim q for the q with j kept dims before it.
  SmallVector<OpFoldResult> sizes(rank - count, a.index(0));
  OpFoldResult before = a.index(0);
  for (int64_t q = 0; q < rank; ++q) {
    OpFoldResult kept = a.sub(a.index(1), flags[q]);
    for (int64_t j = 0; j < rank - count; ++j)
      sizes[j] = a.add(sizes[j], a.mul(a.mul(kept, a.equal(before, a.index(j))),
                                       gi.dimOf(x, q)));
    before = a.add(before, kept);
  }
  return reshapeToSizes(gi, node, x, sizes);
}

Value mlir::hydra::onnx_import::reduceFlagged(
    GraphImporter &gi, const onnx::NodeProto &node, Value x,
    ArrayRef<OpFoldResult> flags, TypedAttr init, ScalarFn combine, bool mean) {
  BoundArithmetic a(gi, node);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  Type elt = type.getElementType();
  OpFoldResult count = a.index(1);
  for (int64_t d = 0; d < rank; ++d) {
    if (getConstantIntValue(flags[d]) == 0)
      continue;
    // y[.., i, ..] = combine over r < extent of x[.., i + r, ..], where
    // (flag 1) the output dim is 1 and the extent the input's, or (flag 0)
    // the other way round. The window operand gives r its range, as a
    // pooling op's does.
    OpFoldResult size = gi.dimOf(x, d);
    OpFoldResult extent = a.select(flags[d], size, a.index(1));
    SmallVector<OpFoldResult> outSizes = gi.sizesOf(x);
    outSizes[d] = a.select(flags[d], a.index(1), size);
    count = a.mul(count, extent);
    Value out = filledTensor(b, loc, outSizes, init);
    Value window = tensor::EmptyOp::create(b, loc, {extent}, elt);
    SmallVector<AffineExpr> xExprs;
    for (int64_t k = 0; k < rank; ++k)
      xExprs.push_back(k == d ? b.getAffineDimExpr(k) + b.getAffineDimExpr(rank)
                              : b.getAffineDimExpr(k));
    SmallVector<AffineMap> maps{
        AffineMap::get(rank + 1, 0, xExprs, b.getContext()),
        AffineMap::get(rank + 1, 0, b.getAffineDimExpr(rank)),
        AffineMap::getMultiDimIdentityMap(rank + 1, b.getContext())
            .getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    x = linalg::GenericOp::create(
            b, loc, out.getType(), ValueRange{x, window}, ValueRange{out}, maps,
            iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(nb, l,
                                      combine(nb, l, {args[2], args[0]}));
            })
            .getResult(0);
  }
  if (!mean)
    return x;
  Value n = getValueOrCreateConstantIndexOp(b, loc, count);
  return *elementwise(
      b, loc, {x}, elt, [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(), n);
        Value f = arith::SIToFPOp::create(nb, l, v[0].getType(), i);
        return arith::DivFOp::create(nb, l, v[0], f);
      });
}

FailureOr<Value> mlir::hydra::onnx_import::sliceAtData(
    GraphImporter &gi, const onnx::NodeProto &node, Value x,
    ArrayRef<OpFoldResult> starts, ArrayRef<OpFoldResult> ends,
    ArrayRef<OpFoldResult> axes, ArrayRef<OpFoldResult> steps) {
  BoundArithmetic a(gi, node);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  if (failed(axisFlags(a, axes, rank)))
    return failure();
  SmallVector<OpFoldResult> offsets(rank, a.index(0)), strides(rank),
      sizes = gi.sizesOf(x);
  SmallVector<OpFoldResult> strideShift(rank, a.index(0));
  for (auto [i, axis] : llvm::enumerate(axes)) {
    OpFoldResult step = steps[i];
    if (failed(a.require(a.isZero(step), a.index(0),
                         "step " + Twine(i) + " is 0")))
      return failure();
    OpFoldResult normal = a.add(axis, a.mul(a.negative(axis), a.index(rank)));
    for (int64_t d = 0; d < rank; ++d) {
      OpFoldResult hit = a.equal(normal, a.index(d));
      if (getConstantIntValue(hit) == 0)
        continue;
      // With a negative step a start clamps to [0, D−1] and an end to
      // [−1, D−1]; with a positive one both to [0, D].
      OpFoldResult dim = gi.dimOf(x, d), neg = a.negative(step);
      auto fromEnd = [&](OpFoldResult v) {
        return a.add(v, a.mul(a.negative(v), dim));
      };
      OpFoldResult high = a.sub(dim, neg);
      OpFoldResult start = a.min(a.max(fromEnd(starts[i]), a.index(0)), high);
      OpFoldResult end =
          a.min(a.max(fromEnd(ends[i]), a.sub(a.index(0), neg)), high);
      OpFoldResult span =
          a.mul(a.sub(end, start), a.sub(a.index(1), a.mul(neg, a.index(2))));
      OpFoldResult magnitude = a.select(neg, a.sub(a.index(0), step), step);
      OpFoldResult count =
          a.max(a.ceilDiv(span, a.max(magnitude, a.index(1))), a.index(0));
      offsets[d] = a.add(offsets[d], a.mul(hit, start));
      strideShift[d] =
          a.add(strideShift[d], a.mul(hit, a.sub(step, a.index(1))));
      sizes[d] = a.add(sizes[d], a.mul(hit, a.sub(count, dim)));
    }
  }
  for (int64_t d = 0; d < rank; ++d)
    strides[d] = a.add(a.index(1), strideShift[d]);
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<Value> offsetValues, strideValues;
  for (int64_t d = 0; d < rank; ++d) {
    offsetValues.push_back(getValueOrCreateConstantIndexOp(b, loc, offsets[d]));
    strideValues.push_back(getValueOrCreateConstantIndexOp(b, loc, strides[d]));
  }
  // The sizes keep every read inside x (the clamps above), whatever the
  // values.
  return indexedTensor(
      b, loc, sizes, type.getElementType(),
      [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(arith::AddIOp::create(
              nb, l, offsetValues[d],
              arith::MulIOp::create(nb, l, ivs[d], strideValues[d])));
        return tensor::ExtractOp::create(nb, l, x, at);
      });
}

//===- IndexingImport.cpp - Gather, Slice, Split --------------------------===//

#include "DataAxes.h"
#include "GraphImporter.h"
#include "HostTensor.h"
#include "ShapeArithmetic.h"
#include "SizeArithmetic.h"
#include "SymbolicShapes.h"
#include "TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// `x[..., offset : offset + size, ...]` along `axis`, the other dimensions
/// whole; with `dropAxis` (size 1) the axis is dropped from the result.
Value sliceAlong(OpBuilder &b, Location loc, Value x, int64_t axis,
                 int64_t offset, int64_t size, bool dropAxis) {
  auto t = typeOf(x);
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0)), sizes,
      strides(t.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    sizes.push_back(d == axis ? b.getIndexAttr(size) : dimOf(b, loc, x, d));
    if (d != axis || !dropAxis)
      shape.push_back(d == axis ? size : t.getDimSize(d));
  }
  offsets[axis] = b.getIndexAttr(offset);
  auto type = RankedTensorType::get(shape, t.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, type, x, offsets, sizes,
                                        strides);
}

/// Gather of indices known at import, at most 1D: a slice per run of
/// consecutive indices, concatenated. Head selections (which heads go to
/// full and which to linear attention) stay visible to the raising passes
/// this way, and no index is ever read at run time.
LogicalResult gatherConstant(GraphImporter &gi, const onnx::NodeProto &node,
                             Value data, int64_t axis,
                             const HostTensor &indices) {
  int64_t size = typeOf(data).getDimSize(axis);
  std::vector<int64_t> idx = indices.ints();
  for (int64_t &i : idx) {
    if (i < -size || i >= size)
      return gi.error(node, "index " + Twine(i) + " is out of range for " +
                                "an axis of size " + Twine(size));
    if (i < 0)
      i += size;
  }
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  if (indices.shape.empty()) {
    gi.setOutput(node, 0, sliceAlong(b, loc, data, axis, idx[0], 1, true));
    return success();
  }
  SmallVector<Value> runs;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i + 1;
    while (j < idx.size() && idx[j] == idx[j - 1] + 1)
      ++j;
    runs.push_back(sliceAlong(b, loc, data, axis, idx[i], j - i, false));
    i = j;
  }
  if (runs.empty()) {
    gi.setOutput(node, 0, sliceAlong(b, loc, data, axis, 0, 0, false));
    return success();
  }
  gi.setOutput(node, 0,
               runs.size() == 1
                   ? runs.front()
                   : Value(tensor::ConcatOp::create(b, loc, axis, runs)));
  return success();
}

/// Gather along `axis`: out[a..., i..., b...] = data[a..., idx[i...], b...],
/// negative indices counting from the end. Indices outside the axis are
/// clamped to it, so a bad index cannot read outside the buffer.
LogicalResult importGather(GraphImporter &gi, const onnx::NodeProto &node) {
  Value data = gi.input(node, 0), indices = gi.input(node, 1);
  if (!data || !indices)
    return failure();
  auto dt = typeOf(data), it = typeOf(indices);
  if (!isa<IntegerType>(it.getElementType()))
    return gi.error(node, "indices must be integers");
  int64_t rank = dt.getRank();
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 0, rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  const HostTensor *known = gi.constantInput(node, 1);
  if (known && known->shape.size() <= 1 && !dt.isDynamicDim(axis))
    return gatherConstant(gi, node, data, axis, *known);
  if (dt.isDynamicDim(axis))
    return gi.error(node, "not supported: Gather along a dynamic axis");
  // Sizes: data's before the axis, the indices', data's after it.
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < axis; ++d)
    sizes.push_back(gi.dimOf(data, d));
  for (int64_t d = 0; d < it.getRank(); ++d)
    sizes.push_back(gi.dimOf(indices, d));
  for (int64_t d = axis + 1; d < dt.getRank(); ++d)
    sizes.push_back(gi.dimOf(data, d));
  int64_t outRank = sizes.size(), idxRank = it.getRank();
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value init = tensor::EmptyOp::create(b, loc, sizes, dt.getElementType());
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = 0; d < idxRank; ++d)
    idxExprs.push_back(b.getAffineDimExpr(axis + d));
  SmallVector<AffineMap> maps = {
      AffineMap::get(outRank, 0, idxExprs, b.getContext()),
      b.getMultiDimIdentityMap(outRank)};
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  int64_t axisSize = dt.getDimSize(axis);
  auto gather = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{indices}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = wrapIndex(nb, nl, args[0], nb.getIndexAttr(axisSize));
        SmallVector<Value> at;
        for (int64_t d = 0; d < axis; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d));
        at.push_back(i);
        for (int64_t d = axis + 1; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d - 1 + idxRank));
        Value v = tensor::ExtractOp::create(nb, nl, data, at);
        linalg::YieldOp::create(nb, nl, v);
      });
  gi.setOutput(node, 0, gather.getResult(0));
  return success();
}

/// GatherElements: out[i...] = data[i... with i_axis = idx[i...]].
LogicalResult importGatherElements(GraphImporter &gi,
                                   const onnx::NodeProto &node) {
  Value data = gi.input(node, 0), indices = gi.input(node, 1);
  if (!data || !indices)
    return failure();
  auto dt = typeOf(data), it = typeOf(indices);
  if (!dt.hasStaticShape() || !it.hasStaticShape())
    return gi.error(node, "not supported: GatherElements on dynamic shapes");
  if (!isa<IntegerType>(it.getElementType()))
    return gi.error(node, "indices must be integers");
  int64_t rank = dt.getRank();
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 0, rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  if (it.getRank() != rank)
    return gi.error(node, "indices must have the data's rank");
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && it.getDimSize(d) > dt.getDimSize(d))
      return gi.error(node, "indices are larger than the data off the axis");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value init =
      tensor::EmptyOp::create(b, loc, it.getShape(), dt.getElementType());
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  int64_t axisSize = dt.getDimSize(axis);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{indices}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(
              d == axis ? wrapIndex(nb, nl, args[0], nb.getIndexAttr(axisSize))
                        : Value(linalg::IndexOp::create(nb, nl, d)));
        linalg::YieldOp::create(
            nb, nl, Value(tensor::ExtractOp::create(nb, nl, data, at)));
      });
  gi.setOutput(node, 0, op.getResult(0));
  return success();
}

/// A constant integer input as a list, or the attribute of older opsets.
bool intList(GraphImporter &gi, const onnx::NodeProto &node, int input,
             StringRef attr, std::vector<int64_t> &out) {
  if (const HostTensor *c = gi.constantInput(node, input)) {
    out = c->ints();
    return true;
  }
  if (gi.hasInput(node, input))
    return false;
  out = gi.intsAttr(node, attr);
  return true;
}

LogicalResult importSlice(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  std::vector<int64_t> starts, ends, axes, steps;
  bool known = intList(gi, node, 1, "starts", starts) &&
               intList(gi, node, 2, "ends", ends);
  if (!intList(gi, node, 3, "axes", axes) ||
      !intList(gi, node, 4, "steps", steps)) {
    // Axes or steps read from data: lists known at import (or absent:
    // axes 0, 1, ..., steps 1) as constants, the others as run-time values.
    auto s = gi.sizesInput(node, 1), e = gi.sizesInput(node, 2);
    std::vector<int64_t> firstAxes, unitSteps;
    for (size_t k = 0; s && k < s->size(); ++k) {
      firstAxes.push_back(k);
      unitSteps.push_back(1);
    }
    auto listOf = [&](int i, StringRef attr, ArrayRef<int64_t> absent)
        -> std::optional<SmallVector<OpFoldResult>> {
      std::vector<int64_t> known;
      if (!intList(gi, node, i, attr, known))
        return gi.sizesInput(node, i);
      return getAsIndexOpFoldResult(
          gi.context(), known.empty() ? absent : ArrayRef<int64_t>(known));
    };
    auto ax = listOf(3, "axes", firstAxes), st = listOf(4, "steps", unitSteps);
    if (!s || !e || !ax || !st)
      return gi.error(node, "not supported: starts, ends, axes or steps that "
                            "are neither known at import, computed from input "
                            "sizes nor a graph input");
    if (e->size() != s->size() || ax->size() != s->size() ||
        st->size() != s->size())
      return gi.error(node, "starts, ends, axes and steps differ in length");
    FailureOr<Value> r = sliceAtData(gi, node, x, *s, *e, *ax, *st);
    if (failed(r))
      return failure();
    gi.setOutput(node, 0, *r);
    return success();
  }
  // Bounds computed at run time (a cache length, Shape of an input) are
  // size arithmetic.
  SmallVector<OpFoldResult> dynStarts, dynEnds;
  if (!known) {
    auto s = gi.sizesInput(node, 1), e = gi.sizesInput(node, 2);
    if (!s || !e)
      return gi.error(node, "not supported: starts or ends that are neither "
                            "known at import nor computed from input sizes");
    dynStarts = *s;
    dynEnds = *e;
  } else {
    for (int64_t v : starts)
      dynStarts.push_back(gi.builder().getIndexAttr(v));
    for (int64_t v : ends)
      dynEnds.push_back(gi.builder().getIndexAttr(v));
  }
  size_t count = dynStarts.size();
  int64_t rank = t.getRank();
  if (axes.empty())
    for (size_t i = 0; i < count; ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(count, 1);
  if (dynEnds.size() != count || axes.size() != count || steps.size() != count)
    return gi.error(node, "starts, ends, axes and steps differ in length");
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return gi.error(node, "axis " + Twine(a) + " out of range for rank " +
                                Twine(rank));
    a = a < 0 ? a + rank : a;
  }
  if (!known || !t.hasStaticShape()) {
    FailureOr<Value> r =
        sliceDynamic(gi, node, x, dynStarts, dynEnds, axes, steps);
    if (failed(r))
      return failure();
    gi.setOutput(node, 0, *r);
    return success();
  }
  SmallVector<int64_t> offsets(rank, 0), sizes(t.getShape()), strides(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes[i];
    if (steps[i] <= 0)
      return gi.error(node, "not supported: negative or zero steps");
    int64_t dim = t.getDimSize(a);
    auto clamp = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t s = clamp(starts[i]), e = clamp(ends[i]);
    offsets[a] = s;
    strides[a] = steps[i];
    sizes[a] = e > s ? (e - s - 1) / steps[i] + 1 : 0; // no s + step wrap
  }
  gi.setOutput(node, 0,
               extractSlice(gi.builder(), gi.loc(node), x,
                            getAsIndexOpFoldResult(gi.context(), offsets),
                            getAsIndexOpFoldResult(gi.context(), sizes),
                            getAsIndexOpFoldResult(gi.context(), strides)));
  return success();
}

LogicalResult importSplit(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  int64_t rank = t.getRank();
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 0, rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  std::vector<int64_t> split;
  if (!intList(gi, node, 1, "split", split)) {
    // Sizes read from data: each output a slice at their running sum.
    std::optional<SmallVector<OpFoldResult>> sizes = dataElements(gi, node, 1);
    if (!sizes)
      return gi.error(node, "not supported: split sizes that are neither "
                            "known at import nor a graph input");
    if (int64_t(sizes->size()) != node.output_size())
      return gi.error(node, Twine(sizes->size()) + " split sizes for " +
                                Twine(node.output_size()) + " outputs");
    BoundArithmetic a(gi, node);
    OpFoldResult offset = a.index(0);
    for (auto [i, size] : llvm::enumerate(*sizes)) {
      if (failed(a.requireAtLeast(size, a.index(0),
                                  "split size " + Twine(i) + " is negative")))
        return failure();
      SmallVector<OpFoldResult> offsets(rank, a.index(0)),
          shape = gi.sizesOf(x), strides(rank, a.index(1));
      offsets[axis] = offset;
      shape[axis] = size;
      offset = a.add(offset, size);
      // An empty axis has nothing to slice (the checks make every size 0).
      Value part =
          t.getDimSize(axis) == 0
              ? Value(tensor::EmptyOp::create(gi.builder(), gi.loc(node), shape,
                                              t.getElementType()))
              : extractSlice(gi.builder(), gi.loc(node), x, offsets, shape,
                             strides);
      gi.setOutput(node, i, part);
    }
    if (failed(a.require(offset, gi.dimOf(x, axis),
                         "the split sizes do not sum to the axis' size")))
      return failure();
    return success();
  }
  if (t.isDynamicDim(axis))
    return gi.error(node, "not supported: Split along an axis of run-time "
                          "size");
  int64_t parts = node.output_size(), dim = t.getDimSize(axis);
  if (split.empty()) {
    int64_t n = gi.intAttr(node, "num_outputs", parts);
    if (n != parts)
      return gi.error(node, "num_outputs is " + Twine(n) +
                                " but the node has " + Twine(parts) +
                                " outputs");
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  // Sizes are checked one by one against the axis, so their sum cannot wrap.
  int64_t total = 0;
  for (int64_t s : split) {
    if (s < 0 || s > dim - total)
      return gi.error(node, "split sizes " + formatShape(split) +
                                " do not cover the axis of size " + Twine(dim));
    total += s;
  }
  if (int64_t(split.size()) != parts || total != dim)
    return gi.error(node, "split sizes " + formatShape(split) +
                              " do not cover the axis of size " + Twine(dim) +
                              " in " + Twine(parts) + " outputs");
  OpBuilder &b = gi.builder();
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
        sizes = gi.sizesOf(x), strides(rank, b.getIndexAttr(1));
    offsets[axis] = b.getIndexAttr(offset);
    sizes[axis] = b.getIndexAttr(split[i]);
    offset += split[i];
    gi.setOutput(node, i,
                 extractSlice(b, gi.loc(node), x, offsets, sizes, strides));
  }
  return success();
}
/// Pad in constant mode with pads (and axes, value) known at import: a
/// filled tensor with the input inserted at the leading pads. Negative pads
/// (cropping) and the other modes are not supported.
LogicalResult importPad(GraphImporter &gi, const onnx::NodeProto &node) {
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  auto t = typeOf(x);
  std::string mode = gi.stringAttr(node, "mode", "constant");
  if (mode != "constant")
    return gi.error(node, "not supported: Pad mode '" + mode + "'");
  std::vector<int64_t> pads, axes;
  if (!intList(gi, node, 1, "pads", pads) ||
      !intList(gi, node, 3, "axes", axes))
    return gi.error(node, "not supported: pads or axes not known at import");
  int64_t rank = t.getRank();
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return gi.error(node, "pads must hold two entries per axis");
  SmallVector<int64_t> low(rank, 0);
  SmallVector<OpFoldResult> sizes = gi.sizesOf(x);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank)
      return gi.error(node, "axis out of range");
    int64_t before = pads[i], after = pads[i + axes.size()];
    if (before < 0 || after < 0)
      return gi.error(node, "not supported: negative pads");
    if (before > kMaxTensorBytes || after > kMaxTensorBytes)
      return gi.error(node, "pads " + formatShape(pads) + " are too large");
    low[a] = before;
    // A run-time size grows by the pads at run time.
    if (std::optional<int64_t> c = getConstantIntValue(sizes[a]))
      sizes[a] = b.getIndexAttr(*c + before + after);
    else
      sizes[a] = arith::AddIOp::create(
                     b, loc, cast<Value>(sizes[a]),
                     arith::ConstantIndexOp::create(b, loc, before + after))
                     .getResult();
  }
  Type elt = t.getElementType();
  TypedAttr fill = b.getZeroAttr(elt);
  if (gi.hasInput(node, 2)) {
    const HostTensor *v = gi.constantInput(node, 2);
    if (!v || v->numElements() != 1)
      return gi.error(node, "not supported: a pad value not known at import");
    if (isa<FloatType>(elt))
      fill = b.getFloatAttr(elt, v->floatAt(0));
    else
      fill = b.getIntegerAttr(elt, v->intAt(0));
  }
  gi.setOutput(node, 0, padWith(b, loc, x, low, sizes, fill));
  return success();
}
} // namespace

void registerIndexingImporters(ImporterTable &onnx) {
  onnx["Gather"] = {importGather, {2, 2}};
  onnx["Slice"] = {importSlice, {1, 5}};
  onnx["Split"] = {importSplit, {1, 2, kVariadic}};
  onnx["Pad"] = {importPad, {1, 4}};
  onnx["GatherElements"] = {importGatherElements, {2, 2}};
}

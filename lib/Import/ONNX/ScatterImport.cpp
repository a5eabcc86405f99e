//===- ScatterImport.cpp - ScatterElements, ScatterND, TopK ---------------===//
//
// Operators that write elements at positions read from a tensor (the
// scatters exporters write for in-place updates: torch's select_scatter,
// index_put, a recurrent state written chunk by chunk) and TopK (expert
// routing). Each is written as gathers over its output, so every write is
// a read of the output's own position and no index can address memory
// outside a buffer: an output element looks through the updates for the
// ones aimed at it (ONNX leaves the order of duplicate writes without a
// reduction undefined; the last one wins here), and TopK ranks each
// element among its row (ties to the lower index, as ONNX orders them),
// then picks the element of each rank. Both are quadratic along the
// scanned axis, which is short where exporters write them.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"
#include "TensorOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <array>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// How a scatter combines an update with the element it lands on.
enum class Reduction { None, Add, Mul, Max, Min };

FailureOr<Reduction> reductionOf(GraphImporter &gi,
                                 const onnx::NodeProto &node) {
  std::string r = gi.stringAttr(node, "reduction", "none");
  if (r == "none")
    return Reduction::None;
  if (r == "add")
    return Reduction::Add;
  if (r == "mul")
    return Reduction::Mul;
  if (r == "max")
    return Reduction::Max;
  if (r == "min")
    return Reduction::Min;
  return gi.error(node, "unknown reduction '" + r + "'");
}

Value combine(OpBuilder &b, Location l, Reduction r, Value old, Value update,
              bool isUnsigned) {
  bool isFloat = isa<FloatType>(old.getType());
  switch (r) {
  case Reduction::None:
    return update;
  case Reduction::Add:
    return isFloat ? Value(arith::AddFOp::create(b, l, old, update))
                   : Value(arith::AddIOp::create(b, l, old, update));
  case Reduction::Mul:
    return isFloat ? Value(arith::MulFOp::create(b, l, old, update))
                   : Value(arith::MulIOp::create(b, l, old, update));
  case Reduction::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, l, old, update);
    return isUnsigned ? Value(arith::MaxUIOp::create(b, l, old, update))
                      : Value(arith::MaxSIOp::create(b, l, old, update));
  case Reduction::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, l, old, update);
    return isUnsigned ? Value(arith::MinUIOp::create(b, l, old, update))
                      : Value(arith::MinSIOp::create(b, l, old, update));
  }
  return update;
}

/// A run-time index into an axis of `size` as an index value, negative
/// ones counted from the end. Out-of-range ones stay out of range: they
/// match no position, so they write nothing.
Value normalizedIndex(OpBuilder &b, Location l, Value idx, OpFoldResult size) {
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), idx);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  Value n = getValueOrCreateConstantIndexOp(b, l, size);
  return arith::SelectOp::create(b, l, negative,
                                 arith::AddIOp::create(b, l, i, n), i);
}

Value equalIndex(OpBuilder &b, Location l, Value x, Value y) {
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x, y);
}

/// A linalg.generic over data's dims (parallel, the output starting as
/// data) and `scanned` more dims (reduction) whose ranges come from a
/// size-only operand; `body` gets the loop indices and the element so far
/// and returns (whether an update lands here, the combined value).
Value scatterAsGather(OpBuilder &b, Location loc, Value data,
                      ArrayRef<OpFoldResult> scanned,
                      function_ref<std::pair<Value, Value>(
                          OpBuilder &, Location, ArrayRef<Value>, Value)>
                          body) {
  int64_t r = typeOf(data).getRank(), n = scanned.size();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> scanExprs, outExprs;
  for (int64_t d = 0; d < n; ++d)
    scanExprs.push_back(getAffineDimExpr(r + d, ctx));
  for (int64_t d = 0; d < r; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  // The scanned ranges, as the shape of an operand the body never reads.
  Value range = tensor::EmptyOp::create(b, loc, scanned, b.getI8Type());
  // The output starts as a copy: written in place, data could be a graph
  // input's buffer (function arguments bufferize as writable), the
  // caller's.
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, data);
  Value start =
      linalg::CopyOp::create(b, loc, data,
                             ValueRange{tensor::EmptyOp::create(
                                 b, loc, sizes, typeOf(data).getElementType())})
          .getResult(0);
  SmallVector<AffineMap> maps{AffineMap::get(r + n, 0, scanExprs, ctx),
                              AffineMap::get(r + n, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  iterators.append(n, utils::IteratorType::reduction);
  auto op = linalg::GenericOp::create(
      b, loc, data.getType(), ValueRange{range}, ValueRange{start}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < r + n; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, l, d));
        auto [lands, value] = body(nb, l, ivs, a[1]);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, lands, value, a[1])});
      });
  return op.getResult(0);
}

/// data, indices and updates of a scatter, with the checks both share.
FailureOr<std::array<Value, 3>> scatterOperands(GraphImporter &gi,
                                                const onnx::NodeProto &node) {
  Value data = gi.input(node, 0), indices = gi.input(node, 1),
        updates = gi.input(node, 2);
  if (!data || !indices || !updates)
    return failure();
  if (!isa<IntegerType>(typeOf(indices).getElementType()))
    return gi.error(node, "indices must be integers");
  if (typeOf(updates).getElementType() != typeOf(data).getElementType())
    return gi.error(node, "updates must have data's element type");
  return std::array<Value, 3>{data, indices, updates};
}

/// ScatterElements: out = data, then out[p with axis := indices[p]] =
/// updates[p] (combined by `reduction`) for every position p of indices.
LogicalResult importScatterElements(GraphImporter &gi,
                                    const onnx::NodeProto &node) {
  FailureOr<std::array<Value, 3>> operands = scatterOperands(gi, node);
  if (failed(operands))
    return failure();
  // Named values, not a structured binding: the lambdas below capture them.
  Value data = (*operands)[0], indices = (*operands)[1],
        updates = (*operands)[2];
  auto dt = typeOf(data), it = typeOf(indices), ut = typeOf(updates);
  int64_t r = dt.getRank();
  if (it.getRank() != r || ut.getRank() != r)
    return gi.error(node, "data, indices and updates must have one rank");
  if (it.getShape() != ut.getShape())
    return gi.error(node, "indices and updates must have one shape");
  FailureOr<int64_t> axisOr = gi.axisAttr(node, 0, r);
  FailureOr<Reduction> red = reductionOf(gi, node);
  if (failed(axisOr) || failed(red))
    return failure();
  int64_t axis = *axisOr;
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  SmallVector<OpFoldResult> dataSizes = gi.sizesOf(data),
                            idxSizes = gi.sizesOf(indices);
  OpBuilder &b = gi.builder();
  Value y = scatterAsGather(
      b, gi.loc(node), data, {idxSizes[axis]},
      [&](OpBuilder &nb, Location l, ArrayRef<Value> ivs,
          Value old) -> std::pair<Value, Value> {
        // Position p = (ivs off the axis, the scanned k on it), inside
        // indices: its dims may be shorter than data's.
        Value k = ivs[r];
        SmallVector<Value> p;
        Value inside = arith::ConstantIntOp::create(nb, l, 1, 1);
        for (int64_t d = 0; d < r; ++d) {
          if (d == axis) {
            p.push_back(k);
            continue;
          }
          Value n = getValueOrCreateConstantIndexOp(nb, l, idxSizes[d]);
          inside = arith::AndIOp::create(
              nb, l, inside,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, ivs[d],
                                    n));
          Value last = arith::SubIOp::create(
              nb, l, n, arith::ConstantIndexOp::create(nb, l, 1));
          p.push_back(arith::MaxSIOp::create(
              nb, l, arith::MinSIOp::create(nb, l, ivs[d], last),
              arith::ConstantIndexOp::create(nb, l, 0)));
        }
        Value target =
            normalizedIndex(nb, l, tensor::ExtractOp::create(nb, l, indices, p),
                            dataSizes[axis]);
        Value lands = arith::AndIOp::create(
            nb, l, inside, equalIndex(nb, l, target, ivs[axis]));
        Value update = tensor::ExtractOp::create(nb, l, updates, p);
        return {lands, combine(nb, l, *red, old, update, isUnsigned)};
      });
  gi.setOutput(node, 0, y);
  return success();
}

/// ScatterND: out = data, then out[indices[t]] (a slice of data's trailing
/// dims) = updates[t] for every index tuple t.
LogicalResult importScatterND(GraphImporter &gi, const onnx::NodeProto &node) {
  FailureOr<std::array<Value, 3>> operands = scatterOperands(gi, node);
  if (failed(operands))
    return failure();
  // Named values, not a structured binding: the lambdas below capture them.
  Value data = (*operands)[0], indices = (*operands)[1],
        updates = (*operands)[2];
  auto dt = typeOf(data), it = typeOf(indices), ut = typeOf(updates);
  int64_t r = dt.getRank(), q = it.getRank();
  if (q < 1)
    return gi.error(node, "indices must have rank 1 or more");
  int64_t k = it.getDimSize(q - 1);
  if (ShapedType::isDynamic(k))
    return gi.error(node, "not supported: indices whose last dimension "
                          "(the index length) is a run-time size");
  if (k < 1 || k > r)
    return gi.error(node, "indices address " + Twine(k) +
                              " dimensions of a rank-" + Twine(r) + " input");
  // updates: indices' leading dims, then data's dims after the k indexed.
  if (ut.getRank() != q - 1 + r - k)
    return gi.error(node, "updates must have rank " + Twine(q - 1 + r - k));
  auto mismatch = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  for (int64_t d = 0; d + 1 < q; ++d)
    if (mismatch(ut.getDimSize(d), it.getDimSize(d)))
      return gi.error(node,
                      "updates dim " + Twine(d) + " differs from indices'");
  for (int64_t d = k; d < r; ++d)
    if (mismatch(ut.getDimSize(q - 1 + d - k), dt.getDimSize(d)))
      return gi.error(node, "updates dim " + Twine(q - 1 + d - k) +
                                " differs from data's dim " + Twine(d));
  FailureOr<Reduction> red = reductionOf(gi, node);
  if (failed(red))
    return failure();
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  SmallVector<OpFoldResult> dataSizes = gi.sizesOf(data), tuples;
  for (int64_t d = 0; d + 1 < q; ++d)
    tuples.push_back(gi.dimOf(indices, d));
  OpBuilder &b = gi.builder();
  Value y = scatterAsGather(
      b, gi.loc(node), data, tuples,
      [&](OpBuilder &nb, Location l, ArrayRef<Value> ivs,
          Value old) -> std::pair<Value, Value> {
        ArrayRef<Value> t = ivs.drop_front(r);
        SmallVector<Value> at(t);
        at.push_back(Value());
        Value lands = arith::ConstantIntOp::create(nb, l, 1, 1);
        for (int64_t c = 0; c < k; ++c) {
          at.back() = arith::ConstantIndexOp::create(nb, l, c);
          Value target = normalizedIndex(
              nb, l, tensor::ExtractOp::create(nb, l, indices, at),
              dataSizes[c]);
          lands = arith::AndIOp::create(nb, l, lands,
                                        equalIndex(nb, l, target, ivs[c]));
        }
        SmallVector<Value> u(t);
        for (int64_t d = k; d < r; ++d)
          u.push_back(ivs[d]);
        Value update = tensor::ExtractOp::create(nb, l, updates, u);
        return {lands, combine(nb, l, *red, old, update, isUnsigned)};
      });
  gi.setOutput(node, 0, y);
  return success();
}

/// Whether x_j comes before x_i in TopK's order (largest or smallest
/// first; equal elements by index).
Value before(OpBuilder &b, Location l, Value xj, Value xi, Value j, Value i,
             bool largest, bool isUnsigned) {
  Value strictly, equal;
  if (isa<FloatType>(xi.getType())) {
    // NaN is the largest (as torch.topk orders it), so the order is total
    // and every slot gets exactly one element.
    using P = arith::CmpFPredicate;
    Value nj = arith::CmpFOp::create(b, l, P::UNO, xj, xj);
    Value ni = arith::CmpFOp::create(b, l, P::UNO, xi, xi);
    Value t = arith::ConstantIntOp::create(b, l, 1, 1);
    Value onlyJ =
        arith::AndIOp::create(b, l, nj, arith::XOrIOp::create(b, l, ni, t));
    Value onlyI =
        arith::AndIOp::create(b, l, ni, arith::XOrIOp::create(b, l, nj, t));
    strictly = arith::OrIOp::create(
        b, l, largest ? onlyJ : onlyI,
        arith::CmpFOp::create(b, l, largest ? P::OGT : P::OLT, xj, xi));
    equal = arith::OrIOp::create(b, l, arith::AndIOp::create(b, l, nj, ni),
                                 arith::CmpFOp::create(b, l, P::OEQ, xj, xi));
  } else {
    using P = arith::CmpIPredicate;
    P gt = isUnsigned ? P::ugt : P::sgt, lt = isUnsigned ? P::ult : P::slt;
    strictly = arith::CmpIOp::create(b, l, largest ? gt : lt, xj, xi);
    equal = arith::CmpIOp::create(b, l, P::eq, xj, xi);
  }
  Value earlier = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, j, i);
  return arith::OrIOp::create(b, l, strictly,
                              arith::AndIOp::create(b, l, equal, earlier));
}

/// TopK with K known at import: the K largest (or smallest) elements along
/// the axis, in order, and their int64 indices. Each element's rank is the
/// number of elements before it; output slot s holds the element of rank
/// s.
LogicalResult importTopK(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 1, isNumberElement, "float or integer",
                            ins)))
    return failure();
  Value x = ins[0];
  auto t = typeOf(x);
  int64_t r = t.getRank();
  if (r == 0)
    return gi.error(node, "the input must have rank 1 or more");
  const HostTensor *kIn = gi.constantInput(node, 1);
  if (!kIn)
    return gi.error(node, "not supported: K not known at import (the output "
                          "size would be read from tensor data)");
  if (kIn->ints().size() != 1 || kIn->ints()[0] < 0)
    return gi.error(node, "K must be one non-negative integer");
  int64_t k = kIn->ints()[0];
  FailureOr<int64_t> axisOr = gi.axisAttr(node, -1, r);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  if (t.isDynamicDim(axis))
    return gi.error(node, "not supported: TopK along an axis of run-time "
                          "size (K could exceed it)");
  if (k > t.getDimSize(axis))
    return gi.error(node, "K = " + Twine(k) + " exceeds the axis size " +
                              Twine(t.getDimSize(axis)));
  bool largest = gi.intAttr(node, "largest", 1) != 0;
  bool isUnsigned = gi.inputIsUnsigned(node, 0);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  MLIRContext *ctx = b.getContext();
  Type elt = t.getElementType(), i64 = b.getI64Type();
  SmallVector<OpFoldResult> sizes = gi.sizesOf(x);
  // Loops d0..d(r−1) over an output (of ranks or of values), d(r) along
  // the axis: x at the loop position and x at position d(r).
  SmallVector<AffineExpr> self, other;
  for (int64_t d = 0; d < r; ++d) {
    self.push_back(getAffineDimExpr(d, ctx));
    other.push_back(getAffineDimExpr(d == axis ? r : d, ctx));
  }
  AffineMap selfMap = AffineMap::get(r + 1, 0, self, ctx),
            otherMap = AffineMap::get(r + 1, 0, other, ctx);
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto zeros = [&](ArrayRef<OpFoldResult> shape, Type type) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, type);
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
    return linalg::FillOp::create(b, loc, zero, ValueRange{empty}).getResult(0);
  };
  auto rankOp = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(t.getShape(), i64)},
      ValueRange{x, x}, ValueRange{zeros(sizes, i64)},
      {selfMap, otherMap, selfMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value i = linalg::IndexOp::create(nb, l, axis);
        Value j = linalg::IndexOp::create(nb, l, r);
        Value ahead = before(nb, l, a[1], a[0], j, i, largest, isUnsigned);
        Value one = arith::ExtUIOp::create(nb, l, i64, ahead);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddIOp::create(nb, l, a[2], one)});
      });
  Value ranks = rankOp.getResult(0);
  SmallVector<OpFoldResult> outSizes(sizes);
  outSizes[axis] = b.getIndexAttr(k);
  SmallVector<int64_t> outShape(t.getShape());
  outShape[axis] = k;
  auto pick = linalg::GenericOp::create(
      b, loc,
      TypeRange{RankedTensorType::get(outShape, elt),
                RankedTensorType::get(outShape, i64)},
      ValueRange{x, ranks},
      ValueRange{zeros(outSizes, elt), zeros(outSizes, i64)},
      {otherMap, otherMap, selfMap, selfMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value slot = asI64(nb, l, linalg::IndexOp::create(nb, l, axis));
        Value j = asI64(nb, l, linalg::IndexOp::create(nb, l, r));
        Value here =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[1], slot);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, here, a[0], a[2]),
                       arith::SelectOp::create(nb, l, here, j, a[3])});
      });
  gi.setOutput(node, 0, pick.getResult(0));
  gi.setOutput(node, 1, pick.getResult(1));
  return success();
}
} // namespace

void registerScatterImporters(ImporterTable &onnx) {
  onnx["ScatterElements"] = {importScatterElements, {3, 3}};
  onnx["ScatterND"] = {importScatterND, {3, 3}};
  onnx["TopK"] = {importTopK, {2, 2, 2, 2}};
}

//===- TensorOps.cpp - IR building blocks of the ONNX importer ------------===//

#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra::onnx_import;

std::string mlir::hydra::onnx_import::concatMismatch(ValueRange values,
                                                     int64_t axis) {
  auto first = cast<RankedTensorType>(values.front().getType());
  for (auto [i, v] : llvm::enumerate(values)) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != first.getRank())
      return "input " + std::to_string(i) + " has rank " +
             std::to_string(t.getRank()) + ", input 0 rank " +
             std::to_string(first.getRank());
    if (t.getElementType() != first.getElementType())
      return "input " + std::to_string(i) +
             " has another element type than input 0";
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && sizesDiffer(t.getDimSize(d), first.getDimSize(d)))
        return "input " + std::to_string(i) + " has size " +
               std::to_string(t.getDimSize(d)) + " in dim " +
               std::to_string(d) + ", input 0 " +
               std::to_string(first.getDimSize(d));
  }
  return "";
}

Value mlir::hydra::onnx_import::transpose(OpBuilder &b, Location loc, Value x,
                                          ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(x.getType());
  // The identity (every rank-0 and rank-1 transpose) is no op at all:
  // linalg.transpose of a scalar has no indexing maps to build.
  if (llvm::equal(perm, llvm::seq<int64_t>(0, int64_t(perm.size()))))
    return x;
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(dimOf(b, loc, x, p));
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, x, init, perm).getResult()[0];
}

Value mlir::hydra::onnx_import::padWith(OpBuilder &b, Location loc, Value x,
                                        ArrayRef<int64_t> low,
                                        ArrayRef<int64_t> shape,
                                        TypedAttr fill) {
  return padWith(b, loc, x, low, getAsIndexOpFoldResult(b.getContext(), shape),
                 fill);
}

Value mlir::hydra::onnx_import::padWith(OpBuilder &b, Location loc, Value x,
                                        ArrayRef<int64_t> low,
                                        ArrayRef<OpFoldResult> sizes,
                                        TypedAttr fill) {
  Value filled = filledTensor(b, loc, sizes, fill);
  SmallVector<OpFoldResult> offsets, ones(sizes.size(), b.getIndexAttr(1));
  for (int64_t p : low)
    offsets.push_back(b.getIndexAttr(p));
  return tensor::InsertSliceOp::create(b, loc, x, filled, offsets,
                                       tensor::getMixedSizes(b, loc, x), ones);
}

Value mlir::hydra::onnx_import::splitHeads(OpBuilder &b, Location loc, Value x,
                                           int64_t numHeads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t headSize = type.getDimSize(2) / numHeads;
  SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1),
                                numHeads, headSize};
  SmallVector<OpFoldResult> outputShape = {
      dimOf(b, loc, x, 0), dimOf(b, loc, x, 1), b.getIndexAttr(numHeads),
      b.getIndexAttr(headSize)};
  auto expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}}, outputShape);
  return transpose(b, loc, expanded, {0, 2, 1, 3});
}

Value mlir::hydra::onnx_import::mergeHeads(OpBuilder &b, Location loc,
                                           Value x) {
  Value t = transpose(b, loc, x, {0, 2, 1, 3});
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1),
                                type.getDimSize(2) * type.getDimSize(3)};
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value mlir::hydra::onnx_import::extractSlice(OpBuilder &b, Location loc,
                                             Value x,
                                             ArrayRef<OpFoldResult> offsets,
                                             ArrayRef<OpFoldResult> sizes,
                                             ArrayRef<OpFoldResult> strides) {
  SmallVector<OpFoldResult> starts(offsets);
  for (auto [start, size] : llvm::zip(starts, sizes))
    if (std::optional<int64_t> n = getConstantIntValue(size); n && *n == 0)
      start = b.getIndexAttr(0);
  return tensor::ExtractSliceOp::create(b, loc, x, starts, sizes, strides);
}

Value mlir::hydra::onnx_import::selectHeads(OpBuilder &b, Location loc, Value x,
                                            ArrayRef<int64_t> heads) {
  auto type = cast<RankedTensorType>(x.getType());
  if (int64_t(heads.size()) == type.getDimSize(1))
    return x;
  SmallVector<Value> runs;
  for (size_t first = 0, end; first < heads.size(); first = end) {
    for (end = first + 1;
         end < heads.size() && heads[end] == heads[end - 1] + 1; ++end)
      ;
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)), sizes,
        strides(4, b.getIndexAttr(1));
    offsets[1] = b.getIndexAttr(heads[first]);
    for (int64_t d = 0; d < 4; ++d)
      sizes.push_back(dimOf(b, loc, x, d));
    sizes[1] = b.getIndexAttr(int64_t(end - first));
    runs.push_back(
        tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides));
  }
  return runs.size() == 1
             ? runs[0]
             : tensor::ConcatOp::create(b, loc, 1, runs).getResult();
}

Value mlir::hydra::onnx_import::asI64(OpBuilder &b, Location loc, Value index) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

Value mlir::hydra::onnx_import::wrapIndex(OpBuilder &b, Location l, Value idx,
                                          OpFoldResult size) {
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), idx);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  Value n = getValueOrCreateConstantIndexOp(b, l, size);
  i = arith::SelectOp::create(b, l, negative, arith::AddIOp::create(b, l, i, n),
                              i);
  Value last =
      arith::SubIOp::create(b, l, n, arith::ConstantIndexOp::create(b, l, 1));
  return arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, i, last),
                                zero);
}

Value mlir::hydra::onnx_import::indexedTensor(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element,
    function_ref<Value(OpBuilder &, Location, ValueRange)> at) {
  int64_t rank = sizes.size();
  Value init = tensor::EmptyOp::create(b, loc, sizes, element);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{}, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        linalg::YieldOp::create(nb, nl, at(nb, nl, ivs));
      });
  return op.getResult(0);
}

Value mlir::hydra::onnx_import::insertUnitDim(OpBuilder &b, Location loc,
                                              Value x, int64_t axis) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape.insert(shape.begin() + axis, 1);
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < t.getRank(); ++d)
    groups.push_back({d + (d >= axis)});
  if (t.getRank()) // the unit dim joins a neighbour's group
    groups[axis < t.getRank() ? axis : axis - 1].push_back(axis);
  for (auto &g : groups)
    llvm::sort(g);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), x, groups);
}

SmallVector<ReassociationIndices>
mlir::hydra::onnx_import::wholeRank(int64_t rank) {
  ReassociationIndices g;
  for (int64_t d = 0; d < rank; ++d)
    g.push_back(d);
  return {g};
}

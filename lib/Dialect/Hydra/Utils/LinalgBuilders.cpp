//===- LinalgBuilders.cpp - linalg IR for elementwise and reductions ------===//

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra;

/// Merges `dims` into `shape`, right-aligned, by numpy's broadcasting rule.
static LogicalResult broadcastInto(ArrayRef<int64_t> dims,
                                   MutableArrayRef<int64_t> shape) {
  int64_t offset = int64_t(shape.size()) - int64_t(dims.size());
  for (auto [d, s] : llvm::enumerate(dims)) {
    int64_t &r = shape[offset + d];
    if (s == 1)
      continue;
    if (r == 1 || ShapedType::isDynamic(r))
      r = s;
    else if (!ShapedType::isDynamic(s) && s != r)
      return failure();
  }
  return success();
}

FailureOr<SmallVector<int64_t>> mlir::hydra::broadcastShape(ValueRange inputs) {
  int64_t rank = 0;
  for (Value v : inputs)
    rank = std::max(rank, cast<RankedTensorType>(v.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  for (Value v : inputs)
    if (failed(broadcastInto(cast<RankedTensorType>(v.getType()).getShape(),
                             shape)))
      return failure();
  return shape;
}

/// The sizes of `shape`, dynamic ones read from whichever input has them.
static SmallVector<OpFoldResult> mixedSizes(OpBuilder &b, Location loc,
                                            ArrayRef<int64_t> shape,
                                            ValueRange inputs) {
  SmallVector<OpFoldResult> sizes;
  int64_t rank = shape.size();
  for (int64_t d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d])) {
      sizes.push_back(b.getIndexAttr(shape[d]));
      continue;
    }
    for (Value v : inputs) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t od = d - (rank - t.getRank());
      if (od >= 0 && t.isDynamicDim(od)) {
        sizes.push_back(dimOf(b, loc, v, od));
        break;
      }
    }
  }
  return sizes;
}

FailureOr<Value> mlir::hydra::elementwise(OpBuilder &b, Location loc,
                                          ValueRange inputs, Type resultElement,
                                          ScalarFn body,
                                          ArrayRef<int64_t> extraShape) {
  auto shape = broadcastShape(inputs);
  if (failed(shape))
    return failure();
  if (extraShape.size() > shape->size())
    shape->insert(shape->begin(), extraShape.size() - shape->size(), 1);
  if (failed(broadcastInto(extraShape, *shape)))
    return failure();
  int64_t rank = shape->size();
  SmallVector<AffineMap> maps;
  for (Value v : inputs) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<AffineExpr> exprs;
    int64_t offset = rank - t.getRank();
    for (int64_t d = 0; d < t.getRank(); ++d)
      exprs.push_back(t.getDimSize(d) == 1 && (*shape)[offset + d] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(offset + d));
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(
      b, loc, mixedSizes(b, loc, *shape, inputs), resultElement);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return op.getResult(0);
}

Value mlir::hydra::filledTensor(OpBuilder &b, Location loc,
                                ArrayRef<OpFoldResult> sizes, TypedAttr value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, value.getType());
  return linalg::FillOp::create(
             b, loc, ValueRange{arith::ConstantOp::create(b, loc, value)},
             ValueRange{empty})
      .getResult(0);
}

OpFoldResult mlir::hydra::dimOf(OpBuilder &b, Location loc, Value x,
                                int64_t dim) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.isDynamicDim(dim))
    return b.getIndexAttr(type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, x, dim).getResult();
}

Value mlir::hydra::reduceKeepDims(OpBuilder &b, Location loc, Value x,
                                  ArrayRef<int64_t> axes, TypedAttr init,
                                  ScalarFn combine) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank();
  SmallVector<int64_t> kept;
  SmallVector<OpFoldResult> keptSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      kept.push_back(t.getDimSize(d));
      keptSizes.push_back(dimOf(b, loc, x, d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  Value filled = filledTensor(b, loc, keptSizes, init);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  Value reduced = linalg::GenericOp::create(
                      b, loc, filled.getType(), ValueRange{x},
                      ValueRange{filled}, maps, iterators,
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        linalg::YieldOp::create(nb, nl, combine(nb, nl, args));
                      })
                      .getResult(0);
  // Put the reduced dimensions back as size 1: each kept dimension groups
  // with the reduced ones after it; leading reduced ones join the first.
  SmallVector<int64_t> keepShape;
  SmallVector<OpFoldResult> outputShape;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (int64_t d = 0; d < rank; ++d) {
    bool isReduced = llvm::is_contained(axes, d);
    keepShape.push_back(isReduced ? 1 : t.getDimSize(d));
    outputShape.push_back(isReduced ? OpFoldResult(b.getIndexAttr(1))
                                    : dimOf(b, loc, x, d));
    if (!isReduced)
      groups.push_back({d});
    else if (groups.empty())
      leading.push_back(d);
    else
      groups.back().push_back(d);
  }
  if (!groups.empty())
    groups.front().insert(groups.front().begin(), leading.begin(),
                          leading.end());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(keepShape, t.getElementType()), reduced,
      groups, outputShape);
}

Value mlir::hydra::countAlong(OpBuilder &b, Location loc, Value x,
                              ArrayRef<int64_t> axes, Type type) {
  auto t = cast<RankedTensorType>(x.getType());
  Value n = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d : axes)
    n = arith::MulIOp::create(
        b, loc, n,
        getValueOrCreateConstantIndexOp(b, loc, dimOf(b, loc, x, d)));
  (void)t;
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  return arith::SIToFPOp::create(b, loc, type, i64);
}

FailureOr<Value> mlir::hydra::matmul(OpBuilder &b, Location loc, Value a,
                                     Value c) {
  auto ta = cast<RankedTensorType>(a.getType());
  auto tc = cast<RankedTensorType>(c.getType());
  if (ta.getRank() < 2 || tc.getRank() < 2)
    return failure();
  // Batch dims broadcast like elementwise ops.
  int64_t batchA = ta.getRank() - 2, batchC = tc.getRank() - 2;
  int64_t batch = std::max(batchA, batchC);
  SmallVector<int64_t> shape(batch, 1);
  if (failed(broadcastInto(ta.getShape().drop_back(2), shape)) ||
      failed(broadcastInto(tc.getShape().drop_back(2), shape)))
    return failure();
  int64_t m = ta.getDimSize(batchA), k = ta.getDimSize(batchA + 1);
  int64_t kc = tc.getDimSize(batchC), n = tc.getDimSize(batchC + 1);
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(kc) && k != kc)
    return failure();
  int64_t rank = batch + 3; // batch..., m, n, k
  auto dim = [&](int64_t i) { return b.getAffineDimExpr(i); };
  auto operandMap = [&](RankedTensorType t, int64_t nb, AffineExpr row,
                        AffineExpr col) {
    SmallVector<AffineExpr> e;
    for (int64_t d = 0; d < nb; ++d)
      e.push_back(t.getDimSize(d) == 1 && shape[batch - nb + d] != 1
                      ? b.getAffineConstantExpr(0)
                      : dim(batch - nb + d));
    e.append({row, col});
    return AffineMap::get(rank, 0, e, b.getContext());
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < batch; ++d)
    outExprs.push_back(dim(d));
  outExprs.append({dim(batch), dim(batch + 1)});
  SmallVector<AffineMap> maps = {
      operandMap(ta, batchA, dim(batch), dim(batch + 2)),
      operandMap(tc, batchC, dim(batch + 2), dim(batch + 1)),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  SmallVector<int64_t> outShape = shape;
  outShape.append({m, n});
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < batch; ++d) {
    if (!ShapedType::isDynamic(shape[d])) {
      sizes.push_back(b.getIndexAttr(shape[d]));
      continue;
    }
    Value src = d >= batch - batchA ? a : c;
    int64_t od = d - (batch - (src == a ? batchA : batchC));
    sizes.push_back(dimOf(b, loc, src, od));
  }
  sizes.push_back(dimOf(b, loc, a, batchA));
  sizes.push_back(dimOf(b, loc, c, batchC + 1));
  Type elt = ta.getElementType();
  Value init = filledTensor(b, loc, sizes, b.getZeroAttr(elt));
  SmallVector<utils::IteratorType> iterators(batch + 2,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{a, c}, ValueRange{init}, maps,
             iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], p)));
             })
      .getResult(0);
}

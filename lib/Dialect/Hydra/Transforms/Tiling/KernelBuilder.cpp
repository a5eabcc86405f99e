//===- KernelBuilder.cpp - helpers for writing loop-nest kernels ----------===//

#include "Tiling/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;
using namespace mlir::hydra;

Value KernelBuilder::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value KernelBuilder::dim(Value memref, int64_t d) {
  auto type = cast<MemRefType>(memref.getType());
  if (!type.isDynamicDim(d))
    return index(type.getDimSize(d));
  return memref::DimOp::create(b, loc, memref, d);
}

Value KernelBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value KernelBuilder::sub(Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}
Value KernelBuilder::mulDynamic(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value KernelBuilder::divUnsigned(Value x, Value y) {
  return arith::DivUIOp::create(b, loc, x, y);
}
Value KernelBuilder::remUnsigned(Value x, Value y) {
  return arith::RemUIOp::create(b, loc, x, y);
}
Value KernelBuilder::ceilDiv(Value x, Value y) {
  return arith::CeilDivUIOp::create(b, loc, x, y);
}
Value KernelBuilder::mul(Value x, int64_t c) {
  return arith::MulIOp::create(b, loc, x, index(c));
}
Value KernelBuilder::divConst(Value x, int64_t c) {
  return arith::DivUIOp::create(b, loc, x, index(c));
}
Value KernelBuilder::ceilDivConst(Value x, int64_t c) {
  return arith::CeilDivUIOp::create(b, loc, x, index(c));
}
Value KernelBuilder::remConst(Value x, int64_t c) {
  return arith::RemUIOp::create(b, loc, x, index(c));
}
Value KernelBuilder::min(Value x, Value y) {
  return arith::MinUIOp::create(b, loc, x, y);
}
Value KernelBuilder::max(Value x, Value y) {
  return arith::MaxUIOp::create(b, loc, x, y);
}

Value KernelBuilder::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value KernelBuilder::negInf() {
  return f32(-std::numeric_limits<float>::infinity());
}
Value KernelBuilder::addf(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value KernelBuilder::subf(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value KernelBuilder::mulf(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value KernelBuilder::divf(Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}
Value KernelBuilder::maxf(Value x, Value y) {
  return arith::MaximumFOp::create(b, loc, x, y);
}
Value KernelBuilder::exp(Value x) { return math::ExpOp::create(b, loc, x); }
Value KernelBuilder::finiteLogDecay(Value g) {
  Value floor = f32(kLogDecayFloor);
  if (auto vt = dyn_cast<VectorType>(g.getType()))
    floor = splat(floor, vt.getNumElements());
  return maxf(g, floor);
}
Value KernelBuilder::select(Value cond, Value t, Value f) {
  return arith::SelectOp::create(b, loc, cond, t, f);
}

Value KernelBuilder::selectFrom(ArrayRef<int64_t> table, Value n) {
  Value result = index(table.back());
  for (int64_t i = int64_t(table.size()) - 2; i >= 0; --i) {
    Value hit =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, n, index(i));
    result = select(hit, index(table[i]), result);
  }
  return result;
}

VectorType KernelBuilder::rowType(int64_t n) {
  return VectorType::get({n}, b.getF32Type());
}
Value KernelBuilder::zeros(int64_t n) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(rowType(n), b.getF32FloatAttr(0.0f)));
}
Value KernelBuilder::splat(Value scalar, int64_t n) {
  return vector::BroadcastOp::create(b, loc, rowType(n), scalar);
}
Value KernelBuilder::sum(Value vec) {
  // Reassociable: a tree of vector adds rather than one scalar add per lane
  // in order (the sum's rounding changes within the tests' bounds).
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, vec,
                                     Value(), arith::FastMathFlags::reassoc);
}
Value KernelBuilder::axpy(Value s, Value x, Value acc) {
  int64_t n = cast<VectorType>(x.getType()).getDimSize(0);
  return vector::FMAOp::create(b, loc, splat(s, n), x, acc);
}
Value KernelBuilder::indexTable(ArrayRef<int64_t> values) {
  auto type = VectorType::get({int64_t(values.size())}, b.getIndexType());
  SmallVector<Attribute> attrs;
  for (int64_t v : values)
    attrs.push_back(b.getIndexAttr(v));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, attrs));
}
Value KernelBuilder::laneIndices(int64_t n) {
  return indexTable(llvm::to_vector(llvm::seq<int64_t>(0, n)));
}
Value KernelBuilder::lanesFrom(Value index, int64_t n) {
  auto type = VectorType::get({n}, b.getIndexType());
  return arith::AddIOp::create(
      b, loc, vector::BroadcastOp::create(b, loc, type, index), laneIndices(n));
}
SmallVector<Value> KernelBuilder::outerProducts(
    Value lb, Value ub, ValueRange init, int64_t m,
    function_ref<SmallVector<Value>(Value step)> rows,
    function_ref<Value(Value step, int64_t t)> scalar) {
  return loop(lb, ub, index(1), init, [&](Value step, ValueRange acc) {
    SmallVector<Value> vectors = rows(step);
    int64_t n = int64_t(vectors.size());
    SmallVector<Value> next;
    for (int64_t t = 0; t < m; ++t) {
      Value s = scalar(step, t);
      for (int64_t j = 0; j < n; ++j)
        next.push_back(axpy(s, vectors[j], acc[t * n + j]));
    }
    return next;
  });
}
Value KernelBuilder::extract(Value vec, Value pos) {
  return vector::ExtractOp::create(b, loc, vec, ArrayRef<OpFoldResult>{pos});
}

Value KernelBuilder::buffer(ArrayRef<int64_t> shape) {
  return memref::AllocaOp::create(b, loc,
                                  MemRefType::get(shape, b.getF32Type()));
}

Value KernelBuilder::toF32(Value v) {
  Type elt = getElementTypeOrSelf(v.getType());
  if (elt.isF32())
    return v;
  Type target = b.getF32Type();
  if (auto vt = dyn_cast<VectorType>(v.getType()))
    target = VectorType::get(vt.getShape(), target);
  return arith::ExtFOp::create(b, loc, target, v);
}

Value KernelBuilder::loadRowAt(Value memref, ValueRange lead, Value col,
                               int64_t len) {
  SmallVector<Value> idx(lead.begin(), lead.end());
  idx.push_back(col);
  Type elt = cast<MemRefType>(memref.getType()).getElementType();
  auto type = VectorType::get({len}, elt);
  return toF32(vector::LoadOp::create(b, loc, type, memref, idx));
}

Value KernelBuilder::maskedLoadRow(Value memref, ValueRange indices, Value mask,
                                   int64_t len) {
  Type elt = cast<MemRefType>(memref.getType()).getElementType();
  auto type = VectorType::get({len}, elt);
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getZeroAttr(elt)));
  return toF32(
      vector::MaskedLoadOp::create(b, loc, type, memref, indices, mask, zero));
}

Value KernelBuilder::loadRow(Value memref, ValueRange lead, int64_t len) {
  return loadRowAt(memref, lead, index(0), len);
}

void KernelBuilder::storeRowAt(Value vec, Value memref, ValueRange lead,
                               Value col) {
  SmallVector<Value> idx(lead.begin(), lead.end());
  idx.push_back(col);
  Type elt = cast<MemRefType>(memref.getType()).getElementType();
  if (!elt.isF32())
    vec = arith::TruncFOp::create(
        b, loc,
        VectorType::get(cast<VectorType>(vec.getType()).getShape(), elt), vec);
  vector::StoreOp::create(b, loc, vec, memref, idx);
}

void KernelBuilder::storeRow(Value vec, Value memref, ValueRange lead) {
  storeRowAt(vec, memref, lead, index(0));
}

void KernelBuilder::prefetchRow(Value memref, ValueRange lead, int64_t len,
                                unsigned locality, bool forWrite) {
  int64_t bytes =
      cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  SmallVector<Value> at(lead.begin(), lead.end());
  int64_t rowDim = int64_t(lead.size()) - 1;
  at.back() = min(at.back(), sub(dim(memref, rowDim), index(1)));
  at.push_back(Value());
  for (int64_t col = 0; col < len; col += 64 / bytes) {
    at.back() = index(col);
    memref::PrefetchOp::create(b, loc, memref, at, forWrite, locality,
                               /*isDataCache=*/true);
  }
}

void KernelBuilder::transposeRows(Value src, Value dst, Value rows,
                                  int64_t cols) {
  constexpr int64_t n = kTransposeSide;
  auto squareType = VectorType::get({n, n}, b.getF32Type());
  Value zero = index(0);
  Value fullRows = sub(rows, remConst(rows, n));
  int64_t fullCols = cols - cols % n;
  auto scalars = [&](Value r0, Value r1, int64_t c0, int64_t c1) {
    loop(r0, r1, [&](Value r) {
      loop(index(c0), index(c1),
           [&](Value c) { store(load(src, {r, c}), dst, {c, r}); });
    });
  };
  loop(zero, fullRows, index(n), [&](Value r0) {
    loop(zero, index(fullCols), index(n), [&](Value c0) {
      Value square = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(squareType, b.getF32FloatAttr(0)));
      for (int64_t i = 0; i < n; ++i)
        square = vector::InsertOp::create(
            b, loc, loadRowAt(src, add(r0, index(i)), c0, n), square, i);
      Value transposed =
          vector::TransposeOp::create(b, loc, square, ArrayRef<int64_t>{1, 0});
      for (int64_t j = 0; j < n; ++j)
        storeRowAt(vector::ExtractOp::create(b, loc, transposed, j), dst,
                   add(c0, index(j)), r0);
    });
    if (fullCols < cols)
      scalars(r0, add(r0, index(n)), fullCols, cols);
  });
  scalars(fullRows, rows, 0, cols);
}

Value KernelBuilder::load(Value memref, ValueRange idx) {
  Value v = memref::LoadOp::create(b, loc, memref, idx);
  return v.getType().isInteger(1) ? v : toF32(v);
}

void KernelBuilder::store(Value v, Value memref, ValueRange idx) {
  memref::StoreOp::create(b, loc, v, memref, idx);
}

void KernelBuilder::storeConverted(Value v, Value memref, ValueRange idx) {
  Type elt = cast<MemRefType>(memref.getType()).getElementType();
  if (elt != v.getType())
    v = arith::TruncFOp::create(b, loc, elt, v);
  memref::StoreOp::create(b, loc, v, memref, idx);
}

SmallVector<Value> KernelBuilder::loop(Value lb, Value ub, Value step,
                                       ValueRange init, LoopBody body) {
  auto forOp = scf::ForOp::create(
      b, loc, lb, ub, step, init,
      [&](OpBuilder &nested, Location nestedLoc, Value iv, ValueRange iter) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToEnd(nested.getInsertionBlock());
        SmallVector<Value> yielded = body(iv, iter);
        scf::YieldOp::create(b, nestedLoc, yielded);
      });
  return SmallVector<Value>(forOp.getResults());
}

void KernelBuilder::loop(Value lb, Value ub, Value step,
                         function_ref<void(Value iv)> body) {
  loop(lb, ub, step, ValueRange{}, [&](Value iv, ValueRange) {
    body(iv);
    return SmallVector<Value>{};
  });
}

void KernelBuilder::loop(Value lb, Value ub,
                         function_ref<void(Value iv)> body) {
  loop(lb, ub, index(1), body);
}

void KernelBuilder::ifThen(Value cond, function_ref<void()> thenBody,
                           function_ref<void()> elseBody) {
  auto ifOp =
      scf::IfOp::create(b, loc, cond, /*withElseRegion=*/bool(elseBody));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  thenBody();
  if (elseBody) {
    b.setInsertionPointToStart(ifOp.elseBlock());
    elseBody();
  }
}

SmallVector<Value> KernelBuilder::ifElse(Value cond, TypeRange types,
                                         ValuesBody thenBody,
                                         ValuesBody elseBody) {
  auto ifOp = scf::IfOp::create(b, loc, types, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, thenBody());
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, elseBody());
  return SmallVector<Value>(ifOp.getResults());
}

Operation *KernelBuilder::forall(StringRef computes, ArrayRef<Value> ubs,
                                 function_ref<void(ValueRange ivs)> body) {
  SmallVector<OpFoldResult> lbs(ubs.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> steps(ubs.size(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> upper(ubs.begin(), ubs.end());
  auto forallOp = scf::ForallOp::create(b, loc, lbs, upper, steps, ValueRange{},
                                        std::nullopt);
  forallOp->setAttr(kComputesAttrName, b.getStringAttr(computes));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forallOp.getBody()->getTerminator());
  body(forallOp.getInductionVars());
  return forallOp;
}

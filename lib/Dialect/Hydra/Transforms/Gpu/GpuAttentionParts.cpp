//===- GpuAttentionParts.cpp - pieces the GPU attention kernels share -----===//

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

FullAttentionAttrs::FullAttentionAttrs(FullAttentionOp op)
    : heads(op.getHeads()), writesAll(op.writesAllHeads()),
      causal(op.getCausal()), scale(op.getScale().convertToFloat()),
      epsilon(op.getFusionEpsilon().convertToFloat()) {
  if (op.getSoftcap())
    softcap = op.getSoftcap()->convertToFloat();
}

FullAttentionBlock::Keys FullAttentionBlock::keys(KernelBuilder &kb,
                                                  FullAttentionOp op,
                                                  const GpuKeySplits &splits,
                                                  int64_t queryRows) const {
  Keys k;
  Value rows = kb.min(kb.sub(queryLen, firstQuery), queryRows);
  k.shift = emitCausalShift(kb, op, queryLen, keyLen);
  k.begin = splits.begin(kb, split);
  k.splitEnd = splits.end(kb, k.begin);
  k.end =
      op.getCausal()
          ? kb.min(k.splitEnd, kb.add(addShift(kb, firstQuery, k.shift), rows))
          : k.splitEnd;
  return k;
}

void hydra::emitGpuFullAttentionGrid(
    KernelBuilder &kb, FullAttentionOp op, StringRef computes,
    int64_t queryRows, int64_t blockThreads,
    function_ref<void(GpuKernelBuilder &gb, const GpuKeySplits &splits,
                      const FullAttentionBlock &at)>
        body) {
  Value q = op.getQuery();
  ArrayRef<int64_t> heads = op.getHeads();
  Value batch = kb.dim(q, 0), queryLen = kb.dim(q, 2),
        keyLen = kb.dim(op.getKey(), 2);
  Value numTiles = kb.ceilDivConst(queryLen, queryRows);
  Value numHeads = kb.index(heads.size());
  GpuKeySplits splits(kb, op, queryRows);
  Operation *forall = kb.forall(
      computes, {batch, numHeads, numTiles, splits.numSplits},
      [&](ValueRange ivs) {
        emitFullAttentionWork(kb, op, queryRows);
        GpuKernelBuilder gb(kb, blockThreads);
        gb.begin();
        FullAttentionBlock at;
        at.batch = ivs[0];
        at.listed = ivs[1];
        at.tile = ivs[2];
        at.split = ivs[3];
        at.head = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        at.kvHead = emitKvHeadIndex(kb, op, ivs[1], at.head, /*selects=*/true);
        at.slot = op.writesAllHeads() ? at.head : ivs[1];
        at.firstQuery = kb.mul(ivs[2], queryRows);
        Value c1 = kb.index(1);
        at.queryLen = queryLen;
        at.keyLen = keyLen;
        at.lastQuery = kb.sub(queryLen, c1);
        at.lastKey = kb.sub(keyLen, c1);
        body(gb, splits, at);
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(blockThreads));
  emitGpuCombine(kb, op, splits);
}

Value hydra::emitGpuScore(KernelBuilder &kb, FullAttentionOp op,
                          const FullAttentionAttrs &attrs, Value product,
                          Value batch, Value head, Value query, Value key,
                          Value keyLen, Value shift, Value lastQuery,
                          Value lastKey) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value x = kb.mulf(product, kb.f32(attrs.scale));
  if (attrs.softcap)
    x = kb.mulf(emitTanh(kb, kb.mulf(x, kb.f32(1.0f / *attrs.softcap))),
                kb.f32(*attrs.softcap));
  Value dropped =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, key, keyLen);
  if (attrs.causal)
    dropped = arith::OrIOp::create(
        b, loc, dropped,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, key,
                              addShift(kb, query, shift)));
  if (Value mask = op.getMask())
    x = emitMaskedScore(
        kb, mask, x,
        {batch, head, kb.min(query, lastQuery), kb.min(key, lastKey)});
  return kb.select(dropped, kb.negInf(), x);
}

SmallVector<bool> hydra::finalStateWriters(LinearAttentionOp op) {
  SmallVector<bool> writer;
  DenseSet<int64_t> seenKv;
  for (int64_t n = 0, e = op.getHeads().size(); n < e; ++n)
    writer.push_back(seenKv.insert(op.getKvHead(n)).second);
  return writer;
}

LaneRow hydra::warpRowColumns(KernelBuilder &kb, Value lane, int64_t dv) {
  LaneRow row;
  for (int64_t j = 0, e = (dv + kWarpSize - 1) / kWarpSize; j < e; ++j) {
    Value col = kb.add(lane, kb.index(j * kWarpSize));
    row.inRow.push_back(arith::CmpIOp::create(kb.builder(), kb.getLoc(),
                                              arith::CmpIPredicate::ult, col,
                                              kb.index(dv)));
    row.cols.push_back(kb.min(col, dv - 1));
  }
  return row;
}

void hydra::emitLaneRowEpilogue(KernelBuilder &kb, const LaneRow &row,
                                Value rowSum,
                                function_ref<Value(Value)> laneSum, Value out,
                                ValueRange outIdx, Value gamma, Value head,
                                int64_t dv, float epsilon, Value valid) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  SmallVector<Value> o(row.o);
  Value squares = kb.f32(0.0f);
  for (auto [j, x] : llvm::enumerate(o)) {
    if (rowSum)
      x = kb.divf(x, rowSum);
    Value sq = kb.mulf(x, x);
    squares = kb.addf(
        squares, row.inRow[j] ? kb.select(row.inRow[j], sq, kb.f32(0.0f)) : sq);
  }
  Value inv;
  if (gamma)
    inv = emitInverseRms(kb, laneSum(squares), dv, epsilon);
  SmallVector<Value> idx(outIdx);
  idx.push_back(Value());
  for (auto [j, x] : llvm::enumerate(o)) {
    Value value = x;
    if (gamma)
      value = kb.mulf(kb.mulf(value, inv), kb.load(gamma, {head, row.cols[j]}));
    Value ok = row.inRow[j];
    if (valid)
      ok = ok ? arith::AndIOp::create(b, loc, valid, ok).getResult() : valid;
    idx.back() = row.cols[j];
    if (!ok) {
      kb.storeConverted(value, out, idx);
      continue;
    }
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    kb.storeConverted(value, out, idx);
  }
}

void hydra::emitStagedRowsEpilogue(GpuKernelBuilder &gb, LinearAttentionOp op,
                                   Value staged, Value len, int64_t warps,
                                   Value batch, Value head, Value slot,
                                   Value start) {
  KernelBuilder &kb = gb.kb;
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  kb.loop(gb.warp, len, kb.index(warps), [&](Value t) {
    LaneRow row = warpRowColumns(kb, gb.lane, dv);
    for (Value col : row.cols)
      row.o.push_back(kb.load(staged, {t, col}));
    emitLaneRowEpilogue(
        kb, row, Value(), [&](Value x) { return gb.warpSum(x); }, op.getInit(),
        {batch, slot, kb.add(start, t)}, op.getFusionScale(), head, dv,
        op.getFusionEpsilon().convertToFloat(), Value());
  });
}

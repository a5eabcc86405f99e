//===- GpuAttentionParts.cpp - pieces the GPU attention kernels share -----===//

#include "AttentionTiling.h"
#include "GpuKernelBuilder.h"

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

void hydra::emitStagedRowsEpilogue(GpuKernelBuilder &gb, LinearAttentionOp op,
                                   Value staged, Value len, int64_t warps,
                                   Value batch, Value head, Value slot,
                                   Value start) {
  KernelBuilder &kb = gb.kb;
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  float epsilon = op.getFusionEpsilon().convertToFloat();
  Value gamma = op.getFusionScale();
  int64_t perLane = (dv + kWarpSize - 1) / kWarpSize;
  kb.loop(gb.warp, len, kb.index(warps), [&](Value t) {
    SmallVector<Value> col(perLane), ok(perLane), o(perLane);
    Value squares = kb.f32(0.0f);
    for (int64_t j = 0; j < perLane; ++j) {
      col[j] = kb.add(gb.lane, kb.index(j * kWarpSize));
      ok[j] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col[j],
                                    kb.index(dv));
      col[j] = kb.min(col[j], dv - 1);
      o[j] = kb.load(staged, {t, col[j]});
      squares =
          kb.addf(squares, kb.select(ok[j], kb.mulf(o[j], o[j]), kb.f32(0.0f)));
    }
    Value inv;
    if (gamma)
      inv = emitInverseRms(kb, gb.warpSum(squares), dv, epsilon);
    for (int64_t j = 0; j < perLane; ++j) {
      Value value = o[j];
      if (gamma)
        value = kb.mulf(kb.mulf(value, inv), kb.load(gamma, {head, col[j]}));
      auto ifOp = scf::IfOp::create(b, loc, ok[j], false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      kb.storeConverted(value, op.getInit(),
                        {batch, slot, kb.add(start, t), col[j]});
    }
  });
}

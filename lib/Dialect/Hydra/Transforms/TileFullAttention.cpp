//===- TileFullAttention.cpp - online-softmax tiling of full attention ----===//
//
// One scf.forall iteration per (batch, head, query tile). Each walks the
// key/value tiles once, keeping per query row a running max m, a running
// sum l and an accumulator o that is rescaled by exp(m_old − m_new)
// whenever the max grows (online softmax). With a causal mask the walk
// stops at the diagonal tile, so tiles that would be fully masked are
// never visited. Each key tile is first transposed into a [Dk, key-tile]
// buffer shared by the tile's query rows, so that a row of scores is Dk
// vector FMAs across keys rather than one horizontal sum per key.
//
//===----------------------------------------------------------------------===//

#include "AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

/// Applies the mask to score `s` of query row `i`, key `j`. The mask
/// broadcasts from the right against [B, Hq, S, T]; a static size-1 dim
/// reads index 0.
static Value applyMask(KernelBuilder &kb, Value mask, Value s,
                       ArrayRef<Value> fullIdx) {
  auto type = cast<MemRefType>(mask.getType());
  int64_t offset = 4 - type.getRank();
  SmallVector<Value> idx;
  for (int64_t d = 0; d < type.getRank(); ++d)
    idx.push_back(type.getDimSize(d) == 1 ? kb.index(0) : fullIdx[offset + d]);
  Value m = kb.load(mask, idx);
  if (m.getType().isInteger(1))
    return kb.select(m, s, kb.negInf());
  return kb.addf(s, m);
}

void hydra::tileFullAttention(RewriterBase &rewriter, FullAttentionOp op,
                              const AttentionTiling &tiling) {
  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value out = op.getInit(), mask = op.getMask(), gamma = op.getFusionScale();
  auto qType = cast<MemRefType>(q.getType());
  int64_t group =
      qType.getDimSize(1) / cast<MemRefType>(k.getType()).getDimSize(1);
  int64_t dk = qType.getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  int64_t mt = tiling.queryTile, nt = tiling.keyTile;
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  bool causal = op.getCausal();
  float scale = op.getScale().convertToFloat();
  std::optional<float> softcap;
  if (op.getSoftcap())
    softcap = op.getSoftcap()->convertToFloat();
  float epsilon = op.getFusionEpsilon().convertToFloat();

  Value batch = kb.dim(q, 0), queryLen = kb.dim(q, 2), keyLen = kb.dim(k, 2);
  Value numQueryTiles = kb.ceilDivConst(queryLen, mt);
  Value c0 = kb.index(0), c1 = kb.index(1);
  // Lane c of a score row is key j0 + c.
  auto laneType = VectorType::get({nt}, b.getIndexType());
  SmallVector<Attribute> lanes;
  for (int64_t c = 0; c < nt; ++c)
    lanes.push_back(b.getIndexAttr(c));

  kb.forall(
      {batch, kb.index(heads.size()), numQueryTiles}, [&](ValueRange ivs) {
        Value bi = ivs[0], n = ivs[1];
        Value h = emitHeadIndex(kb, heads, n);
        Value kvh = group == 1 ? h : kb.divConst(h, group);
        Value slot = writesAll ? h : n;
        Value i0 = kb.mul(ivs[2], mt);
        Value rows = kb.min(kb.sub(queryLen, i0), mt);

        Value acc = kb.buffer({mt, dv});
        Value rowMax = kb.buffer({mt});
        Value rowSum = kb.buffer({mt});
        Value scores = mask ? kb.buffer({nt}) : Value(); // for the mask pass
        Value keysT = kb.buffer({dk, nt});
        kb.loop(c0, rows, [&](Value r) {
          kb.store(kb.negInf(), rowMax, r);
          kb.store(kb.f32(0.0f), rowSum, r);
          kb.storeRow(kb.zeros(dv), acc, r);
        });
        Value laneIds = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(laneType, lanes));
        Value negInfRow = kb.splat(kb.negInf(), nt);

        // Causal: keys past the tile's last query row are masked for every row
        // of the tile, so the key loop ends there.
        Value keyEnd = causal ? kb.min(keyLen, kb.add(i0, rows)) : keyLen;
        kb.loop(c0, keyEnd, kb.index(nt), [&](Value j0) {
          Value cols = kb.min(kb.sub(keyEnd, j0), nt);
          // The key tile transposed; lanes past `cols` hold stale keys and are
          // masked below.
          kb.loop(c0, cols, [&](Value c) {
            Value kRow = kb.loadRow(k, {bi, kvh, kb.add(j0, c)}, dk);
            kb.loop(c0, kb.index(dk), [&](Value d) {
              kb.store(kb.extract(kRow, d), keysT, {d, c});
            });
          });
          Value keyIds = arith::AddIOp::create(
              b, loc, vector::BroadcastOp::create(b, loc, laneType, j0),
              laneIds);
          Value pastEnd = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::uge, keyIds,
              vector::BroadcastOp::create(b, loc, laneType, kb.add(j0, cols)));
          kb.loop(c0, rows, [&](Value r) {
            Value i = kb.add(i0, r);
            Value qRow = kb.loadRow(q, {bi, h, i}, dk);
            Value s = kb.loop(c0, kb.index(dk), c1, kb.zeros(nt),
                              [&](Value d, ValueRange it) {
                                return SmallVector<Value>{
                                    kb.axpy(kb.extract(qRow, d),
                                            kb.loadRow(keysT, d, nt), it[0])};
                              })[0];
            s = kb.mulf(s, kb.splat(kb.f32(scale), nt));
            if (softcap) {
              Value t = math::TanhOp::create(
                  b, loc, kb.mulf(s, kb.splat(kb.f32(1.0f / *softcap), nt)));
              s = kb.mulf(t, kb.splat(kb.f32(*softcap), nt));
            }
            Value dropped = pastEnd;
            if (causal) {
              Value future = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::ugt, keyIds,
                  vector::BroadcastOp::create(b, loc, laneType, i));
              dropped = arith::OrIOp::create(b, loc, dropped, future);
            }
            s = kb.select(dropped, negInfRow, s);
            if (mask) {
              // Mask layouts vary (broadcast dims, i1 or float): apply it key
              // by key through the score buffer.
              kb.storeRow(s, scores, ValueRange{});
              kb.loop(c0, cols, [&](Value c) {
                Value sc = kb.load(scores, c);
                kb.store(applyMask(kb, mask, sc, {bi, h, i, kb.add(j0, c)}),
                         scores, c);
              });
              s = kb.loadRow(scores, ValueRange{}, nt);
            }
            Value tileMax = vector::ReductionOp::create(
                b, loc, vector::CombiningKind::MAXIMUMF, s);
            Value oldMax = kb.load(rowMax, r);
            Value newMax = kb.maxf(oldMax, tileMax);
            // A row with every key masked so far keeps max −inf; subtracting 0
            // instead keeps exp() at 0 rather than NaN.
            Value isEmpty = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, newMax, kb.negInf());
            Value safeMax = kb.select(isEmpty, kb.f32(0.0f), newMax);
            Value alpha = kb.exp(kb.subf(oldMax, safeMax));
            Value p = kb.exp(kb.subf(s, kb.splat(safeMax, nt)));
            Value accRow = kb.mulf(kb.loadRow(acc, r, dv), kb.splat(alpha, dv));
            accRow = kb.loop(c0, cols, c1, accRow, [&](Value c, ValueRange it) {
              Value vRow = kb.loadRow(v, {bi, kvh, kb.add(j0, c)}, dv);
              return SmallVector<Value>{kb.axpy(kb.extract(p, c), vRow, it[0])};
            })[0];
            kb.store(kb.addf(kb.mulf(kb.load(rowSum, r), alpha), kb.sum(p)),
                     rowSum, r);
            kb.store(newMax, rowMax, r);
            kb.storeRow(accRow, acc, r);
          });
        });

        kb.loop(c0, rows, [&](Value r) {
          Value o =
              kb.divf(kb.loadRow(acc, r, dv), kb.splat(kb.load(rowSum, r), dv));
          emitEpilogueStore(kb, o, out, {bi, slot, kb.add(i0, r)}, gamma, h,
                            epsilon);
        });
      });
  rewriter.eraseOp(op);
}

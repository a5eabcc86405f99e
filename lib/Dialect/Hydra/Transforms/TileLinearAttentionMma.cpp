//===- TileLinearAttentionMma.cpp - chunkwise linear attention on tensor cores
//===//
//
// The f16/bf16 form of the GPU linear-attention kernel for the rules whose
// chunk products are plain matrix products: linear, and gated with one
// decay per head. One block per (batch, head), one warp per 16 value
// columns, each holding its columns of the f32 state S (Dk × Dv) as mma
// accumulators for the whole sequence. Per chunk of 16 steps, with G_t the
// cumulative log decay from the chunk's start (0 without gating):
//
//   A  = (Q Kᵀ) ⊙ [e^{G_t − G_s} for s ≤ t, else 0]        16 × 16
//   O  = scale · (e^{G_t} ⊙ (Q Ŝ) + A V)                    Ŝ: S rounded
//   S ← e^{G_L} S + (K ⊙ e^{G_L − G_s})ᵀ V                   to the input type
//
// every product an mma.sync m16n8k16 (A and the decayed keys rounded to
// the input type, f32 accumulation). Ŝ goes through shared memory, since
// the accumulator layout of S is not the B-operand layout the product
// needs. The chunk's outputs are staged in shared memory and written by
// the block, each row normalized by the fused merge, one store an element.
//
// The delta rules (a triangular solve per chunk) and per-dimension decay
// (no matrix form without exponentials that can overflow) keep the step
// recurrence of TileLinearAttentionGpu.cpp.
//
//===----------------------------------------------------------------------===//

#include "AttentionTiling.h"
#include "GpuKernelBuilder.h"
#include "MmaFragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kChunk = 16;
static constexpr int64_t kColsPerWarp = 16;
static constexpr int64_t kPad = 8;

static int64_t laMmaSharedBytes(int64_t dk, int64_t dv, int64_t elementBytes) {
  int64_t half = kChunk * (2 * (dk + kPad) + (dv + kPad)) + dk * (dv + kPad);
  return elementBytes * half + 4 * (kChunk * dv + kChunk + 1);
}

bool hydra::canUseMma(LinearAttentionOp op) {
  auto q = cast<MemRefType>(op.getQuery().getType());
  auto v = cast<MemRefType>(op.getValue().getType());
  Type e = q.getElementType();
  int64_t dk = q.getDimSize(3), dv = v.getDimSize(3);
  UpdateRule rule = op.getUpdateRule();
  bool perHeadDecay = !op.getDecay() ||
                      cast<MemRefType>(op.getDecay().getType()).getRank() == 3;
  return (e.isF16() || e.isBF16()) &&
         cast<MemRefType>(op.getKey().getType()).getElementType() == e &&
         v.getElementType() == e &&
         (rule == UpdateRule::Linear || rule == UpdateRule::Gated) &&
         perHeadDecay && dk % 16 == 0 && dv % kColsPerWarp == 0 &&
         dv <= 16 * kColsPerWarp &&
         laMmaSharedBytes(dk, dv, 2) <= kMaxStaticSharedBytes;
}

LogicalResult hydra::tileLinearAttentionMma(RewriterBase &rewriter,
                                            LinearAttentionOp op) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value decay = op.getDecay();
  auto qType = cast<MemRefType>(q.getType());
  Type e = qType.getElementType();
  int64_t dk = qType.getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  int64_t warps = dv / kColsPerWarp, kSteps = dk / 16, mTiles = dk / 16;
  int64_t group =
      qType.getDimSize(1) / cast<MemRefType>(k.getType()).getDimSize(1);
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  float scale = op.getScale().convertToFloat();
  SmallVector<bool> writer = finalStateWriters(op);

  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  int64_t threads = warps * kWarpSize;

  Operation *forall = kb.forall(
      "linear_attention_mma", {kb.dim(q, 0), kb.index(heads.size())},
      [&](ValueRange ivs) {
        // Per step: QKᵀ (2·16·Dk, recomputed by every warp), Q·Ŝ and the
        // state update (2·Dk·Dv each), A·V (2·16·Dv).
        emitLinearAttentionWork(
            kb, op,
            double(warps * 2 * kChunk * dk + 4 * dk * dv + 2 * kChunk * dv));
        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        MmaFragments m(kb, e, gb.lane);
        Value bi = ivs[0];
        Value h = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        Value kvh = group == 1 ? h : kb.divConst(h, group);
        Value stateh = emitStateIndex(kb, op, ivs[1], kvh, /*selects=*/true);
        Value slot = writesAll ? h : ivs[1];
        Value c0 = kb.index(0), c1 = kb.index(1);
        Value keyLen = kb.dim(k, 2), lastStep = kb.sub(keyLen, c1);
        Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(e));
        auto ult = [&](Value x, Value bound) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                       bound);
        };
        auto raw = [&](Value buffer, ValueRange idx) {
          return memref::LoadOp::create(b, loc, buffer, idx).getResult();
        };
        Value col0 = kb.mul(gb.warp, kColsPerWarp); // this warp's columns

        // The state: accumulators [m-tile][n-tile], rows dk, cols col0 + ...
        auto stateRow = [&](int64_t mt, int64_t i) {
          return kb.add(kb.index(mt * 16 + i * 8), m.g);
        };
        auto stateCol = [&](int64_t nt, int64_t j) {
          return kb.add(kb.add(col0, kb.index(nt * 8 + j)), kb.mul(m.t, 2));
        };
        SmallVector<Value> state;
        Value initial = op.getInitialState();
        for (int64_t mt = 0; mt < mTiles; ++mt)
          for (int64_t nt = 0; nt < 2; ++nt) {
            Value c = m.zerosC();
            if (initial)
              for (int64_t i = 0; i < 2; ++i)
                for (int64_t j = 0; j < 2; ++j)
                  c = m.set(c,
                            kb.load(initial, {bi, stateh, stateRow(mt, i),
                                              stateCol(nt, j)}),
                            i, j);
            state.push_back(c);
          }

        Value qT = gb.shared({kChunk, dk + kPad}, e);
        Value kT = gb.shared({kChunk, dk + kPad}, e);
        Value vT = gb.shared({kChunk, dv + kPad}, e);
        Value sT = gb.shared({dk, dv + kPad}, e);
        Value oT = gb.shared({kChunk, dv});
        Value gT = gb.shared({kChunk + 1}); // G_t, then G_L at [16]

        SmallVector<Value> fin = kb.loop(
            c0, keyLen, kb.index(kChunk), state,
            [&](Value start, ValueRange carried) {
              Value len = kb.min(kb.sub(keyLen, start), kChunk);
              gb.barrier(); // the previous chunk's readers are done
              auto row = [&](Value buffer, Value head, Value t, Value d) {
                Value step = kb.add(start, t);
                return arith::SelectOp::create(
                    b, loc, ult(t, len),
                    raw(buffer, {bi, head, kb.min(step, lastStep), d}), zero);
              };
              gb.fill(qT, kChunk, dk,
                      [&](Value t, Value d) { return row(q, h, t, d); });
              gb.fill(kT, kChunk, dk,
                      [&](Value t, Value d) { return row(k, kvh, t, d); });
              gb.fill(vT, kChunk, dv,
                      [&](Value t, Value d) { return row(v, kvh, t, d); });
              // Ŝ, this warp's columns.
              for (int64_t mt = 0; mt < mTiles; ++mt)
                for (int64_t nt = 0; nt < 2; ++nt)
                  for (int64_t i = 0; i < 2; ++i)
                    vector::StoreOp::create(
                        b, loc, m.accumulatorPair(carried[mt * 2 + nt], i), sT,
                        ValueRange{stateRow(mt, i), stateCol(nt, 0)});
              // The cumulative decay, by the first thread.
              Value first = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::eq, gb.thread, c0);
              auto ifOp = scf::IfOp::create(b, loc, first, false);
              {
                OpBuilder::InsertionGuard guard(b);
                b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
                Value total = kb.loop(
                    c0, kb.index(kChunk), c1, kb.f32(0.0f),
                    [&](Value t, ValueRange acc) {
                      Value g = kb.f32(0.0f);
                      if (decay)
                        g = kb.select(
                            ult(t, len),
                            kb.finiteLogDecay(kb.load(
                                decay,
                                {bi, kvh, kb.min(kb.add(start, t), lastStep)})),
                            kb.f32(0.0f));
                      Value sum = kb.addf(acc[0], g);
                      kb.store(sum, gT, t);
                      return SmallVector<Value>{sum};
                    })[0];
                kb.store(total, gT, kb.index(kChunk));
              }
              gb.barrier();

              Value gLast = kb.load(gT, kb.index(kChunk));
              Value rowIdx[2] = {m.g, kb.add(m.g, kb.index(8))};
              Value gRow[2] = {kb.load(gT, rowIdx[0]), kb.load(gT, rowIdx[1])};

              // A = QKᵀ, decayed and causally masked, as one A fragment.
              SmallVector<Value> qFrags;
              for (int64_t s = 0; s < kSteps; ++s)
                qFrags.push_back(m.loadA(qT, c0, kb.index(s * 16)));
              Value scores[2];
              for (int64_t n = 0; n < 2; ++n) {
                Value acc = m.productWithRows(qFrags, kT, n * 8);
                for (int64_t i = 0; i < 2; ++i)
                  for (int64_t j = 0; j < 2; ++j) {
                    Value col = kb.add(kb.index(n * 8 + j), kb.mul(m.t, 2));
                    Value weight = kb.exp(kb.subf(gRow[i], kb.load(gT, col)));
                    Value keep = arith::CmpIOp::create(
                        b, loc, arith::CmpIPredicate::ule, col, rowIdx[i]);
                    acc =
                        m.set(acc,
                              kb.select(keep, kb.mulf(m.at(acc, i, j), weight),
                                        kb.f32(0.0f)),
                              i, j);
                  }
                scores[n] = acc;
              }
              Value aFrag = m.stack({m.accumulatorPair(scores[0], 0),
                                     m.accumulatorPair(scores[0], 1),
                                     m.accumulatorPair(scores[1], 0),
                                     m.accumulatorPair(scores[1], 1)});

              // O = scale · (e^{G_t} Q Ŝ + A V) for this warp's columns.
              for (int64_t nt = 0; nt < 2; ++nt) {
                Value n0 = kb.add(col0, kb.index(nt * 8));
                Value inter = m.zerosC();
                for (int64_t s = 0; s < kSteps; ++s)
                  inter = m.mma(qFrags[s], m.loadB(sT, kb.index(s * 16), n0),
                                inter);
                Value intra = m.mma(aFrag, m.loadB(vT, c0, n0), m.zerosC());
                for (int64_t i = 0; i < 2; ++i)
                  for (int64_t j = 0; j < 2; ++j) {
                    Value o =
                        kb.addf(kb.mulf(m.at(inter, i, j), kb.exp(gRow[i])),
                                m.at(intra, i, j));
                    kb.store(kb.mulf(o, kb.f32(scale)), oT,
                             {rowIdx[i], stateCol(nt, j)});
                  }
              }

              // S ← e^{G_L} S + (K ⊙ e^{G_L − G_s})ᵀ V.
              Value decayAll = kb.exp(gLast);
              SmallVector<Value> next;
              for (int64_t mt = 0; mt < mTiles; ++mt) {
                // A[m = dk][k = s] = K[s][dk] e^{G_L − G_s}.
                auto element = [&](int64_t di, int64_t si) {
                  Value s = kb.add(kb.index(si), kb.mul(m.t, 2));
                  Value d = kb.add(kb.index(mt * 16 + di), m.g);
                  Value x = kb.load(kT, {s, d});
                  return kb.mulf(x, kb.exp(kb.subf(gLast, kb.load(gT, s))));
                };
                auto pairAt = [&](int64_t di, int64_t si) {
                  return m.pairOf(element(di, si), element(di, si + 1));
                };
                Value kFrag = m.stack(
                    {pairAt(0, 0), pairAt(8, 0), pairAt(0, 8), pairAt(8, 8)});
                for (int64_t nt = 0; nt < 2; ++nt) {
                  Value c = carried[mt * 2 + nt];
                  for (int64_t i = 0; i < 2; ++i)
                    for (int64_t j = 0; j < 2; ++j)
                      c = m.set(c, kb.mulf(m.at(c, i, j), decayAll), i, j);
                  next.push_back(m.mma(
                      kFrag, m.loadB(vT, c0, kb.add(col0, kb.index(nt * 8))),
                      c));
                }
              }
              gb.barrier();

              emitStagedRowsEpilogue(gb, op, oT, len, warps, bi, h, slot,
                                     start);
              return next;
            });

        if (Value final = op.getFinalStateInit()) {
          Value writes = gb.lookup(ArrayRef<bool>(writer), ivs[1]);
          auto ifOp = scf::IfOp::create(b, loc, writes, false);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
          for (int64_t mt = 0; mt < mTiles; ++mt)
            for (int64_t nt = 0; nt < 2; ++nt)
              for (int64_t i = 0; i < 2; ++i)
                for (int64_t j = 0; j < 2; ++j)
                  kb.storeConverted(
                      m.at(fin[mt * 2 + nt], i, j), final,
                      {bi, stateh, stateRow(mt, i), stateCol(nt, j)});
        }
      });
  forall->setAttr(kBlockSizeAttrName, b.getI64IntegerAttr(threads));
  rewriter.eraseOp(op);
  return success();
}

//===- TileLinearAttentionDelta.cpp - the delta rules on tensor cores -----===//
//
// The delta rules' chunk form (f16/bf16). With the state's update S_t =
// a_t S_{t−1} + k_t w_tᵀ, w_t = β_t (v_t − (a_t S_{t−1})ᵀ k_t) (a_t = e^{g_t}
// of the head, 1 for `delta`; shown so here — with a decay per key
// dimension a_t is diag(e^{g_t}) and every product below takes the decay
// of its key dimension d, T's by PerKeyDecayScores.cpp), G_t the cumulative log
// decay from the chunk's start, Γ = e^G and S the state before the chunk,
// the chunk's new values W (rows w_t) solve
//
//   (I + T) W = diag(β) V − diag(β Γ) K S,
//   T_ts = β_t (k_t · k_s) e^{G_t − G_s} for s < t, 0 elsewhere,
//
// so with A = (I + T)⁻¹ (unit lower triangular: the UT transform),
// W = U − Wk S for U = A diag(β) V and Wk = A diag(β) (Γ ⊙ K), which do not
// depend on S. Then the state after the chunk is
// e^{G_L} S + (K ⊙ e^{G_L − G_s})ᵀ W, and the outputs are those of the
// linear rule with W in place of V (grid 3 of TileLinearAttentionChunks).
// Two grids come before the outputs:
//
//  1. weights, a block per (batch, state, chunk), a warp per 16 steps:
//     T by mma.sync, A by forward substitution in shared memory (a thread
//     per column, a row at a time), then U and Wk by mma.sync;
//  2. the recurrence, a block per (batch, state, 16 value columns): the
//     chunks in order, each W = U − Wk S (written over U) and the next S
//     by mma.sync, S in shared memory (f32); each S_c is written for the
//     outputs and the last one is the final state.
//
// Every exponent is ≤ 0 (G falls within a chunk), so nothing overflows.
// The recurrence is sequential over chunks, as in every chunked delta
// kernel: it is parallel over batch, kv heads and Dv / 16 only.
//
// A one-step call (decode) takes emitDeltaStepState: S_0ᵀk as a block
// reduction over Dk, then the new state a thread per element.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuLinearAttention.h"
#include "Gpu/MmaFragments.h"
#include "Tiling/WorkEstimate.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

/// f32 rows padded by 4 against bank conflicts of fragment loads.
static constexpr int64_t kPadF32 = 4;
static constexpr int64_t kStepSlices = 32;
static constexpr int64_t kStepColumns = 8;

static int64_t weightsSharedBytes(int64_t chunk, int64_t dk,
                                  int64_t decayCols) {
  // K (operand type, rows padded by 8), T then A, G, β and β e^G.
  return 2 * chunk * (dk + 8) + 4 * chunk * (chunk + kPadF32) +
         sharedBufferStart(4 * (chunk + 1) * decayCols) + 8 * chunk;
}

static int64_t recurrenceSharedBytes(int64_t chunk, int64_t dk,
                                     int64_t decayCols) {
  // K and G, the state's columns and the chunk's W of them (f32).
  return 2 * chunk * (dk + 8) + sharedBufferStart(4 * (chunk + 1) * decayCols) +
         4 * (dk + chunk) * (kDeltaColumns + kPadF32);
}

int64_t hydra::deltaSharedBytes(int64_t chunk, int64_t dk, int64_t decayCols) {
  return std::max(weightsSharedBytes(chunk, dk, decayCols),
                  recurrenceSharedBytes(chunk, dk, decayCols));
}

static Value cmp(KernelBuilder &kb, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(kb.builder(), kb.getLoc(), p, x, y);
}

/// Grid 1: each (batch, group, chunk)'s U and Wk.
void hydra::emitDeltaChunkWeights(KernelBuilder &kb, const ChunkForm &f) {
  int64_t chunk = f.chunk, warps = chunk / 16;
  int64_t threads = warps * kWarpSize; // ≥ chunk: a thread per column
  int64_t numGroups = f.groups.kvHeads.size();
  Operation *forall = kb.forall(
      "linear_attention_delta_weights_mma",
      {f.batch, kb.index(numGroups), f.chunkGrid}, [&](ValueRange ivs) {
        // Per step: a row of K Kᵀ (2 C Dk), of the solve (C) and of U and
        // Wk (2 C (Dk + Dv)); K, V, β and the decay read, U (f32) and Wk
        // written.
        WorkEstimate work;
        double n = double(numGroups);
        work.flops(n * double(2 * chunk * (2 * f.dk + f.dv) + chunk),
                   {f.batch, f.keyLen});
        double decayBytes = f.decay ? 4.0 * double(f.decayCols()) : 0.0;
        work.bytes(n * (double(4 * f.dk + 6 * f.dv + 4) + decayBytes),
                   {f.batch, f.keyLen});
        work.emit(kb.builder(), kb.getLoc());

        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        MmaFragments m(kb, f.e, gb.lane);
        Value bi = ivs[0], g = ivs[1], c = ivs[2];
        Value kvh = kb.selectFrom(f.groups.kvHeads, g);
        Value c1 = kb.index(1);
        Value aT = gb.shared({chunk, chunk + kPadF32});
        Value betaT = gb.shared({chunk});
        ChunkForm::Tiles tiles = f.tiles(gb, /*withValues=*/false);
        // β (zero past the chunk's length), staged with K and G.
        Value j = gb.thread, jc = kb.min(j, chunk - 1);
        Value isColumn = cmp(kb, arith::CmpIPredicate::ult, j, kb.index(chunk));
        {
          Value start = kb.mul(c, chunk);
          Value len = kb.min(kb.sub(f.keyLen, start), chunk);
          Value beta =
              f.betaAt(kb, bi, kvh, kb.min(kb.add(start, jc), f.lastStep));
          kb.ifThen(isColumn, [&] {
            kb.store(kb.select(cmp(kb, arith::CmpIPredicate::ult, jc, len),
                               beta, kb.f32(0.0f)),
                     betaT, jc);
          });
        }
        f.stageInto(gb, tiles, bi, kvh, g, c);
        Value kT = tiles.kT, gT = tiles.gT;

        // T, this warp's 16 rows: β_t Σ_d k_td k_sd e^{G_td − G_sd}, s < t
        // (with one decay per head, β_t (K Kᵀ)_ts e^{G_t − G_s}).
        Value r0 = kb.mul(gb.warp, 16);
        Value rows[2] = {kb.add(r0, m.g), kb.add(kb.add(r0, m.g), kb.index(8))};
        SmallVector<Value> scores;
        if (f.perKeyDecay) {
          scores = perKeyScores(
              kb, f, m, gb.warp, tiles, r0, rows,
              [&](Value t, Value d) { return kb.load(kT, {t, d}); },
              /*strict=*/true);
        } else {
          SmallVector<Value> kFrags;
          for (int64_t ks = 0; ks < f.dk / 16; ++ks)
            kFrags.push_back(m.loadA(kT, r0, kb.index(ks * 16)));
          for (int64_t nt = 0; nt < chunk / 8; ++nt) {
            Value acc = m.productWithRowsLd(kFrags, kT, kb.index(nt * 8));
            for (int64_t i = 0; i < 2; ++i) {
              Value gRow = f.cumulative(kb, gT, rows[i]);
              for (int64_t jj = 0; jj < 2; ++jj) {
                Value col = m.accumulatorCol(nt, jj);
                Value x =
                    kb.mulf(m.at(acc, i, jj),
                            kb.exp(kb.subf(gRow, f.cumulative(kb, gT, col))));
                acc = m.set(
                    acc,
                    kb.select(cmp(kb, arith::CmpIPredicate::ult, col, rows[i]),
                              x, kb.f32(0.0f)),
                    i, jj);
              }
            }
            scores.push_back(acc);
          }
        }
        for (int64_t nt = 0; nt < chunk / 8; ++nt)
          for (int64_t i = 0; i < 2; ++i) {
            Value rowScale = kb.load(betaT, rows[i]);
            for (int64_t jj = 0; jj < 2; ++jj)
              kb.store(kb.mulf(m.at(scores[nt], i, jj), rowScale), aT,
                       {rows[i], m.accumulatorCol(nt, jj)});
          }
        gb.barrier();

        // A = (I + T)⁻¹ in place, row by row: thread j's column of row t
        // is −T_tj − Σ_{j<s<t} T_ts A_sj (rows above t are A already).
        kb.loop(c1, kb.index(chunk), [&](Value t) {
          Value sum = kb.loop(kb.add(jc, c1), t, c1, {kb.f32(0.0f)},
                              [&](Value s, ValueRange acc) {
                                return SmallVector<Value>{kb.addf(
                                    acc[0], kb.mulf(kb.load(aT, {t, s}),
                                                    kb.load(aT, {s, jc})))};
                              })[0];
          Value x = kb.subf(kb.f32(0.0f), kb.addf(kb.load(aT, {t, jc}), sum));
          gb.barrier(); // every thread has read row t
          kb.ifThen(cmp(kb, arith::CmpIPredicate::ult, j, t),
                    [&] { kb.store(x, aT, {t, jc}); });
          gb.barrier();
        });
        kb.ifThen(isColumn, [&] { kb.store(kb.f32(1.0f), aT, {jc, jc}); });
        gb.barrier();

        // U = A diag(β) V and Wk = A diag(β) (K ⊙ e^G), this warp's 16
        // rows.
        SmallVector<Value> aFrags;
        for (int64_t kc = 0; kc < chunk / 16; ++kc)
          aFrags.push_back(
              m.loadAWith(r0, kb.index(kc * 16), [&](Value r, Value col) {
                return m.pairOf(kb.load(aT, {r, col}),
                                kb.load(aT, {r, kb.add(col, c1)}));
              }));
        Value start = tiles.start;
        auto product = [&](int64_t cols, Value out,
                           function_ref<Value(Value s, Value n)> rhs) {
          for (int64_t nt = 0; nt < cols / 8; ++nt) {
            Value acc = m.zerosC();
            for (int64_t kc = 0; kc < chunk / 16; ++kc)
              acc = m.mma(aFrags[kc],
                          m.loadBWith(kb.index(kc * 16), kb.index(nt * 8), rhs),
                          acc);
            for (int64_t i = 0; i < 2; ++i)
              for (int64_t jj = 0; jj < 2; ++jj)
                kb.storeConverted(
                    m.at(acc, i, jj), out,
                    {bi, g, c, rows[i], m.accumulatorCol(nt, jj)});
          }
        };
        // V's rows past the length read the last step; β is 0 there.
        product(f.dv, f.values, [&](Value s, Value n) {
          Value step = kb.min(kb.add(start, s), f.lastStep);
          return kb.mulf(kb.load(betaT, s), kb.load(f.v, {bi, kvh, step, n}));
        });
        product(f.dk, f.keyWeights, [&](Value s, Value n) {
          return kb.mulf(kb.mulf(kb.load(betaT, s), kb.load(kT, {s, n})),
                         kb.exp(f.cumulative(kb, gT, s, n)));
        });
      });
  forall->setAttr(kBlockSizeAttrName, kb.builder().getI64IntegerAttr(threads));
}

/// Grid 2: the chunks in order, for 16 of the state's value columns.
void hydra::emitDeltaRecurrence(KernelBuilder &kb, const ChunkForm &f) {
  int64_t chunk = f.chunk, cols = kDeltaColumns;
  int64_t warps = std::max(chunk, f.dk) / 16, threads = warps * kWarpSize;
  int64_t numGroups = f.groups.kvHeads.size();
  LinearAttentionOp op = f.op;
  Value initial = op.getInitialState(), final = op.getFinalStateInit();
  Value tilesOfDv = kb.index(f.dv / cols);
  Operation *forall = kb.forall(
      "linear_attention_delta_recurrence_mma",
      // None for a one-step call: the step form writes the final state.
      {f.batch, kb.index(numGroups),
       f.staticStep ? tilesOfDv
                    : kb.mulDynamic(tilesOfDv, kb.sub(kb.index(1), f.step))},
      [&](ValueRange ivs) {
        // Per step: Wk S and the state's update (2 Dk Dv each); Wk, K
        // (operand type) and the decay read once a block (Dv / 16 blocks),
        // U read and W written (f32); one state written per chunk.
        double blocksPerState = double(f.dv / cols);
        emitChunkWork(kb, f, double(numGroups), 4.0 * double(f.dk * f.dv),
                      blocksPerState * double(4 * f.dk + 2) +
                          8.0 * double(f.dv));

        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        MmaFragments m(kb, f.e, gb.lane);
        Value bi = ivs[0], g = ivs[1], col0 = kb.mul(ivs[2], cols);
        Value kvh = kb.selectFrom(f.groups.kvHeads, g);
        Value stateh = kb.selectFrom(f.stateOfGroup, g);
        Value c1 = kb.index(1);
        Value sT = gb.shared({f.dk, cols + kPadF32});
        Value wT = gb.shared({chunk, cols + kPadF32});
        ChunkForm::Tiles tiles = f.tiles(gb, /*withValues=*/false);
        gb.fill(sT, f.dk, cols, [&](Value d, Value n) {
          return initial ? kb.load(initial, {bi, stateh, d, kb.add(col0, n)})
                         : kb.f32(0.0f);
        });
        auto eachElement = [&](function_ref<void(Value d, Value n)> body) {
          kb.loop(gb.thread, kb.index(f.dk * cols), kb.index(threads),
                  [&](Value x) {
                    body(kb.divConst(x, cols), kb.remConst(x, cols));
                  });
        };
        Value r0 = kb.mul(gb.warp, 16);
        Value rows[2] = {kb.add(r0, m.g), kb.add(kb.add(r0, m.g), kb.index(8))};

        kb.loop(kb.index(0), f.numChunks, [&](Value c) {
          f.stageInto(gb, tiles, bi, kvh, g, c); // ends with a barrier
          Value kT = tiles.kT, gT = tiles.gT;
          eachElement([&](Value d, Value n) {
            kb.store(kb.load(sT, {d, n}), f.states,
                     {bi, g, c, d, kb.add(col0, n)});
          });
          // W = U − Wk S, the chunk's 16-step row blocks by warps.
          kb.ifThen(
              cmp(kb, arith::CmpIPredicate::ult, gb.warp, kb.index(chunk / 16)),
              [&] {
                SmallVector<Value> aFrags;
                for (int64_t ks = 0; ks < f.dk / 16; ++ks)
                  aFrags.push_back(m.loadAWith(
                      r0, kb.index(ks * 16), [&](Value r, Value col) {
                        return vector::LoadOp::create(
                            kb.builder(), kb.getLoc(), m.pair(), f.keyWeights,
                            ValueRange{bi, g, c, r, col});
                      }));
                for (int64_t nt = 0; nt < cols / 8; ++nt) {
                  Value acc = m.accumulateRows(m.zerosC(), aFrags, sT,
                                               kb.index(nt * 8));
                  for (int64_t i = 0; i < 2; ++i)
                    for (int64_t j = 0; j < 2; ++j) {
                      Value n = m.accumulatorCol(nt, j);
                      SmallVector<Value> at = {bi, g, c, rows[i],
                                               kb.add(col0, n)};
                      Value w = kb.subf(kb.load(f.values, at), m.at(acc, i, j));
                      kb.store(w, wT, {rows[i], n});
                      kb.store(w, f.values, at);
                    }
                }
              });
          gb.barrier();
          // S ← e^{G_L} S + (K ⊙ e^{G_L − G_s})ᵀ W, 16 rows of Dk a warp.
          kb.ifThen(
              cmp(kb, arith::CmpIPredicate::ult, gb.warp, kb.index(f.dk / 16)),
              [&] {
                Value last = kb.index(chunk);
                auto decayed = [&](Value d, Value s) {
                  return kb.mulf(kb.load(kT, {s, d}),
                                 kb.exp(kb.subf(f.cumulative(kb, gT, last, d),
                                                f.cumulative(kb, gT, s, d))));
                };
                // e^{G_L} of the lane's two rows of Dk.
                Value decayAll[2] = {
                    kb.exp(f.cumulative(kb, gT, last, rows[0])),
                    kb.exp(f.cumulative(kb, gT, last, rows[1]))};
                SmallVector<Value> aFrags;
                for (int64_t kc = 0; kc < chunk / 16; ++kc)
                  aFrags.push_back(
                      m.loadAWith(r0, kb.index(kc * 16), [&](Value d, Value s) {
                        return m.pairOf(decayed(d, s),
                                        decayed(d, kb.add(s, c1)));
                      }));
                for (int64_t nt = 0; nt < cols / 8; ++nt) {
                  Value acc = m.zerosC();
                  for (int64_t i = 0; i < 2; ++i)
                    for (int64_t j = 0; j < 2; ++j)
                      acc =
                          m.set(acc,
                                kb.mulf(kb.load(sT, {rows[i],
                                                     m.accumulatorCol(nt, j)}),
                                        decayAll[i]),
                                i, j);
                  acc = m.accumulateRows(acc, aFrags, wT, kb.index(nt * 8));
                  for (int64_t i = 0; i < 2; ++i)
                    for (int64_t j = 0; j < 2; ++j)
                      kb.store(m.at(acc, i, j), sT,
                               {rows[i], m.accumulatorCol(nt, j)});
                }
              });
          gb.barrier();
        });
        if (final)
          eachElement([&](Value d, Value n) {
            kb.storeConverted(kb.load(sT, {d, n}), final,
                              {bi, stateh, d, kb.add(col0, n)});
          });
      });
  forall->setAttr(kBlockSizeAttrName, kb.builder().getI64IntegerAttr(threads));
}

/// A one-step call's new state, a block per (batch, group, 8 value
/// columns): thread (slice, column) sums its rows of (a S_0)ᵀk (a = e^g of
/// the head or of each row's key dimension), the block adds the slices,
/// then each thread updates its rows: S = a S_0 + k (β (v − (a S_0)ᵀk))ᵀ.
void hydra::emitDeltaStepState(KernelBuilder &kb, const ChunkForm &f) {
  LinearAttentionOp op = f.op;
  int64_t threads = kStepSlices * kStepColumns;
  int64_t rowsPerSlice = (f.dk + kStepSlices - 1) / kStepSlices;
  int64_t numGroups = f.groups.kvHeads.size();
  Value initial = op.getInitialState(), final = op.getFinalStateInit();
  Operation *forall = kb.forall(
      "linear_attention_delta_step_state",
      {f.batch, kb.index(numGroups), kb.mul(f.step, f.dv / kStepColumns)},
      [&](ValueRange ivs) {
        f.emitStepStateWork(kb, 6.0);
        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        Value bi = ivs[0], g = ivs[1], c0 = kb.index(0);
        Value kvh = kb.selectFrom(f.groups.kvHeads, g);
        Value stateh = kb.selectFrom(f.stateOfGroup, g);
        Value slice = kb.divConst(gb.thread, kStepColumns);
        Value n = kb.remConst(gb.thread, kStepColumns);
        Value col = kb.add(kb.mul(ivs[2], kStepColumns), n);
        // a S_0, row d decayed by its key dimension's (or the head's) g.
        auto decayedRow = [&](Value s0, Value d) {
          if (!f.decay)
            return s0;
          SmallVector<Value> at = {bi, kvh, c0};
          if (f.perKeyDecay)
            at.push_back(d);
          return kb.mulf(s0, kb.exp(kb.finiteLogDecay(kb.load(f.decay, at))));
        };
        Value beta = f.betaAt(kb, bi, kvh, c0);
        Value v = kb.load(f.v, {bi, kvh, c0, col});
        SmallVector<Value> d, inDk, key, s0;
        for (int64_t r = 0; r < rowsPerSlice; ++r) {
          Value row = kb.add(slice, kb.index(r * kStepSlices));
          inDk.push_back(
              cmp(kb, arith::CmpIPredicate::ult, row, kb.index(f.dk)));
          d.push_back(kb.min(row, f.dk - 1));
          key.push_back(kb.load(f.k, {bi, kvh, c0, d.back()}));
          s0.push_back(initial ? decayedRow(kb.load(initial, {bi, stateh,
                                                              d.back(), col}),
                                            d.back())
                               : kb.f32(0.0f));
        }
        Value w = kb.mulf(beta, v);
        if (initial) {
          Value partial = kb.f32(0.0f);
          for (int64_t r = 0; r < rowsPerSlice; ++r)
            partial =
                kb.addf(partial, kb.select(inDk[r], kb.mulf(s0[r], key[r]),
                                           kb.f32(0.0f)));
          Value sums = gb.shared({kStepSlices, kStepColumns});
          kb.store(partial, sums, {slice, n});
          gb.barrier();
          Value total = kb.loop(c0, kb.index(kStepSlices), kb.index(1),
                                {kb.f32(0.0f)}, [&](Value i, ValueRange acc) {
                                  return SmallVector<Value>{
                                      kb.addf(acc[0], kb.load(sums, {i, n}))};
                                })[0];
          w = kb.mulf(beta, kb.subf(v, total));
        }
        for (int64_t r = 0; r < rowsPerSlice; ++r) {
          Value s = kb.addf(s0[r], kb.mulf(key[r], w));
          kb.ifThen(inDk[r], [&] {
            kb.store(s, f.states, {bi, g, c0, d[r], col});
            if (final)
              kb.storeConverted(s, final, {bi, stateh, d[r], col});
          });
        }
      });
  forall->setAttr(kBlockSizeAttrName, kb.builder().getI64IntegerAttr(threads));
}

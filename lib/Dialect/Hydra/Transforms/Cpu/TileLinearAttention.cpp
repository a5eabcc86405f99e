//===- TileLinearAttention.cpp - chunkwise tiling of linear attention -----===//
//
// One scf.forall iteration per (batch, head) carries the f32 state
// S (Dk × Dv) across chunks of C steps. Within a chunk, with G_t the
// cumulative log decay from the chunk start (0 without gating) and u_s the
// chunk's values:
//
//   o_t = scale · ( (q_t ⊙ e^{G_t})ᵀ S  +  Σ_{s ≤ t} (Σ_d q_td k_sd e^{G_td −
//   G_sd}) u_s ) S  ← e^{G_L} ⊙ S  +  Σ_s (k_s ⊙ e^{G_L − G_s}) u_sᵀ
//
// which is the recurrence exactly. For the delta rules u are the chunk's
// pseudo-values, the solution of the unit lower-triangular system
//   u_t = β_t (v_t − Sᵀ(k_t ⊙ e^{G_t}) − Σ_{s<t} (Σ_d k_td k_sd e^{G_td −
//   G_sd}) u_s)
// i.e. U = (I + diag(β)·tril(A, −1))⁻¹ · diag(β) · (V − (K ⊙ e^G) S), the
// UT transform, applied by forward substitution.
//
//===----------------------------------------------------------------------===//

#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// Emits the body of one (batch, head) iteration.
class ChunkedLinearAttention {
public:
  ChunkedLinearAttention(KernelBuilder &kb, LinearAttentionOp op, int64_t chunk)
      : kb(kb), op(op), chunk(chunk) {
    q = op.getQuery();
    k = op.getKey();
    v = op.getValue();
    decay = op.getDecay();
    beta = op.getBeta();
    dk = cast<MemRefType>(q.getType()).getDimSize(3);
    dv = cast<MemRefType>(v.getType()).getDimSize(3);
    perDimDecay = decay && cast<MemRefType>(decay.getType()).getRank() == 4;
    UpdateRule rule = op.getUpdateRule();
    delta = rule == UpdateRule::Delta || rule == UpdateRule::GatedDelta;
    // The widest slice of Dv, at most 64 lanes, that divides it: a block's
    // accumulators for one slice stay in registers.
    slice = dv;
    for (int64_t w : {64, 32, 16, 8})
      if (dv > w && dv % w == 0) {
        slice = w;
        break;
      }
    lanes = std::min<int64_t>(slice, kVectorLanes);
    blockedForms =
        !perDimDecay && chunk % kVectorLanes == 0 && slice % lanes == 0;
  }

  /// The listed query heads of one kv head, which share its state: how
  /// many, and the query head and output slot of member m.
  struct Members {
    Value count;
    function_ref<Value(Value m)> head, slot;
  };

  /// One (batch, kv head) iteration: the kv head's state (index
  /// `stateHead` of the state operands) carried across the chunks once,
  /// each member's outputs per chunk.
  void emit(Value batchIdx, Value kvHead, Value stateHead,
            const Members &members);

private:
  /// G_t as a row over Dk (a per-head decay is broadcast).
  Value decayRow(Value t) {
    if (perDimDecay)
      return kb.loadRow(cumDecay, t, dk);
    return kb.splat(kb.load(cumDecay, t), dk);
  }
  /// Σ_d x_d k_sd e^{G_td − G_sd} for chunk steps t and s; `gt` is G_t.
  Value pairWeight(Value x, Value kRow, Value gt, Value s) {
    if (!decay)
      return kb.dot(x, kRow);
    if (perDimDecay)
      return kb.dot(kb.mulf(x, kRow),
                    kb.exp(kb.subf(gt, kb.loadRow(cumDecay, s, dk))));
    Value gts = kb.subf(kb.extract(gt, kb.index(0)), kb.load(cumDecay, s));
    return kb.mulf(kb.dot(x, kRow), kb.exp(gts));
  }
  /// The chunk's value row u_s: the input value, or the pseudo-value.
  Value valueRow(Value s) {
    return kb.loadRow(delta ? pseudoValues : valueRows, s, dv);
  }

  /// Rows [first, end) in blocks of kRowBlock, the last ones alone;
  /// `first` a multiple of kRowBlock and at most `end` (so the last whole
  /// block ends at or after it).
  void forRowBlocks(Value first, Value end,
                    function_ref<void(Value r0, int64_t rows)> body) {
    // Static bounds (Dk) stay static.
    std::optional<int64_t> known = getConstantIntValue(end);
    Value blocked = known ? kb.index(*known - *known % kRowBlock)
                          : kb.sub(end, kb.remConst(end, kRowBlock));
    kb.loop(first, blocked, kb.index(kRowBlock),
            [&](Value r0) { body(r0, kRowBlock); });
    kb.loop(blocked, end, [&](Value r0) { body(r0, 1); });
  }
  void forRowBlocks(Value count,
                    function_ref<void(Value r0, int64_t rows)> body) {
    forRowBlocks(kb.index(0), count, body);
  }

  /// Copies the chunk's `len` rows of `input` ([B, H, T, D] at `lead`)
  /// into `rows` ([C][D]): every later pass over them reads a small
  /// contiguous buffer, whatever the input's layout (a transposed view of
  /// [B, T, H, D] puts its rows H·D apart, and rows a power of two apart
  /// share the same few cache sets). The next chunk's rows are requested
  /// into L2 meanwhile: rows that far apart defeat the hardware
  /// prefetcher, and they arrive while this chunk computes.
  void stageRows(Value input, ValueRange lead, Value rows, Value len) {
    int64_t width = cast<MemRefType>(rows.getType()).getDimSize(1);
    kb.loop(kb.index(0), len, [&](Value s) {
      SmallVector<Value> at(lead.begin(), lead.end());
      at.push_back(kb.add(c0, s));
      kb.storeRow(kb.loadRow(input, at, width), rows, s);
      at.back() = kb.add(at.back(), kb.index(kStageAhead));
      kb.prefetchRow(input, at, width, /*locality=*/3);
    });
  }
  /// Requests into L2 the next chunk's rows of `input` that the `index`-th
  /// of `count` iterations of a compute loop owns (⌈C / count⌉ each):
  /// spread over the loop they arrive while it computes, where the same
  /// requests in a burst at the copy would stall it.
  void prefetchNextChunk(Value input, ValueRange lead, Value index,
                         int64_t count) {
    prefetchChunkShare(input, lead, kb.add(c0, kb.index(chunk)), index, count,
                       /*forWrite=*/false);
  }
  /// The same for the rows from `start` of an output the chunk is about to
  /// write, requested for writing: a store that misses waits for the line
  /// (a long sequence's output is fresh memory, rows H·Dv apart).
  void prefetchChunkShare(Value memref, ValueRange lead, Value start,
                          Value index, int64_t count, bool forWrite) {
    int64_t width = cast<MemRefType>(memref.getType()).getDimSize(3);
    int64_t per = (chunk + count - 1) / count;
    Value first = kb.mul(index, per);
    kb.loop(first, kb.min(kb.add(first, kb.index(per)), chunk), [&](Value r) {
      SmallVector<Value> at(lead.begin(), lead.end());
      at.push_back(kb.add(start, r));
      kb.prefetchRow(memref, at, width, /*locality=*/2, forWrite);
    });
  }
  void emitCumulativeDecay(Value len);
  void emitPseudoValues(Value len);
  void emitOutputs(Value len);
  void emitStateUpdate(Value len);
  // The blocked forms (one decay per head or none, a chunk of whole
  // vectors): every inner loop a register tile of FMAs.
  void emitChunkKeys(Value len);
  /// What the carried-state tiles serve: `perBlock(i, n)` runs in the
  /// i-th of the n blocks (may be null), `finish` makes the final
  /// accumulators of a block of rows of a Dv slice from the products.
  struct CarriedStateUse {
    std::function<void(Value iteration, int64_t iterations)> perBlock;
    std::function<SmallVector<Value>(Value t0, int64_t count, Value col,
                                     ArrayRef<Value> accs)>
        finish;
  };
  void emitPairWeightsBlocked(Value rows, Value len, Value dest, bool strict);
  void emitCarriedStateBlocked(Value rows, Value len, Value partial,
                               const CarriedStateUse &use);
  void emitOutputsBlocked(Value len);
  void emitPseudoValuesBlocked(Value len);
  void emitStateUpdateBlocked(Value len);
  /// Columns [col, col + slice) of u_s as vectors of `lanes`.
  SmallVector<Value> valueSlice(Value s, Value col) {
    SmallVector<Value> parts;
    for (int64_t j = 0; j < slice / lanes; ++j) {
      Value at = kb.add(col, kb.index(j * lanes));
      parts.push_back(
          kb.loadRowAt(delta ? pseudoValues : valueRows, s, at, lanes));
    }
    return parts;
  }

  KernelBuilder &kb;
  LinearAttentionOp op;
  int64_t chunk, dk = 0, dv = 0;
  bool perDimDecay = false, delta = false;
  /// Whether the blocked forms apply.
  bool blockedForms = false;
  /// Columns of Dv a register tile covers, and its vectors' width.
  int64_t slice = 0, lanes = 0;
  /// The chunk's keys transposed ([Dk][C]: lanes are steps), and with a
  /// decay each key scaled by e^{G_L − G_s} for the state update ([C][Dk]).
  Value keysT, keysDecayed;
  /// With a decay, e^{G_t} and e^{G_L − G_s} for the chunk's steps.
  Value decayUp, keyWeights;
  /// The chunk's key and value rows, and one member head's query rows.
  Value keyRows, valueRows, queryRows;
  /// The chunk's pair weights [C][C] (steps in lanes) and outputs [C][Dv].
  Value pairs, chunkOutputs;
  /// The delta rules' key pair weights [C][C] (s < t).
  Value keyPairs;
  Value q, k, v, decay, beta;
  // Set per iteration.
  Value bi, h, kvh, outSlot, c0, state, cumDecay, pseudoValues;
  // One row of Dk, read back lane by lane: extracting lanes of a vector at
  // a variable position would spill the whole vector for every lane.
  Value rowScratch;
  // A block of output rows: their queries (⊙ e^G) and carried-state parts.
  static constexpr int64_t kRowBlock = 4;
  /// Rows of S a pass of the blocked outputs reads.
  static constexpr int64_t kDepthBlock = 64;
  static constexpr int64_t kStageAhead = 8;
  static constexpr int64_t kVectorLanes = 16;
  Value blockQueries, blockOutputs;
};
} // namespace

void ChunkedLinearAttention::emitCumulativeDecay(Value len) {
  Value zero = kb.index(0), one = kb.index(1);
  if (perDimDecay) {
    kb.loop(zero, len, one, kb.zeros(dk), [&](Value t, ValueRange it) {
      Value g = kb.addf(it[0], kb.finiteLogDecay(kb.loadRow(
                                   decay, {bi, kvh, kb.add(c0, t)}, dk)));
      kb.storeRow(g, cumDecay, t);
      return SmallVector<Value>{g};
    });
    return;
  }
  kb.loop(zero, len, one, kb.f32(0.0f), [&](Value t, ValueRange it) {
    Value g = kb.addf(
        it[0], kb.finiteLogDecay(kb.load(decay, {bi, kvh, kb.add(c0, t)})));
    kb.store(g, cumDecay, t);
    return SmallVector<Value>{g};
  });
}

void ChunkedLinearAttention::emitPseudoValues(Value len) {
  Value zero = kb.index(0), one = kb.index(1);
  bool betaPerHead = cast<MemRefType>(beta.getType()).getDimSize(1) != 1;
  kb.loop(zero, len, [&](Value t) {
    Value kRow = kb.loadRow(keyRows, t, dk);
    Value gt = decay ? decayRow(t) : Value();
    Value kg = decay ? kb.mulf(kRow, kb.exp(gt)) : kRow;
    // r = v_t − Sᵀ(k_t ⊙ e^{G_t}) − Σ_{s<t} A_ts u_s
    Value r = kb.loadRow(valueRows, t, dv);
    kb.storeRow(kg, rowScratch, ValueRange{});
    r = kb.loop(zero, kb.index(dk), one, r, [&](Value d, ValueRange it) {
      Value coef = kb.subf(kb.f32(0.0f), kb.load(rowScratch, d));
      return SmallVector<Value>{kb.axpy(coef, kb.loadRow(state, d, dv), it[0])};
    })[0];
    r = kb.loop(zero, t, one, r, [&](Value s, ValueRange it) {
      Value ks = kb.loadRow(keyRows, s, dk);
      Value a = pairWeight(kRow, ks, gt, s);
      return SmallVector<Value>{kb.axpy(
          kb.subf(kb.f32(0.0f), a), kb.loadRow(pseudoValues, s, dv), it[0])};
    })[0];
    Value bt = kb.load(beta, {bi, betaPerHead ? kvh : zero, kb.add(c0, t)});
    kb.storeRow(kb.mulf(r, kb.splat(bt, dv)), pseudoValues, t);
  });
}

void ChunkedLinearAttention::emitOutputs(Value len) {
  Value zero = kb.index(0), one = kb.index(1);
  float scale = op.getScale().convertToFloat();
  float epsilon = op.getFusionEpsilon().convertToFloat();
  forRowBlocks(len, [&](Value t0, int64_t rows) {
    SmallVector<Value> t(rows), qRow(rows), gt(rows);
    for (int64_t u = 0; u < rows; ++u) {
      t[u] = kb.add(t0, kb.index(u));
      qRow[u] = kb.loadRow(queryRows, t[u], dk);
      gt[u] = decay ? decayRow(t[u]) : Value();
      Value qg = decay ? kb.mulf(qRow[u], kb.exp(gt[u])) : qRow[u];
      kb.storeRow(qg, blockQueries, kb.index(u));
    }
    // Carried state: (q_t ⊙ e^{G_t})ᵀ S, each state row slice loaded once
    // for every row of the block.
    kb.loop(zero, kb.index(dv), kb.index(slice), [&](Value col) {
      SmallVector<Value> accs(rows, kb.zeros(slice));
      accs =
          kb.loop(zero, kb.index(dk), one, accs, [&](Value d, ValueRange it) {
            Value stateRow = kb.loadRowAt(state, d, col, slice);
            SmallVector<Value> next;
            for (int64_t u = 0; u < rows; ++u)
              next.push_back(kb.axpy(kb.load(blockQueries, {kb.index(u), d}),
                                     stateRow, it[u]));
            return next;
          });
      for (int64_t u = 0; u < rows; ++u)
        kb.storeRowAt(accs[u], blockOutputs, kb.index(u), col);
    });
    for (int64_t u = 0; u < rows; ++u) {
      Value o = kb.loadRow(blockOutputs, kb.index(u), dv);
      // Intra-chunk: the causally masked product over steps s ≤ t.
      o = kb.loop(zero, kb.add(t[u], one), one, o, [&](Value s, ValueRange it) {
        Value ks = kb.loadRow(keyRows, s, dk);
        Value a = pairWeight(qRow[u], ks, gt[u], s);
        return SmallVector<Value>{kb.axpy(a, valueRow(s), it[0])};
      })[0];
      o = kb.mulf(o, kb.splat(kb.f32(scale), dv));
      emitEpilogueStore(kb, o, op.getInit(), {bi, outSlot, kb.add(c0, t[u])},
                        op.getFusionScale(), h, epsilon);
    }
  });
}

void ChunkedLinearAttention::emitStateUpdate(Value len) {
  Value zero = kb.index(0), one = kb.index(1);
  Value last = kb.sub(len, one);
  kb.loop(zero, kb.index(dk), [&](Value d) {
    Value row = kb.loadRow(state, d, dv);
    Value gLast;
    if (decay) {
      gLast =
          perDimDecay ? kb.load(cumDecay, {last, d}) : kb.load(cumDecay, last);
      row = kb.mulf(row, kb.splat(kb.exp(gLast), dv));
    }
    row = kb.loop(zero, len, one, row, [&](Value s, ValueRange it) {
      Value coef = kb.load(keyRows, {s, d});
      if (decay) {
        Value gs =
            perDimDecay ? kb.load(cumDecay, {s, d}) : kb.load(cumDecay, s);
        coef = kb.mulf(coef, kb.exp(kb.subf(gLast, gs)));
      }
      return SmallVector<Value>{kb.axpy(coef, valueRow(s), it[0])};
    })[0];
    kb.storeRow(row, state, d);
  });
}

void ChunkedLinearAttention::emitChunkKeys(Value len) {
  Value zero = kb.index(0);
  kb.transposeRows(keyRows, keysT, len, dk);
  if (!decay)
    return;
  // e^{G_t} and e^{G_L − G_s} for the whole chunk as vectors, once: every
  // row block of every member and slice reads them (the lanes past a
  // short chunk come from what an earlier chunk left and are never read).
  Value gLast = kb.load(cumDecay, kb.sub(len, kb.index(1)));
  Value g = kb.loadRow(cumDecay, ValueRange{}, chunk);
  kb.storeRow(kb.exp(g), decayUp, ValueRange{});
  kb.storeRow(kb.exp(kb.subf(kb.splat(gLast, chunk), g)), keyWeights,
              ValueRange{});
  kb.loop(zero, len, [&](Value s) {
    Value w = kb.load(keyWeights, s);
    kb.storeRow(kb.mulf(kb.loadRow(keyRows, s, dk), kb.splat(w, dk)),
                keysDecayed, s);
  });
}

void ChunkedLinearAttention::emitPairWeightsBlocked(Value rows, Value len,
                                                    Value dest, bool strict) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value zero = kb.index(0);
  int64_t groups = chunk / kVectorLanes;
  Value zeroLanes = kb.zeros(kVectorLanes);
  // dest[t][s] = rows_t · k_s, times e^{G_t − G_s}, zero for s > t (s ≥ t
  // when strict), steps in lanes. The rows of band n (t in [16n, 16n + 16))
  // are computed against the steps of groups 0..n only: nothing reads
  // dest[t][s] for a group past t's (the products stop at the row block's
  // last step, the substitution at t), and only group n straddles the
  // diagonal.
  for (int64_t band = 0; band < groups; ++band) {
    Value first = kb.index(band * kVectorLanes);
    Value end = kb.min(len, (band + 1) * kVectorLanes);
    if (band > 0)
      end = kb.max(end, first); // a short last chunk may not reach it: empty
    int64_t width = band + 1;
    forRowBlocks(first, end, [&](Value t0, int64_t count) {
      SmallVector<Value> dots = kb.outerProducts(
          zero, kb.index(dk), SmallVector<Value>(count * width, zeroLanes),
          count,
          [&](Value d) {
            SmallVector<Value> ks;
            for (int64_t g = 0; g < width; ++g)
              ks.push_back(kb.loadRowAt(keysT, d, kb.index(g * kVectorLanes),
                                        kVectorLanes));
            return ks;
          },
          [&](Value d, int64_t u) {
            return kb.load(rows, {kb.add(t0, kb.index(u)), d});
          });
      for (int64_t u = 0; u < count; ++u) {
        Value t = kb.add(t0, kb.index(u));
        Value gt =
            decay ? kb.splat(kb.load(cumDecay, t), kVectorLanes) : Value();
        for (int64_t g = 0; g < width; ++g) {
          Value at = kb.index(g * kVectorLanes);
          Value a = dots[u * width + g];
          if (decay)
            a = kb.mulf(a,
                        kb.exp(kb.subf(gt, kb.loadRowAt(cumDecay, ValueRange{},
                                                        at, kVectorLanes))));
          if (g == band) {
            Value masked = arith::CmpIOp::create(
                b, loc,
                strict ? arith::CmpIPredicate::uge : arith::CmpIPredicate::ugt,
                kb.lanesFrom(at, kVectorLanes),
                vector::BroadcastOp::create(
                    b, loc, VectorType::get({kVectorLanes}, b.getIndexType()),
                    t));
            a = kb.select(masked, zeroLanes, a);
          }
          kb.storeRowAt(a, dest, t, at);
        }
      }
    });
  }
}

void ChunkedLinearAttention::emitCarriedStateBlocked(
    Value rows, Value len, Value partial, const CarriedStateUse &use) {
  // e^{G_t} · rows_tᵀ S for every row t, a slice of Dv at a time
  // (outermost) and S's rows in blocks of kDepthBlock: the slice of that
  // block of S stays in L1 for every block of rows (a whole slice of S,
  // with rows 4·Dv bytes apart, fills only part of L1's sets and would
  // stream from L2), with a block's rows × slice accumulators in
  // registers; the partial sums wait in `partial`, which ends up holding
  // what `use.finish` makes of the products.
  Value zero = kb.index(0);
  int64_t parts = slice / lanes;
  int64_t depthBlocks = (dk + kDepthBlock - 1) / kDepthBlock;
  int64_t rowBlocks = (chunk + kRowBlock - 1) / kRowBlock;
  int64_t iterations = (dv / slice) * depthBlocks * rowBlocks;
  kb.loop(zero, kb.index(dv), kb.index(slice), [&](Value col) {
    for (int64_t d0 = 0; d0 < dk; d0 += kDepthBlock) {
      int64_t d1 = std::min(dk, d0 + kDepthBlock);
      Value pass = kb.add(kb.mul(kb.divConst(col, slice), depthBlocks),
                          kb.index(d0 / kDepthBlock));
      forRowBlocks(len, [&](Value t0, int64_t count) {
        if (use.perBlock)
          use.perBlock(
              kb.add(kb.mul(pass, rowBlocks), kb.divConst(t0, kRowBlock)),
              iterations);
        auto rowOf = [&](int64_t u) { return kb.add(t0, kb.index(u)); };
        auto partAt = [&](int64_t j) {
          return kb.add(col, kb.index(j * lanes));
        };
        SmallVector<Value> init;
        for (int64_t u = 0; u < count; ++u)
          for (int64_t j = 0; j < parts; ++j)
            init.push_back(
                d0 == 0 ? kb.zeros(lanes)
                        : kb.loadRowAt(partial, rowOf(u), partAt(j), lanes));
        SmallVector<Value> accs = kb.outerProducts(
            kb.index(d0), kb.index(d1), init, count,
            [&](Value d) {
              SmallVector<Value> stateParts;
              for (int64_t j = 0; j < parts; ++j)
                stateParts.push_back(kb.loadRowAt(state, d, partAt(j), lanes));
              return stateParts;
            },
            [&](Value d, int64_t u) { return kb.load(rows, {rowOf(u), d}); });
        if (d1 == dk) {
          if (decay)
            for (int64_t u = 0; u < count; ++u) {
              Value eg = kb.splat(kb.load(decayUp, rowOf(u)), lanes);
              for (int64_t j = 0; j < parts; ++j)
                accs[u * parts + j] = kb.mulf(accs[u * parts + j], eg);
            }
          accs = use.finish(t0, count, col, accs);
        }
        for (int64_t u = 0; u < count; ++u)
          for (int64_t j = 0; j < parts; ++j)
            kb.storeRowAt(accs[u * parts + j], partial, rowOf(u), partAt(j));
      });
    }
  });
}

void ChunkedLinearAttention::emitOutputsBlocked(Value len) {
  Value zero = kb.index(0);
  float scale = op.getScale().convertToFloat();
  float epsilon = op.getFusionEpsilon().convertToFloat();
  emitPairWeightsBlocked(queryRows, len, pairs, /*strict=*/false);
  // o_t = e^{G_t} · q_tᵀ S + Σ_{s ≤ t} A_ts u_s; each block of rows also
  // requests its share of the next chunk's query rows.
  auto prefetchQueries = [&](Value iteration, int64_t iterations) {
    prefetchNextChunk(q, {bi, h}, iteration, iterations);
    prefetchChunkShare(op.getInit(), {bi, outSlot}, c0, iteration, iterations,
                       /*forWrite=*/true);
  };
  auto addIntraChunk = [&](Value t0, int64_t count, Value col,
                           ArrayRef<Value> accs) {
    return kb.outerProducts(
        zero, kb.add(t0, kb.index(count)), accs, count,
        [&](Value s) { return valueSlice(s, col); },
        [&](Value s, int64_t u) {
          return kb.load(pairs, {kb.add(t0, kb.index(u)), s});
        });
  };
  emitCarriedStateBlocked(queryRows, len, chunkOutputs,
                          {prefetchQueries, addIntraChunk});
  kb.loop(zero, len, [&](Value t) {
    Value o =
        kb.mulf(kb.loadRow(chunkOutputs, t, dv), kb.splat(kb.f32(scale), dv));
    emitEpilogueStore(kb, o, op.getInit(), {bi, outSlot, kb.add(c0, t)},
                      op.getFusionScale(), h, epsilon);
  });
}

void ChunkedLinearAttention::emitPseudoValuesBlocked(Value len) {
  Value zero = kb.index(0);
  bool betaPerHead = cast<MemRefType>(beta.getType()).getDimSize(1) != 1;
  // A_ts = k_t · k_s e^{G_t − G_s} for s < t, and v_t − e^{G_t} k_tᵀ S,
  // both as register tiles...
  emitPairWeightsBlocked(keyRows, len, keyPairs, /*strict=*/true);
  int64_t parts = slice / lanes;
  auto fromValues = [&](Value t0, int64_t count, Value col,
                        ArrayRef<Value> accs) {
    SmallVector<Value> rest;
    for (int64_t u = 0; u < count; ++u)
      for (int64_t j = 0; j < parts; ++j)
        rest.push_back(
            kb.subf(kb.loadRowAt(valueRows, kb.add(t0, kb.index(u)),
                                 kb.add(col, kb.index(j * lanes)), lanes),
                    accs[u * parts + j]));
    return rest;
  };
  emitCarriedStateBlocked(keyRows, len, pseudoValues, {nullptr, fromValues});
  // ...then u_t = β_t (r_t − Σ_{s<t} A_ts u_s) by forward substitution, a
  // whole row of Dv in registers across the earlier steps.
  kb.loop(zero, len, [&](Value t) {
    Value r = kb.loop(zero, t, kb.index(1), kb.loadRow(pseudoValues, t, dv),
                      [&](Value s, ValueRange it) {
                        Value a =
                            kb.subf(kb.f32(0.0f), kb.load(keyPairs, {t, s}));
                        return SmallVector<Value>{
                            kb.axpy(a, kb.loadRow(pseudoValues, s, dv), it[0])};
                      })[0];
    Value bt = kb.load(beta, {bi, betaPerHead ? kvh : zero, kb.add(c0, t)});
    kb.storeRow(kb.mulf(r, kb.splat(bt, dv)), pseudoValues, t);
  });
}

void ChunkedLinearAttention::emitStateUpdateBlocked(Value len) {
  Value zero = kb.index(0), one = kb.index(1);
  int64_t parts = slice / lanes;
  // S ← e^{G_L} S + Σ_s (k_s e^{G_L − G_s}) u_sᵀ, kRowBlock rows of S by a
  // slice of Dv in registers across the chunk's steps.
  Value decayAll;
  if (decay)
    decayAll = kb.splat(kb.exp(kb.load(cumDecay, kb.sub(len, one))), lanes);
  // The slice outermost: its values stay in L1 for every block of rows.
  int64_t rowBlocks = (dk + kRowBlock - 1) / kRowBlock;
  kb.loop(zero, kb.index(dv), kb.index(slice), [&](Value col) {
    forRowBlocks(kb.index(dk), [&](Value d0, int64_t rows) {
      Value iteration = kb.add(kb.mul(kb.divConst(col, slice), rowBlocks),
                               kb.divConst(d0, kRowBlock));
      prefetchNextChunk(k, {bi, kvh}, iteration, (dv / slice) * rowBlocks);
      prefetchNextChunk(v, {bi, kvh}, iteration, (dv / slice) * rowBlocks);
      SmallVector<Value> init;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < parts; ++j) {
          Value row = kb.loadRowAt(state, kb.add(d0, kb.index(i)),
                                   kb.add(col, kb.index(j * lanes)), lanes);
          init.push_back(decay ? kb.mulf(row, decayAll) : row);
        }
      SmallVector<Value> accs = kb.outerProducts(
          zero, len, init, rows, [&](Value s) { return valueSlice(s, col); },
          [&](Value s, int64_t i) {
            Value d = kb.add(d0, kb.index(i));
            return kb.load(decay ? keysDecayed : keyRows, {s, d});
          });
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < parts; ++j)
          kb.storeRowAt(accs[i * parts + j], state, kb.add(d0, kb.index(i)),
                        kb.add(col, kb.index(j * lanes)));
    });
  });
}

void ChunkedLinearAttention::emit(Value batchIdx, Value kvHead, Value stateHead,
                                  const Members &members) {
  bi = batchIdx;
  kvh = kvHead;
  Value zero = kb.index(0);
  state = kb.buffer({dk, dv});
  if (delta)
    rowScratch = kb.buffer({dk});
  if (!blockedForms) {
    blockQueries = kb.buffer({kRowBlock, dk});
    blockOutputs = kb.buffer({kRowBlock, dv});
  }
  Value initial = op.getInitialState();
  kb.loop(zero, kb.index(dk), [&](Value d) {
    Value row =
        initial ? kb.loadRow(initial, {bi, stateHead, d}, dv) : kb.zeros(dv);
    kb.storeRow(row, state, d);
  });
  if (decay)
    cumDecay = perDimDecay ? kb.buffer({chunk, dk}) : kb.buffer({chunk});
  if (delta)
    pseudoValues = kb.buffer({chunk, dv});
  keyRows = kb.buffer({chunk, dk});
  valueRows = kb.buffer({chunk, dv});
  queryRows = kb.buffer({chunk, dk});
  if (blockedForms) {
    // Lanes past a short last chunk are read and masked: finite, not the
    // stack's stale bytes.
    keysT = kb.buffer({dk, chunk});
    kb.loop(zero, kb.index(dk),
            [&](Value d) { kb.storeRow(kb.zeros(chunk), keysT, d); });
    if (decay) {
      kb.storeRow(kb.zeros(chunk), cumDecay, ValueRange{});
      keysDecayed = kb.buffer({chunk, dk});
      decayUp = kb.buffer({chunk});
      keyWeights = kb.buffer({chunk});
    }
    pairs = kb.buffer({chunk, chunk});
    if (delta)
      keyPairs = kb.buffer({chunk, chunk});
    chunkOutputs = kb.buffer({chunk, dv});
  }

  Value keyLen = kb.dim(k, 2);
  kb.loop(zero, keyLen, kb.index(chunk), [&](Value start) {
    c0 = start;
    Value len = kb.min(kb.sub(keyLen, start), chunk);
    stageRows(k, {bi, kvh}, keyRows, len);
    stageRows(v, {bi, kvh}, valueRows, len);
    if (decay)
      emitCumulativeDecay(len);
    if (blockedForms)
      emitChunkKeys(len);
    if (delta && blockedForms)
      emitPseudoValuesBlocked(len);
    else if (delta)
      emitPseudoValues(len);
    // Every member reads the chunk's state before it moves on.
    kb.loop(zero, members.count, [&](Value m) {
      h = members.head(m);
      outSlot = members.slot(m);
      stageRows(q, {bi, h}, queryRows, len);
      if (blockedForms)
        emitOutputsBlocked(len);
      else
        emitOutputs(len);
    });
    if (blockedForms)
      emitStateUpdateBlocked(len);
    else
      emitStateUpdate(len);
  });
  if (Value final = op.getFinalStateInit())
    kb.loop(zero, kb.index(dk), [&](Value d) {
      kb.storeRow(kb.loadRow(state, d, dv), final, {bi, stateHead, d});
    });
}

void hydra::tileLinearAttention(RewriterBase &rewriter, LinearAttentionOp op,
                                const AttentionTiling &tiling) {
  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  Value q = op.getQuery();
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  ChunkedLinearAttention body(kb, op, tiling.chunkSize);
  // The listed heads grouped by kv head: the query heads of a kv head
  // share its state, so one iteration carries it for all of them (and
  // stores the final state once).
  KvHeadGroups groups = KvHeadGroups::of(op);
  SmallVector<int64_t> kvHeads = groups.kvHeads, counts = groups.counts;
  int64_t maxMembers = groups.width;
  // Flat [group][member] tables of query heads and output slots, and each
  // group's state.
  SmallVector<int64_t> memberHead, memberSlot, stateHeads;
  for (int64_t n : groups.listed) {
    memberHead.push_back(heads[n]);
    memberSlot.push_back(writesAll ? heads[n] : n);
  }
  for (size_t g = 0; g < kvHeads.size(); ++g)
    stateHeads.push_back(op.getStateHead(groups.listed[g * maxMembers]));
  int64_t dk = cast<MemRefType>(q.getType()).getDimSize(3);
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  bool delta = op.getBeta() != nullptr;
  // Per step: the carried-state output and the state update (2·Dk·Dv
  // each), the intra-chunk pairs (about C/2 of them, Dk + Dv each, twice
  // for the delta rules' substitution).
  double chunk = double(tiling.chunkSize);
  double flopsPerStep = 4.0 * dk * dv + chunk * (dk + dv) +
                        (delta ? 2.0 * dk * dv + chunk * (dk + dv) : 0.0);
  kb.forall("linear_attention",
            {kb.dim(q, 0), kb.index(int64_t(kvHeads.size()))},
            [&](ValueRange ivs) {
              emitLinearAttentionWork(kb, op, flopsPerStep);
              Value gi = ivs[1];
              Value kvh = kb.extract(kb.indexTable(kvHeads), gi);
              Value heads = kb.indexTable(memberHead),
                    slots = kb.indexTable(memberSlot);
              Value first = kb.mul(gi, maxMembers);
              // Named: a function_ref does not keep a temporary alive.
              auto headOf = [&](Value m) {
                return kb.extract(heads, kb.add(first, m));
              };
              auto slotOf = [&](Value m) {
                return kb.extract(slots, kb.add(first, m));
              };
              ChunkedLinearAttention::Members members{
                  kb.extract(kb.indexTable(counts), gi), headOf, slotOf};
              body.emit(ivs[0], kvh,
                        stateHeads == kvHeads
                            ? kvh
                            : kb.extract(kb.indexTable(stateHeads), gi),
                        members);
            });
  rewriter.eraseOp(op);
}

//===- TileFullAttention.cpp - online-softmax tiling of full attention ----===//
//
// Three grids, of which the sizes of a call run one or two:
//
// Prefill: one scf.forall iteration per (batch, head, query tile). Each
// walks the key/value tiles once, keeping per query row a running max m,
// a running sum l and an accumulator o that is rescaled by
// exp(m_old − m_new) whenever the max grows (online softmax). With a
// causal mask the walk stops at the tile's last diagonal, so tiles that
// would be fully masked are never visited. A tile of at least 16 query
// rows keeps its queries in vector lanes: Q's tile is transposed (and
// scaled) once into [Dk][rows], so that the scores of a few keys are a
// register-tiled product (one broadcast K element a key times a row of
// queries per step), the softmax runs down the columns of the transposed
// scores (running max and sum are vectors, no horizontal reductions) and
// the accumulator, also transposed, takes P·V the same way. A tile of
// fewer rows goes row by row (FullAttentionRows).
//
// Decode (at most kDecodeRows rows a kv head: S times its query heads):
// one iteration per (batch, kv head, key split). The rows of every query
// head of the kv head walk the split's keys together, so the cache is
// read once for the group (GQA), and a long cache is split across
// threads: a lone query row has no other parallelism. Splits of
// kSplitKeys keys or more, at most kMaxSplits.
//
// Combine (decode with several splits): one iteration per (batch, head,
// query row) merges the splits' partial maxima, sums and outputs.
//
// The choice is made per call from the sizes: the grids of the other
// forms are empty, and the partials' scratch is empty unless the sizes
// split.
//
//===----------------------------------------------------------------------===//

#include "Cpu/FullAttentionRows.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <tuple>

using namespace mlir;
using namespace mlir::hydra;

/// f32 lanes of a vector register: the lane form's query rows per group.
static constexpr int64_t kLanes = 16;
/// Rows a decode iteration takes at most (query heads of a kv head times
/// query rows); more go to the prefill grid.
static constexpr int64_t kDecodeRows = 16;
/// Keys a decode split takes at least, and splits at most.
static constexpr int64_t kSplitKeys = 1024;
static constexpr int64_t kMaxSplits = 32;

/// 1 when x ≤ bound, else 0 (x ≥ 0): a size-only switch between grids.
static Value atMost(KernelBuilder &kb, Value x, int64_t bound) {
  return kb.sub(kb.index(1), kb.min(kb.divConst(x, bound + 1), 1));
}

/// The prefill grid: one iteration per (batch, head, query tile).
static void emitPrefill(KernelBuilder &kb, FullAttentionOp op,
                        const AttentionTiling &tiling, Value numTiles) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value q = op.getQuery(), k = op.getKey();
  Value out = op.getInit(), mask = op.getMask(), gamma = op.getFusionScale();
  int64_t dk = cast<MemRefType>(q.getType()).getDimSize(3);
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  int64_t mt = tiling.queryTile, nt = tiling.keyTile;
  FullAttentionAttrs attrs(op);
  ArrayRef<int64_t> heads = attrs.heads;
  bool writesAll = attrs.writesAll, causal = attrs.causal;
  float scale = attrs.scale, epsilon = attrs.epsilon;
  std::optional<float> softcap = attrs.softcap;
  Value v = op.getValue();
  Value queryLen = kb.dim(q, 2), keyLen = kb.dim(k, 2);
  Value c0 = kb.index(0), c1 = kb.index(1);

  kb.forall(
      "full_attention", {kb.dim(q, 0), kb.index(heads.size()), numTiles},
      [&](ValueRange ivs) {
        emitFullAttentionWork(kb, op, mt);
        Value bi = ivs[0], n = ivs[1];
        Value h = emitHeadIndex(kb, heads, n);
        Value kvh = emitKvHeadIndex(kb, op, n, h);
        Value slot = writesAll ? h : n;
        Value i0 = kb.mul(ivs[2], mt);
        Value rows = kb.min(kb.sub(queryLen, i0), mt);
        // Query row i's causal diagonal is key i + shift.
        Value shift = emitCausalShift(kb, op, queryLen, keyLen);
        Value diag0 = addShift(kb, i0, shift);
        // Causal: keys past the tile's last diagonal are masked for every row
        // of the tile, so the key loop ends there.
        Value keyEnd = causal ? kb.min(keyLen, kb.add(diag0, rows)) : keyLen;

        // Scratch of both forms, allocated here at the iteration's scope (a
        // buffer made inside a branch would be a fresh alloca every iteration).
        FullAttentionRows rowScratch(kb, op, mt, nt,
                                     FullAttentionRows::Scores::transposed);
        Value qT = kb.buffer({dk, mt});
        Value accT = kb.buffer({dv, mt});
        Value probsT = kb.buffer({nt, mt});
        Value maxRow = kb.buffer({mt}), sumRow = kb.buffer({mt});
        Value outRow = kb.buffer({dv});
        // Row by row (fewer than kLanes rows).
        auto rowForm = [&] {
          rowScratch.run(
              bi, kvh, rows,
              [&](Value r) { return std::make_pair(h, kb.add(i0, r)); }, c0,
              keyEnd, shift);
          kb.loop(c0, rows, [&](Value r) {
            Value o = kb.divf(rowScratch.rowOutput(r),
                              kb.splat(rowScratch.rowSum(r), dv));
            emitEpilogueStore(kb, o, out, {bi, slot, kb.add(i0, r)}, gamma, h,
                              epsilon);
          });
        };
        // Queries in lanes (kLanes rows or more; see the file comment).
        auto laneForm = [&] {
          int64_t groups = mt / kLanes;
          // Keys (and V columns) per register tile: groups × perTile
          // accumulators, 16 with the default 64-row tile.
          int64_t perTile = std::max<int64_t>(1, kLanes / groups);
          auto at = [&](int64_t g) { return kb.index(g * kLanes); };
          // Row `row` of a [*, query-tile] buffer as its groups of lanes.
          auto laneGroups = [&](Value buffer, Value row) {
            SmallVector<Value> parts;
            for (int64_t g = 0; g < groups; ++g)
              parts.push_back(kb.loadRowAt(buffer, row, at(g), kLanes));
            return parts;
          };
          // Q's tile transposed and scaled; lanes past the last row stay zero
          // (finite scores, never stored).
          kb.loop(c0, kb.index(dk),
                  [&](Value d) { kb.storeRow(kb.zeros(mt), qT, d); });
          Value scaleF = kb.f32(scale);
          kb.loop(c0, rows, [&](Value r) {
            kb.loop(c0, kb.index(dk), [&](Value d) {
              kb.store(kb.mulf(kb.load(q, {bi, h, kb.add(i0, r), d}), scaleF),
                       qT, {d, r});
            });
          });
          kb.loop(c0, kb.index(dv),
                  [&](Value e) { kb.storeRow(kb.zeros(mt), accT, e); });
          kb.storeRow(kb.splat(kb.negInf(), mt), maxRow, ValueRange{});
          kb.storeRow(kb.zeros(mt), sumRow, ValueRange{});
          // Lane u of group g is query row i0 + 16 g + u, whose diagonal is
          // key diag0 + 16 g + u.
          auto laneIdType = VectorType::get({kLanes}, b.getIndexType());
          SmallVector<Value> queryIds;
          for (int64_t g = 0; g < groups; ++g)
            queryIds.push_back(kb.lanesFrom(kb.add(diag0, at(g)), kLanes));
          Value negInfLanes = kb.splat(kb.negInf(), kLanes);
          Value zeroLanes = kb.zeros(kLanes);

          Value keyEnd = causal ? kb.min(keyLen, kb.add(diag0, rows)) : keyLen;
          kb.loop(c0, keyEnd, kb.index(nt), [&](Value j0) {
            Value cols = kb.min(kb.sub(keyEnd, j0), nt);
            // Scores of keys c0 .. c0 + count into probsT[c][:], one broadcast
            // element of each key a step.
            auto scoreKeys = [&](Value first, int64_t count) {
              SmallVector<Value> accs = kb.outerProducts(
                  c0, kb.index(dk),
                  SmallVector<Value>(count * groups, zeroLanes), count,
                  [&](Value d) { return laneGroups(qT, d); },
                  [&](Value d, int64_t t) {
                    return kb.load(
                        k,
                        {bi, kvh, kb.add(j0, kb.add(first, kb.index(t))), d});
                  });
              for (int64_t t = 0; t < count; ++t)
                for (int64_t g = 0; g < groups; ++g)
                  kb.storeRowAt(accs[t * groups + g], probsT,
                                kb.add(first, kb.index(t)), at(g));
            };
            Value tiled = kb.sub(cols, kb.remConst(cols, perTile));
            kb.loop(c0, tiled, kb.index(perTile),
                    [&](Value c) { scoreKeys(c, perTile); });
            kb.loop(tiled, cols, [&](Value c) { scoreKeys(c, 1); });

            // Soft cap, causal and explicit masks, and the running max, down
            // the columns.
            SmallVector<Value> oldMax;
            for (int64_t g = 0; g < groups; ++g)
              oldMax.push_back(
                  kb.loadRowAt(maxRow, ValueRange{}, at(g), kLanes));
            SmallVector<Value> newMax =
                kb.loop(c0, cols, c1, oldMax, [&](Value c, ValueRange it) {
                  Value key = kb.add(j0, c);
                  Value keyLanes =
                      vector::BroadcastOp::create(b, loc, laneIdType, key);
                  SmallVector<Value> next;
                  for (int64_t g = 0; g < groups; ++g) {
                    Value sg = kb.loadRowAt(probsT, c, at(g), kLanes);
                    if (softcap)
                      sg = emitSoftcap(kb, sg, *softcap);
                    if (causal) {
                      Value future = arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::ult, queryIds[g],
                          keyLanes);
                      sg = kb.select(future, negInfLanes, sg);
                    }
                    if (mask || softcap || causal)
                      kb.storeRowAt(sg, probsT, c, at(g));
                    next.push_back(sg);
                  }
                  if (mask) {
                    // Mask layouts vary (broadcast dims, i1 or float): applied
                    // element by element, then the row read back.
                    kb.loop(c0, rows, [&](Value r) {
                      Value sc = kb.load(probsT, {c, r});
                      kb.store(emitMaskedScore(kb, mask, sc,
                                               {bi, h, kb.add(i0, r), key}),
                               probsT, {c, r});
                    });
                    for (int64_t g = 0; g < groups; ++g)
                      next[g] = kb.loadRowAt(probsT, c, at(g), kLanes);
                  }
                  for (int64_t g = 0; g < groups; ++g)
                    next[g] = kb.maxf(it[g], next[g]);
                  return next;
                });
            SmallVector<Value> safeMax(groups), alpha(groups);
            for (int64_t g = 0; g < groups; ++g) {
              std::tie(safeMax[g], alpha[g]) =
                  emitOnlineRescale(kb, oldMax[g], newMax[g]);
              kb.storeRowAt(newMax[g], maxRow, ValueRange{}, at(g));
            }
            // Probabilities in place, and their sums.
            SmallVector<Value> sums = kb.loop(
                c0, cols, c1, SmallVector<Value>(groups, zeroLanes),
                [&](Value c, ValueRange it) {
                  SmallVector<Value> next;
                  for (int64_t g = 0; g < groups; ++g) {
                    Value pg = kb.exp(kb.subf(
                        kb.loadRowAt(probsT, c, at(g), kLanes), safeMax[g]));
                    kb.storeRowAt(pg, probsT, c, at(g));
                    next.push_back(kb.addf(it[g], pg));
                  }
                  return next;
                });
            for (int64_t g = 0; g < groups; ++g) {
              Value old = kb.loadRowAt(sumRow, ValueRange{}, at(g), kLanes);
              kb.storeRowAt(kb.addf(kb.mulf(old, alpha[g]), sums[g]), sumRow,
                            ValueRange{}, at(g));
            }
            // accT[e][:] <- alpha · accT[e][:] + Σ_c V[c][e] · P[c][:], a few
            // columns e of V at a time in registers across the tile's keys.
            auto accumulate = [&](Value first, int64_t count) {
              SmallVector<Value> init;
              for (int64_t t = 0; t < count; ++t)
                for (int64_t g = 0; g < groups; ++g)
                  init.push_back(
                      kb.mulf(kb.loadRowAt(accT, kb.add(first, kb.index(t)),
                                           at(g), kLanes),
                              alpha[g]));
              SmallVector<Value> accs = kb.outerProducts(
                  c0, cols, init, count,
                  [&](Value c) { return laneGroups(probsT, c); },
                  [&](Value c, int64_t t) {
                    return kb.load(v, {bi, kvh, kb.add(j0, c),
                                       kb.add(first, kb.index(t))});
                  });
              for (int64_t t = 0; t < count; ++t)
                for (int64_t g = 0; g < groups; ++g)
                  kb.storeRowAt(accs[t * groups + g], accT,
                                kb.add(first, kb.index(t)), at(g));
            };
            int64_t tiledDv = dv - dv % perTile;
            kb.loop(c0, kb.index(tiledDv), kb.index(perTile),
                    [&](Value e) { accumulate(e, perTile); });
            kb.loop(kb.index(tiledDv), kb.index(dv),
                    [&](Value e) { accumulate(e, 1); });
          });

          // Each row's output back out of the lanes, normalized, through the
          // shared epilogue.
          kb.loop(c0, rows, [&](Value r) {
            kb.loop(c0, kb.index(dv), [&](Value e) {
              kb.store(kb.load(accT, {e, r}), outRow, e);
            });
            Value o = kb.divf(kb.loadRow(outRow, ValueRange{}, dv),
                              kb.splat(kb.load(sumRow, r), dv));
            emitEpilogueStore(kb, o, out, {bi, slot, kb.add(i0, r)}, gamma, h,
                              epsilon);
          });
        };

        if (mt % kLanes != 0) {
          rowForm();
          return;
        }
        Value wide = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                           rows, kb.index(kLanes));
        kb.ifThen(wide, laneForm, rowForm);
      });
}

/// The decode grid: one iteration per (batch, kv head, key split), all the
/// kv head's query rows together. With one split the rows are finished
/// here; with more, each split leaves its rows' max, sum and unnormalized
/// output in `partials` ([B, #heads, S, splits, Dv + 2]).
static void emitDecode(KernelBuilder &kb, FullAttentionOp op,
                       const AttentionTiling &tiling,
                       const KvHeadGroups &groups, Value numSplits,
                       Value splitGrid, Value partials) {
  Value q = op.getQuery(), k = op.getKey(), out = op.getInit();
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  FullAttentionAttrs attrs(op);
  Value queryLen = kb.dim(q, 2), keyLen = kb.dim(k, 2);
  Value c0 = kb.index(0);
  kb.forall(
      "full_attention_split",
      {kb.dim(q, 0), kb.index(groups.kvHeads.size()), splitGrid},
      [&](ValueRange ivs) {
        emitFullAttentionWork(kb, op, kDecodeRows);
        Value bi = ivs[0], g = ivs[1], split = ivs[2];
        Value kvh = kb.extract(kb.indexTable(groups.kvHeads), g);
        Value count = kb.extract(kb.indexTable(groups.counts), g);
        Value listed = kb.indexTable(groups.listed);
        Value first = kb.mul(g, groups.width);
        // Row r is query row r mod S of the group's (r div S)-th head.
        auto listedOf = [&](Value r) {
          return kb.extract(listed, kb.add(first, kb.divUnsigned(r, queryLen)));
        };
        auto rowAt = [&](Value r) {
          Value h = emitHeadIndex(kb, attrs.heads, listedOf(r));
          return std::make_pair(h, kb.remUnsigned(r, queryLen));
        };
        Value shift = emitCausalShift(kb, op, queryLen, keyLen);
        // This split's keys, ending at the last row's diagonal if causal.
        Value perSplit = kb.ceilDiv(keyLen, numSplits);
        Value begin = kb.min(kb.mulDynamic(split, perSplit), keyLen);
        Value end = kb.min(kb.add(begin, perSplit), keyLen);
        if (attrs.causal)
          end = kb.min(end, addShift(kb, queryLen, shift));
        FullAttentionRows rows(kb, op, kDecodeRows, tiling.keyTile,
                               FullAttentionRows::Scores::dots);
        Value numRows = kb.mulDynamic(count, queryLen);
        rows.run(bi, kvh, numRows, rowAt, begin, end, shift);
        Value single = arith::CmpIOp::create(kb.builder(), kb.getLoc(),
                                             arith::CmpIPredicate::eq,
                                             numSplits, kb.index(1));
        kb.loop(c0, numRows, [&](Value r) {
          Value n = listedOf(r);
          Value h, i; // not a structured binding: the lambdas capture them
          std::tie(h, i) = rowAt(r);
          kb.ifThen(
              single,
              [&] {
                Value o =
                    kb.divf(rows.rowOutput(r), kb.splat(rows.rowSum(r), dv));
                emitEpilogueStore(kb, o, out, {bi, attrs.writesAll ? h : n, i},
                                  op.getFusionScale(), h, attrs.epsilon);
              },
              [&] {
                kb.storeRow(rows.rowOutput(r), partials, {bi, n, i, split});
                kb.store(rows.rowMax(r), partials,
                         {bi, n, i, split, kb.index(dv)});
                kb.store(rows.rowSum(r), partials,
                         {bi, n, i, split, kb.index(dv + 1)});
              });
        });
      });
}

/// The combine grid: each (batch, head, query row) of a split decode
/// merges its splits: m = max m_s, l = Σ l_s e^{m_s − m}, o = Σ o_s
/// e^{m_s − m} / l, then the epilogue.
static void emitCombine(KernelBuilder &kb, FullAttentionOp op, Value numSplits,
                        Value rowGrid, Value partials) {
  Value q = op.getQuery(), out = op.getInit();
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  FullAttentionAttrs attrs(op);
  Value c0 = kb.index(0), c1 = kb.index(1);
  kb.forall(
      "full_attention_combine",
      {kb.dim(q, 0), kb.index(attrs.heads.size()), rowGrid},
      [&](ValueRange ivs) {
        emitCombineWork(kb, op, partials);
        Value bi = ivs[0], n = ivs[1], i = ivs[2];
        Value h = emitHeadIndex(kb, attrs.heads, n);
        Value m = kb.loop(
            c0, numSplits, c1, {kb.negInf()}, [&](Value s, ValueRange it) {
              return SmallVector<Value>{kb.maxf(
                  it[0], kb.load(partials, {bi, n, i, s, kb.index(dv)}))};
            })[0];
        // A row with every key masked keeps max −inf (and NaN, as
        // the unsplit form gives).
        Value safe = emitOnlineRescale(kb, m, m).first;
        SmallVector<Value> sums = kb.loop(
            c0, numSplits, c1, {kb.f32(0.0f), kb.zeros(dv)},
            [&](Value s, ValueRange it) {
              Value w = kb.exp(kb.subf(
                  kb.load(partials, {bi, n, i, s, kb.index(dv)}), safe));
              Value l = kb.load(partials, {bi, n, i, s, kb.index(dv + 1)});
              return SmallVector<Value>{
                  kb.addf(it[0], kb.mulf(w, l)),
                  kb.axpy(w, kb.loadRow(partials, {bi, n, i, s}, dv), it[1])};
            });
        Value o = kb.divf(sums[1], kb.splat(sums[0], dv));
        emitEpilogueStore(kb, o, out, {bi, attrs.writesAll ? h : n, i},
                          op.getFusionScale(), h, attrs.epsilon);
      });
}

void hydra::tileFullAttention(RewriterBase &rewriter, FullAttentionOp op,
                              const AttentionTiling &tiling) {
  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  Value q = op.getQuery(), k = op.getKey();
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  KvHeadGroups groups = KvHeadGroups::of(op);
  Value batch = kb.dim(q, 0), queryLen = kb.dim(q, 2), keyLen = kb.dim(k, 2);
  // Decode when a kv head's rows fit one iteration: S · width ≤ kDecodeRows.
  Value decode = atMost(kb, queryLen, kDecodeRows / groups.width);
  Value prefill = kb.sub(kb.index(1), decode);
  Value splits = kb.max(kb.min(kb.ceilDivConst(keyLen, kSplitKeys), kMaxSplits),
                        kb.index(1));
  // 1 unless decoding: 1 + decode · (splits − 1).
  Value numSplits =
      kb.add(kb.index(1), kb.mulDynamic(decode, kb.sub(splits, kb.index(1))));
  Value split = kb.sub(kb.index(1), atMost(kb, numSplits, 1));
  // The partials exist only for a split decode: S' = S · split rows.
  Value splitRows = kb.mulDynamic(queryLen, split);
  Value partials = memref::AllocOp::create(
      kb.builder(), kb.getLoc(),
      MemRefType::get({ShapedType::kDynamic, int64_t(op.getHeads().size()),
                       ShapedType::kDynamic, ShapedType::kDynamic, dv + 2},
                      kb.builder().getF32Type()),
      ValueRange{batch, splitRows, numSplits});

  emitPrefill(
      kb, op, tiling,
      kb.mulDynamic(kb.ceilDivConst(queryLen, tiling.queryTile), prefill));
  emitDecode(kb, op, tiling, groups, numSplits,
             kb.mulDynamic(numSplits, decode), partials);
  emitCombine(kb, op, numSplits, splitRows, partials);
  rewriter.eraseOp(op);
}

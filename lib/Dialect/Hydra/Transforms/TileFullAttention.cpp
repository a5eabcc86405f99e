//===- TileFullAttention.cpp - online-softmax tiling of full attention ----===//
//
// One scf.forall iteration per (batch, head, query tile). Each walks the
// key/value tiles once, keeping per query row a running max m, a running
// sum l and an accumulator o that is rescaled by exp(m_old − m_new)
// whenever the max grows (online softmax). With a causal mask the walk
// stops at the diagonal tile, so tiles that would be fully masked are
// never visited.
//
// A tile of at least 16 query rows keeps its queries in vector lanes: Q's
// tile is transposed (and scaled) once into [Dk][rows], so that the scores
// of a few keys are a register-tiled product (one broadcast K element a key
// times a row of queries per step), the softmax runs down the columns of
// the transposed scores (running max and sum are vectors, no horizontal
// reductions) and the accumulator, also transposed, takes P·V the same way.
// Nothing is transposed per key tile, and every inner loop is FMAs.
//
// A tile of fewer rows (a decode step, a short prompt's last rows) goes
// row by row: a block of rows shares a transposed key tile, a lone row
// takes one dot product a key.
//
//===----------------------------------------------------------------------===//

#include "AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

/// Query rows that share each load of keys and values (row form).
static constexpr int64_t kRowBlock = 4;
/// f32 lanes of a vector register: the lane form's query rows per group.
static constexpr int64_t kLanes = 16;

/// `scalar`, broadcast when `like` is a vector.
static Value splatLike(KernelBuilder &kb, Value scalar, Value like) {
  if (auto type = dyn_cast<VectorType>(like.getType()))
    return kb.splat(scalar, type.getNumElements());
  return scalar;
}

/// cap · tanh(s / cap), elementwise.
static Value softcapped(KernelBuilder &kb, Value s, float cap) {
  Value t =
      math::TanhOp::create(kb.builder(), kb.getLoc(),
                           kb.mulf(s, splatLike(kb, kb.f32(1.0f / cap), s)));
  return kb.mulf(t, splatLike(kb, kb.f32(cap), s));
}

/// The online softmax's step from running max `oldMax` to `newMax`
/// (scalars or vectors of rows): the max to subtract from the scores and
/// the factor α = exp(m_old − m_new) that rescales the sum and the
/// accumulator. A row with every key masked so far keeps max −inf;
/// subtracting 0 instead keeps exp() at 0 rather than NaN.
static std::pair<Value, Value> onlineRescale(KernelBuilder &kb, Value oldMax,
                                             Value newMax) {
  Value negInf = splatLike(kb, kb.negInf(), newMax);
  Value empty = arith::CmpFOp::create(
      kb.builder(), kb.getLoc(), arith::CmpFPredicate::OEQ, newMax, negInf);
  Value safeMax = kb.select(empty, splatLike(kb, kb.f32(0.0f), newMax), newMax);
  return {safeMax, kb.exp(kb.subf(oldMax, safeMax))};
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
  int64_t dk = qType.getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  int64_t mt = tiling.queryTile, nt = tiling.keyTile;
  FullAttentionAttrs attrs(op);
  ArrayRef<int64_t> heads = attrs.heads;
  bool writesAll = attrs.writesAll, causal = attrs.causal;
  float scale = attrs.scale, epsilon = attrs.epsilon;
  std::optional<float> softcap = attrs.softcap;

  Value batch = kb.dim(q, 0), queryLen = kb.dim(q, 2), keyLen = kb.dim(k, 2);
  Value numQueryTiles = kb.ceilDivConst(queryLen, mt);
  Value c0 = kb.index(0), c1 = kb.index(1);
  // The widest slice of Dv, at most 32 lanes, that divides it.
  int64_t dvSlice = dv;
  for (int64_t w : {32, 16, 8})
    if (dv > w && dv % w == 0) {
      dvSlice = w;
      break;
    }
  // Lane c of a score row is key j0 + c.
  auto laneType = VectorType::get({nt}, b.getIndexType());

  kb.forall({batch, kb.index(heads.size()), numQueryTiles}, [&](ValueRange
                                                                    ivs) {
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

    // Scratch of both forms, allocated here at the iteration's scope (a
    // buffer made inside a branch would be a fresh alloca every iteration).
    // Row form:
    Value acc = kb.buffer({mt, dv});
    Value rowMax = kb.buffer({mt});
    Value rowSum = kb.buffer({mt});
    Value scores = mask ? kb.buffer({nt}) : Value(); // for the mask pass
    Value keysT = kb.buffer({dk, nt});
    // Scores of a row computed alone, one dot product a key.
    Value dots = kb.buffer({nt});
    // The block's probabilities, read back one broadcast lane at a time.
    Value probs = kb.buffer({kRowBlock, nt});
    // Lane form:
    Value qT = kb.buffer({dk, mt});
    Value accT = kb.buffer({dv, mt});
    Value probsT = kb.buffer({nt, mt});
    Value maxRow = kb.buffer({mt}), sumRow = kb.buffer({mt});
    Value outRow = kb.buffer({dv});
    // Row by row (fewer than kLanes rows).
    auto rowForm = [&] {
      // Lanes past the last key are computed and then masked: zero, not the
      // stack's stale bytes, whose denormals would cost a microcode assist
      // an FMA (a 5-token prompt's attention took 27 µs instead of 1).
      kb.loop(c0, kb.index(dk),
              [&](Value d) { kb.storeRow(kb.zeros(nt), keysT, d); });
      kb.storeRow(kb.zeros(nt), dots, ValueRange{});
      kb.loop(c0, rows, [&](Value r) {
        kb.store(kb.negInf(), rowMax, r);
        kb.store(kb.f32(0.0f), rowSum, r);
        kb.storeRow(kb.zeros(dv), acc, r);
      });
      Value negInfRow = kb.splat(kb.negInf(), nt);

      // Causal: keys past the tile's last query row are masked for every row
      // of the tile, so the key loop ends there.
      Value keyEnd = causal ? kb.min(keyLen, kb.add(diag0, rows)) : keyLen;
      kb.loop(c0, keyEnd, kb.index(nt), [&](Value j0) {
        Value cols = kb.min(kb.sub(keyEnd, j0), nt);
        // The key tile transposed; lanes past `cols` hold zeros or earlier
        // keys and are masked below.
        // Element by element from memory: extracting lanes of a loaded row at
        // a variable position would spill the whole row for every lane.
        // Only blocks of rows use it: a tile of fewer rows (a decode step's
        // one query) takes a dot product a key instead, 1/dk of the work.
        Value blocked = kb.sub(rows, kb.remConst(rows, kRowBlock));
        Value anyBlock = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ugt, blocked, c0);
        kb.ifThen(anyBlock, [&] {
          kb.loop(c0, cols, [&](Value c) {
            Value key = kb.add(j0, c);
            kb.loop(c0, kb.index(dk), [&](Value d) {
              kb.store(kb.load(k, {bi, kvh, key, d}), keysT, {d, c});
            });
          });
        });
        Value keyIds = kb.lanesFrom(j0, nt);
        Value pastEnd = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::uge, keyIds,
            vector::BroadcastOp::create(b, loc, laneType, kb.add(j0, cols)));
        // Query rows go in blocks of kRowBlock sharing each load of the
        // transposed keys and of V; the last rows one at a time.
        auto rowBlock = [&](Value r0, int64_t numRows) {
          SmallVector<Value> r(numRows), i(numRows);
          for (int64_t u = 0; u < numRows; ++u) {
            r[u] = kb.add(r0, kb.index(u));
            i[u] = kb.add(i0, r[u]);
          }
          // Scores: for each d, one row of transposed keys times each query
          // row's element d, broadcast from memory; a single row takes one
          // dot product a key from the keys as they are.
          SmallVector<Value> s;
          if (numRows == 1) {
            Value query = kb.loadRow(q, {bi, h, i[0]}, dk);
            kb.loop(c0, cols, [&](Value c) {
              Value key = kb.loadRow(k, {bi, kvh, kb.add(j0, c)}, dk);
              kb.store(kb.dot(query, key), dots, c);
            });
            // Lanes past `cols` are stale and masked below.
            s.push_back(kb.loadRow(dots, ValueRange{}, nt));
          } else {
            SmallVector<Value> zeros(numRows, kb.zeros(nt));
            s = kb.loop(c0, kb.index(dk), c1, zeros,
                        [&](Value d, ValueRange it) {
                          Value keys = kb.loadRow(keysT, d, nt);
                          SmallVector<Value> next;
                          for (int64_t u = 0; u < numRows; ++u)
                            next.push_back(kb.axpy(kb.load(q, {bi, h, i[u], d}),
                                                   keys, it[u]));
                          return next;
                        });
          }
          SmallVector<Value> p(numRows), alpha(numRows);
          for (int64_t u = 0; u < numRows; ++u) {
            Value su = kb.mulf(s[u], kb.splat(kb.f32(scale), nt));
            if (softcap)
              su = softcapped(kb, su, *softcap);
            Value dropped = pastEnd;
            if (causal) {
              Value future = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::ugt, keyIds,
                  vector::BroadcastOp::create(b, loc, laneType,
                                              addShift(kb, i[u], shift)));
              dropped = arith::OrIOp::create(b, loc, dropped, future);
            }
            su = kb.select(dropped, negInfRow, su);
            if (mask) {
              // Mask layouts vary (broadcast dims, i1 or float): apply it key
              // by key through the score buffer.
              kb.storeRow(su, scores, ValueRange{});
              kb.loop(c0, cols, [&](Value c) {
                Value sc = kb.load(scores, c);
                kb.store(
                    emitMaskedScore(kb, mask, sc, {bi, h, i[u], kb.add(j0, c)}),
                    scores, c);
              });
              su = kb.loadRow(scores, ValueRange{}, nt);
            }
            Value tileMax = vector::ReductionOp::create(
                b, loc, vector::CombiningKind::MAXIMUMF, su);
            Value oldMax = kb.load(rowMax, r[u]);
            Value newMax = kb.maxf(oldMax, tileMax);
            Value safeMax;
            std::tie(safeMax, alpha[u]) = onlineRescale(kb, oldMax, newMax);
            p[u] = kb.exp(kb.subf(su, kb.splat(safeMax, nt)));
            kb.store(
                kb.addf(kb.mulf(kb.load(rowSum, r[u]), alpha[u]), kb.sum(p[u])),
                rowSum, r[u]);
            kb.store(newMax, rowMax, r[u]);
            kb.storeRow(p[u], probs, kb.index(u));
          }
          // acc <- alpha * acc + P V, a slice of Dv at a time so the block's
          // accumulators stay in registers across the tile's keys.
          kb.loop(c0, kb.index(dv), kb.index(dvSlice), [&](Value col) {
            SmallVector<Value> accs;
            for (int64_t u = 0; u < numRows; ++u)
              accs.push_back(kb.mulf(kb.loadRowAt(acc, r[u], col, dvSlice),
                                     kb.splat(alpha[u], dvSlice)));
            accs = kb.loop(c0, cols, c1, accs, [&](Value c, ValueRange it) {
              Value vs =
                  kb.loadRowAt(v, {bi, kvh, kb.add(j0, c)}, col, dvSlice);
              SmallVector<Value> next;
              for (int64_t u = 0; u < numRows; ++u)
                next.push_back(
                    kb.axpy(kb.load(probs, {kb.index(u), c}), vs, it[u]));
              return next;
            });
            for (int64_t u = 0; u < numRows; ++u)
              kb.storeRowAt(accs[u], acc, r[u], col);
          });
        };
        kb.loop(c0, blocked, kb.index(kRowBlock),
                [&](Value r0) { rowBlock(r0, kRowBlock); });
        kb.loop(blocked, rows, [&](Value r0) { rowBlock(r0, 1); });
      });

      kb.loop(c0, rows, [&](Value r) {
        Value o =
            kb.divf(kb.loadRow(acc, r, dv), kb.splat(kb.load(rowSum, r), dv));
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
          kb.store(kb.mulf(kb.load(q, {bi, h, kb.add(i0, r), d}), scaleF), qT,
                   {d, r});
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
              c0, kb.index(dk), SmallVector<Value>(count * groups, zeroLanes),
              count, [&](Value d) { return laneGroups(qT, d); },
              [&](Value d, int64_t t) {
                return kb.load(
                    k, {bi, kvh, kb.add(j0, kb.add(first, kb.index(t))), d});
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
          oldMax.push_back(kb.loadRowAt(maxRow, ValueRange{}, at(g), kLanes));
        SmallVector<Value> newMax =
            kb.loop(c0, cols, c1, oldMax, [&](Value c, ValueRange it) {
              Value key = kb.add(j0, c);
              Value keyLanes =
                  vector::BroadcastOp::create(b, loc, laneIdType, key);
              SmallVector<Value> next;
              for (int64_t g = 0; g < groups; ++g) {
                Value sg = kb.loadRowAt(probsT, c, at(g), kLanes);
                if (softcap)
                  sg = softcapped(kb, sg, *softcap);
                if (causal) {
                  Value future = arith::CmpIOp::create(
                      b, loc, arith::CmpIPredicate::ult, queryIds[g], keyLanes);
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
              onlineRescale(kb, oldMax[g], newMax[g]);
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
              init.push_back(kb.mulf(
                  kb.loadRowAt(accT, kb.add(first, kb.index(t)), at(g), kLanes),
                  alpha[g]));
          SmallVector<Value> accs = kb.outerProducts(
              c0, cols, init, count,
              [&](Value c) { return laneGroups(probsT, c); },
              [&](Value c, int64_t t) {
                return kb.load(
                    v, {bi, kvh, kb.add(j0, c), kb.add(first, kb.index(t))});
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
        kb.loop(c0, kb.index(dv),
                [&](Value e) { kb.store(kb.load(accT, {e, r}), outRow, e); });
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
    Value wide = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rows,
                                       kb.index(kLanes));
    kb.ifThen(wide, laneForm, rowForm);
  });
  rewriter.eraseOp(op);
}

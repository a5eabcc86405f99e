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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

/// Query rows that share each load of keys and values.
static constexpr int64_t kRowBlock = 4;

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
  SmallVector<Attribute> lanes;
  for (int64_t c = 0; c < nt; ++c)
    lanes.push_back(b.getIndexAttr(c));

  kb.forall({batch, kb.index(heads.size()), numQueryTiles}, [&](ValueRange
                                                                    ivs) {
    emitFullAttentionWork(kb, op, mt);
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
    // Scores of a row computed alone, one dot product a key.
    Value dots = kb.buffer({nt});
    // The block's probabilities, read back one broadcast lane at a time.
    Value probs = kb.buffer({kRowBlock, nt});
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
    Value laneIds = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(laneType, lanes));
    Value negInfRow = kb.splat(kb.negInf(), nt);

    // Causal: keys past the tile's last query row are masked for every row
    // of the tile, so the key loop ends there.
    Value keyEnd = causal ? kb.min(keyLen, kb.add(i0, rows)) : keyLen;
    kb.loop(c0, keyEnd, kb.index(nt), [&](Value j0) {
      Value cols = kb.min(kb.sub(keyEnd, j0), nt);
      // The key tile transposed; lanes past `cols` hold zeros or earlier
      // keys and are masked below.
      // Element by element from memory: extracting lanes of a loaded row at
      // a variable position would spill the whole row for every lane.
      // Only blocks of rows use it: a tile of fewer rows (a decode step's
      // one query) takes a dot product a key instead, 1/dk of the work.
      Value blocked = kb.sub(rows, kb.remConst(rows, kRowBlock));
      Value anyBlock =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, blocked, c0);
      auto transpose = scf::IfOp::create(b, loc, anyBlock, /*withElse=*/false);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(transpose.thenBlock());
        kb.loop(c0, cols, [&](Value c) {
          Value key = kb.add(j0, c);
          kb.loop(c0, kb.index(dk), [&](Value d) {
            kb.store(kb.load(k, {bi, kvh, key, d}), keysT, {d, c});
          });
        });
      }
      Value keyIds = arith::AddIOp::create(
          b, loc, vector::BroadcastOp::create(b, loc, laneType, j0), laneIds);
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
          s = kb.loop(c0, kb.index(dk), c1, zeros, [&](Value d, ValueRange it) {
            Value keys = kb.loadRow(keysT, d, nt);
            SmallVector<Value> next;
            for (int64_t u = 0; u < numRows; ++u)
              next.push_back(
                  kb.axpy(kb.load(q, {bi, h, i[u], d}), keys, it[u]));
            return next;
          });
        }
        SmallVector<Value> p(numRows), alpha(numRows);
        for (int64_t u = 0; u < numRows; ++u) {
          Value su = kb.mulf(s[u], kb.splat(kb.f32(scale), nt));
          if (softcap) {
            Value t = math::TanhOp::create(
                b, loc, kb.mulf(su, kb.splat(kb.f32(1.0f / *softcap), nt)));
            su = kb.mulf(t, kb.splat(kb.f32(*softcap), nt));
          }
          Value dropped = pastEnd;
          if (causal) {
            Value future = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ugt, keyIds,
                vector::BroadcastOp::create(b, loc, laneType, i[u]));
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
          // A row with every key masked so far keeps max −inf; subtracting
          // 0 instead keeps exp() at 0 rather than NaN.
          Value isEmpty = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, newMax, kb.negInf());
          Value safeMax = kb.select(isEmpty, kb.f32(0.0f), newMax);
          alpha[u] = kb.exp(kb.subf(oldMax, safeMax));
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
            Value vs = kb.loadRowAt(v, {bi, kvh, kb.add(j0, c)}, col, dvSlice);
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
  });
  rewriter.eraseOp(op);
}

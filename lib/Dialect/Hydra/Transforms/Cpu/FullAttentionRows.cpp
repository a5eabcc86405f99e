//===- FullAttentionRows.cpp - online softmax a few query rows at a time --===//

#include "Cpu/FullAttentionRows.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

/// `scalar`, broadcast when `like` is a vector.
static Value splatLike(KernelBuilder &kb, Value scalar, Value like) {
  if (auto type = dyn_cast<VectorType>(like.getType()))
    return kb.splat(scalar, type.getNumElements());
  return scalar;
}

Value hydra::emitSoftcap(KernelBuilder &kb, Value s, float cap) {
  Value t =
      math::TanhOp::create(kb.builder(), kb.getLoc(),
                           kb.mulf(s, splatLike(kb, kb.f32(1.0f / cap), s)));
  return kb.mulf(t, splatLike(kb, kb.f32(cap), s));
}

std::pair<Value, Value> hydra::emitOnlineRescale(KernelBuilder &kb,
                                                 Value oldMax, Value newMax) {
  Value negInf = splatLike(kb, kb.negInf(), newMax);
  Value empty = arith::CmpFOp::create(
      kb.builder(), kb.getLoc(), arith::CmpFPredicate::OEQ, newMax, negInf);
  Value safeMax = kb.select(empty, splatLike(kb, kb.f32(0.0f), newMax), newMax);
  return {safeMax, kb.exp(kb.subf(oldMax, safeMax))};
}

FullAttentionRows::FullAttentionRows(KernelBuilder &kb, FullAttentionOp op,
                                     int64_t maxRows, int64_t keyTile,
                                     Scores scores)
    : kb(kb), op(op), attrs(op), scoring(scores), nt(keyTile) {
  dk = cast<MemRefType>(op.getQuery().getType()).getDimSize(3);
  dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  // The widest slice of Dv, at most 32 lanes, that divides it.
  dvSlice = dv;
  for (int64_t w : {32, 16, 8})
    if (dv > w && dv % w == 0) {
      dvSlice = w;
      break;
    }
  acc = kb.buffer({maxRows, dv});
  maxes = kb.buffer({maxRows});
  sums = kb.buffer({maxRows});
  this->scores = op.getMask() ? kb.buffer({nt}) : Value(); // the mask pass
  if (scoring == Scores::transposed)
    keysT = kb.buffer({dk, nt});
  // Scores of rows computed one dot product a key.
  dots = kb.buffer({nt});
  // The block's probabilities (and, in the dots form, its raw scores),
  // read back one broadcast lane at a time.
  probs = kb.buffer({kRowBlock, nt});
}

void FullAttentionRows::run(Value bi, Value kvh, Value numRows, RowAt rowAt,
                            Value keyBegin, Value keyEnd, Value shift) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value c0 = kb.index(0);
  // Lanes past the last key are computed and then masked: zero, not the
  // stack's stale bytes, whose denormals would cost a microcode assist an
  // FMA (a 5-token prompt's attention took 27 µs instead of 1).
  if (keysT)
    kb.loop(c0, kb.index(dk),
            [&](Value d) { kb.storeRow(kb.zeros(nt), keysT, d); });
  kb.storeRow(kb.zeros(nt), dots, ValueRange{});
  for (int64_t u = 0; u < kRowBlock; ++u)
    kb.storeRow(kb.zeros(nt), probs, kb.index(u));
  kb.loop(c0, numRows, [&](Value r) {
    kb.store(kb.negInf(), maxes, r);
    kb.store(kb.f32(0.0f), sums, r);
    kb.storeRow(kb.zeros(dv), acc, r);
  });
  Value blocked = kb.sub(numRows, kb.remConst(numRows, kRowBlock));
  kb.loop(keyBegin, keyEnd, kb.index(nt), [&](Value j0) {
    Value cols = kb.min(kb.sub(keyEnd, j0), nt);
    // The key tile transposed for the blocks; lanes past `cols` hold zeros
    // or earlier keys and are masked. Element by element from memory:
    // extracting lanes of a loaded row at a variable position would spill
    // the whole row for every lane.
    if (keysT) {
      Value anyBlock =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, blocked, c0);
      kb.ifThen(anyBlock, [&] {
        kb.loop(c0, cols, [&](Value c) {
          Value key = kb.add(j0, c);
          kb.loop(c0, kb.index(dk), [&](Value d) {
            kb.store(kb.load(op.getKey(), {bi, kvh, key, d}), keysT, {d, c});
          });
        });
      });
    }
    kb.loop(c0, blocked, kb.index(kRowBlock), [&](Value r0) {
      block(bi, kvh, r0, kRowBlock, rowAt, j0, cols, shift);
    });
    kb.loop(blocked, numRows,
            [&](Value r0) { block(bi, kvh, r0, 1, rowAt, j0, cols, shift); });
  });
}

void FullAttentionRows::block(Value bi, Value kvh, Value r0, int64_t numRows,
                              RowAt rowAt, Value j0, Value cols, Value shift) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  Value c0 = kb.index(0), c1 = kb.index(1);
  SmallVector<Value> r(numRows), h(numRows), i(numRows);
  for (int64_t u = 0; u < numRows; ++u) {
    r[u] = kb.add(r0, kb.index(u));
    std::tie(h[u], i[u]) = rowAt(r[u]);
  }
  // Scores, lanes past `cols` stale and masked below.
  SmallVector<Value> s;
  if (numRows == 1 || scoring == Scores::dots) {
    // One dot product a (row, key), each key row loaded once for the block.
    // A lone row keeps its query in registers; a block's rows reload theirs
    // from L1 (four of Dk = 128 would take every vector register).
    Value lone = numRows == 1 ? kb.loadRow(q, {bi, h[0], i[0]}, dk) : Value();
    kb.loop(c0, cols, [&](Value c) {
      Value key = kb.loadRow(k, {bi, kvh, kb.add(j0, c)}, dk);
      for (int64_t u = 0; u < numRows; ++u) {
        Value query = lone ? lone : kb.loadRow(q, {bi, h[u], i[u]}, dk);
        if (numRows == 1)
          kb.store(kb.dot(query, key), dots, c);
        else
          kb.store(kb.dot(query, key), probs, {kb.index(u), c});
      }
    });
    for (int64_t u = 0; u < numRows; ++u)
      s.push_back(numRows == 1 ? kb.loadRow(dots, ValueRange{}, nt)
                               : kb.loadRow(probs, kb.index(u), nt));
  } else {
    // For each d, one row of transposed keys times each query row's element
    // d, broadcast from memory.
    SmallVector<Value> zeros(numRows, kb.zeros(nt));
    s = kb.loop(c0, kb.index(dk), c1, zeros, [&](Value d, ValueRange it) {
      Value keys = kb.loadRow(keysT, d, nt);
      SmallVector<Value> next;
      for (int64_t u = 0; u < numRows; ++u)
        next.push_back(kb.axpy(kb.load(q, {bi, h[u], i[u], d}), keys, it[u]));
      return next;
    });
  }
  auto laneType = VectorType::get({nt}, b.getIndexType());
  Value keyIds = kb.lanesFrom(j0, nt);
  Value pastEnd = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::uge, keyIds,
      vector::BroadcastOp::create(b, loc, laneType, kb.add(j0, cols)));
  Value negInfRow = kb.splat(kb.negInf(), nt);
  SmallVector<Value> alpha(numRows);
  for (int64_t u = 0; u < numRows; ++u) {
    Value su = kb.mulf(s[u], kb.splat(kb.f32(attrs.scale), nt));
    if (attrs.softcap)
      su = emitSoftcap(kb, su, *attrs.softcap);
    Value dropped = pastEnd;
    if (attrs.causal) {
      Value future = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ugt, keyIds,
          vector::BroadcastOp::create(b, loc, laneType,
                                      addShift(kb, i[u], shift)));
      dropped = arith::OrIOp::create(b, loc, dropped, future);
    }
    su = kb.select(dropped, negInfRow, su);
    if (mask) {
      // Mask layouts vary (broadcast dims, i1 or float): applied key by key
      // through the score buffer.
      kb.storeRow(su, scores, ValueRange{});
      kb.loop(c0, cols, [&](Value c) {
        Value sc = kb.load(scores, c);
        kb.store(emitMaskedScore(kb, mask, sc, {bi, h[u], i[u], kb.add(j0, c)}),
                 scores, c);
      });
      su = kb.loadRow(scores, ValueRange{}, nt);
    }
    Value tileMax = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, su);
    Value oldMax = kb.load(maxes, r[u]);
    Value newMax = kb.maxf(oldMax, tileMax);
    Value safeMax;
    std::tie(safeMax, alpha[u]) = emitOnlineRescale(kb, oldMax, newMax);
    Value p = kb.exp(kb.subf(su, kb.splat(safeMax, nt)));
    kb.store(kb.addf(kb.mulf(kb.load(sums, r[u]), alpha[u]), kb.sum(p)), sums,
             r[u]);
    kb.store(newMax, maxes, r[u]);
    kb.storeRow(p, probs, kb.index(u));
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
        next.push_back(kb.axpy(kb.load(probs, {kb.index(u), c}), vs, it[u]));
      return next;
    });
    for (int64_t u = 0; u < numRows; ++u)
      kb.storeRowAt(accs[u], acc, r[u], col);
  });
}

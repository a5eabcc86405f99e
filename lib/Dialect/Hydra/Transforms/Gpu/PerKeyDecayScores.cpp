//===- PerKeyDecayScores.cpp - chunk scores under a decay per key ---------===//
//
// With a decay per key dimension, e^{G_t − G_s} is a vector per pair of
// steps, so a chunk's scores Σ_d x_td k_sd e^{G_td − G_sd} are not one
// product of X and K, and (X ⊙ e^G)(K ⊙ e^{−G})ᵀ would overflow half
// precision (e^{−G} grows without bound along a chunk). These take every
// factor relative to a reference step that keeps both exponents ≤ 0: for
// the key blocks before a warp's 16 rows the warp's first row r0, one
// mma.sync product; the diagonal 16 × 16 block, where no such step exists,
// is summed directly in f32; the blocks after it are zeros. The outputs
// kernel scores queries (X = Q), the delta rules' weights kernel keys
// (X = K, strictly below the diagonal).
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuLinearAttention.h"
#include "Gpu/MmaFragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::hydra;

SmallVector<Value> hydra::perKeyDecayedRows(KernelBuilder &kb,
                                            const ChunkForm &f, MmaFragments &m,
                                            const ChunkForm::Tiles &tiles,
                                            Value r0, Value ref,
                                            RowElement rowAt) {
  SmallVector<Value> frags;
  for (int64_t ks = 0; ks < f.dk / 16; ++ks)
    frags.push_back(m.loadAWith(r0, kb.index(ks * 16), [&](Value r, Value col) {
      auto one = [&](Value d) {
        Value g = f.cumulative(kb, tiles.gT, r, d);
        if (ref)
          g = kb.subf(g, f.cumulative(kb, tiles.gT, ref, d));
        return kb.mulf(rowAt(r, d), kb.exp(g));
      };
      return m.pairOf(one(col), one(kb.add(col, kb.index(1))));
    }));
  return frags;
}

SmallVector<Value> hydra::perKeyScores(KernelBuilder &kb, const ChunkForm &f,
                                       MmaFragments &m, Value warp,
                                       const ChunkForm::Tiles &tiles, Value r0,
                                       ArrayRef<Value> rows, RowElement rowAt,
                                       bool strict) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value kT = tiles.kT, gT = tiles.gT;
  Type acc = m.zerosC().getType();
  SmallVector<Type> two = {acc, acc};
  SmallVector<Value> scores;
  for (int64_t kc = 0; kc < f.chunk / 16; ++kc) {
    Value before = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                         warp, kb.index(kc));
    Value diagonal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           warp, kb.index(kc));
    auto offDiagonal = [&]() -> SmallVector<Value> {
      SmallVector<Value> q = perKeyDecayedRows(kb, f, m, tiles, r0, r0, rowAt);
      SmallVector<Value> out;
      for (int64_t nt = 2 * kc; nt < 2 * kc + 2; ++nt) {
        Value sum = m.zerosC();
        for (int64_t ks = 0; ks < f.dk / 16; ++ks)
          sum = m.mma(
              q[ks],
              m.loadBWith(kb.index(ks * 16), kb.index(nt * 8),
                          [&](Value d, Value s) {
                            return kb.mulf(
                                kb.load(kT, {s, d}),
                                kb.exp(kb.subf(f.cumulative(kb, gT, r0, d),
                                               f.cumulative(kb, gT, s, d))));
                          }),
              sum);
        out.push_back(sum);
      }
      return out;
    };
    auto onDiagonal = [&]() -> SmallVector<Value> {
      // The lane's 8 scores of the block: rows[i], columns m.accumulatorCol(nt,
      // j).
      SmallVector<Value> keep, init(8, kb.f32(0.0f));
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j)
            keep.push_back(arith::CmpIOp::create(
                b, loc,
                strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule,
                m.accumulatorCol(2 * kc + n, j), rows[i]));
      SmallVector<Value> sums = kb.loop(
          kb.index(0), kb.index(f.dk), kb.index(1), init,
          [&](Value d, ValueRange partial) {
            SmallVector<Value> next;
            Value q[2], gq[2];
            for (int64_t i = 0; i < 2; ++i) {
              q[i] = rowAt(rows[i], d);
              gq[i] = f.cumulative(kb, gT, rows[i], d);
            }
            int64_t x = 0;
            for (int64_t n = 0; n < 2; ++n)
              for (int64_t i = 0; i < 2; ++i)
                for (int64_t j = 0; j < 2; ++j, ++x) {
                  Value s = m.accumulatorCol(2 * kc + n, j);
                  // Masked pairs (s > t) would raise e to a positive power.
                  Value g = kb.select(
                      keep[x], kb.subf(gq[i], f.cumulative(kb, gT, s, d)),
                      kb.negInf());
                  next.push_back(kb.addf(
                      partial[x],
                      kb.mulf(kb.mulf(q[i], kb.load(kT, {s, d})), kb.exp(g))));
                }
            return next;
          });
      SmallVector<Value> out;
      int64_t x = 0;
      for (int64_t n = 0; n < 2; ++n) {
        Value tile = m.zerosC();
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j, ++x)
            tile = m.set(tile, sums[x], i, j);
        out.push_back(tile);
      }
      return out;
    };
    SmallVector<Value> pair = kb.ifElse(before, two, offDiagonal, [&] {
      return kb.ifElse(diagonal, two, onDiagonal, [&] {
        return SmallVector<Value>{m.zerosC(), m.zerosC()};
      });
    });
    scores.append(pair.begin(), pair.end());
  }
  return scores;
}

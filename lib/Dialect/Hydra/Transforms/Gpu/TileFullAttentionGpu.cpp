//===- TileFullAttentionGpu.cpp - full attention as GPU blocks ------------===//
//
// One block of four warps per (batch, head, tile of 16 query rows, key
// split: GpuKeySplits); each warp owns four rows. Per key/value tile of
// 32 keys (one per lane) the
// block stages Q (once), K and V in shared memory as f32; lane j scores
// key j against the warp's rows, the online-softmax statistics are warp
// reductions (every lane keeps every row's running max and sum), and the
// P·V product gives lane j columns j, j + 32, ... of each row, each
// probability broadcast from its lane by a shuffle. With `causal` the key
// loop stops at the tile's last row. The epilogue normalizes (the fused
// merge, a warp reduction over the row) and writes each element once.
//
// Keys are stored with a row stride of Dk + 1 so that the 32 lanes reading
// 32 different keys at the same column hit 32 different banks.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kWarps = 4;
static constexpr int64_t kRowsPerWarp = 4;
static constexpr int64_t kQueryRows = kWarps * kRowsPerWarp;
static constexpr int64_t kKeys = kWarpSize;

Value hydra::emitTanh(KernelBuilder &kb, Value x) {
  // 1 − 2 / (e^{2x} + 1): ±1 in the limits, no library call on any target.
  Value e = kb.exp(kb.mulf(x, kb.f32(2.0f)));
  return kb.subf(kb.f32(1.0f), kb.divf(kb.f32(2.0f), kb.addf(e, kb.f32(1.0f))));
}

LogicalResult hydra::tileFullAttentionGpu(RewriterBase &rewriter,
                                          FullAttentionOp op) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto qType = cast<MemRefType>(q.getType());
  int64_t dk = qType.getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  int64_t colsPerLane = (dv + kWarpSize - 1) / kWarpSize;
  int64_t sharedBytes = 4 * (kQueryRows * dk + kKeys * (dk + 1) + kKeys * dv);
  if (sharedBytes > kMaxStaticSharedBytes)
    return op.emitOpError() << "not supported on GPU targets: head dimensions "
                            << dk << " and " << dv << " need " << sharedBytes
                            << " bytes of shared memory a block (at most "
                            << kMaxStaticSharedBytes << ")";

  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  FullAttentionAttrs attrs(op);

  emitGpuFullAttentionGrid(
      kb, op, "full_attention", kQueryRows, kWarps * kWarpSize,
      [&](GpuKernelBuilder &gb, const GpuKeySplits &splits,
          const FullAttentionBlock &at) {
        Value bi = at.batch, h = at.head, kvh = at.kvHead, slot = at.slot;
        Value queryLen = at.queryLen;
        Value lastQuery = at.lastQuery, lastKey = at.lastKey;
        Value i0 = at.firstQuery;
        Value c0 = kb.index(0), c1 = kb.index(1);

        Value qTile = gb.shared({kQueryRows, dk});
        Value kTile = gb.shared({kKeys, dk + 1});
        Value vTile = gb.shared({kKeys, dv});
        // Rows past the end read the last row (their results are not stored).
        gb.fill(qTile, kQueryRows, dk, [&](Value r, Value d) {
          return kb.load(q, {bi, h, kb.min(kb.add(i0, r), lastQuery), d});
        });

        SmallVector<Value> rowIdx(kRowsPerWarp), queryIdx(kRowsPerWarp);
        for (int64_t u = 0; u < kRowsPerWarp; ++u) {
          rowIdx[u] = kb.add(kb.mul(gb.warp, kRowsPerWarp), kb.index(u));
          queryIdx[u] = kb.add(i0, rowIdx[u]);
        }
        // Lane j's columns; past Dv they read column Dv − 1 and are not stored.
        LaneRow laneCols = warpRowColumns(kb, gb.lane, dv);
        ArrayRef<Value> cols = laneCols.cols;

        // Carried per thread: acc[u][c], then max[u], then sum[u].
        SmallVector<Value> init(kRowsPerWarp * colsPerLane, kb.f32(0.0f));
        init.append(kRowsPerWarp, kb.negInf());
        init.append(kRowsPerWarp, kb.f32(0.0f));
        // This block's keys: its split's, to the tile's last diagonal.
        FullAttentionBlock::Keys keys = at.keys(kb, op, splits, kQueryRows);
        Value shift = keys.shift, keyBegin = keys.begin;
        Value splitEnd = keys.splitEnd, keyEnd = keys.end;
        SmallVector<Value> fin = kb.loop(
            keyBegin, keyEnd, kb.index(kKeys), init,
            [&](Value j0, ValueRange it) {
              // The previous tile's readers are done (and Q is staged).
              gb.barrier();
              gb.fill(kTile, kKeys, dk, [&](Value c, Value d) {
                Value key = kb.min(kb.add(j0, c), lastKey);
                return kb.load(k, {bi, kvh, key, d});
              });
              gb.fill(vTile, kKeys, dv, [&](Value c, Value d) {
                Value key = kb.min(kb.add(j0, c), lastKey);
                return kb.load(v, {bi, kvh, key, d});
              });
              gb.barrier();

              Value key = kb.add(j0, gb.lane);
              SmallVector<Value> next(it.begin(), it.end());
              SmallVector<Value> p(kRowsPerWarp);
              SmallVector<Value> zeros(kRowsPerWarp, kb.f32(0.0f));
              SmallVector<Value> s = kb.loop(
                  c0, kb.index(dk), c1, zeros, [&](Value d, ValueRange acc) {
                    Value kd = kb.load(kTile, {gb.lane, d});
                    SmallVector<Value> r;
                    for (int64_t u = 0; u < kRowsPerWarp; ++u)
                      r.push_back(math::FmaOp::create(
                          b, loc, kb.load(qTile, {rowIdx[u], d}), kd, acc[u]));
                    return r;
                  });
              for (int64_t u = 0; u < kRowsPerWarp; ++u) {
                Value su =
                    emitGpuScore(kb, op, attrs, s[u], bi, h, queryIdx[u], key,
                                 splitEnd, shift, lastQuery, lastKey);
                Value &rowMax = next[kRowsPerWarp * colsPerLane + u];
                Value &rowSum =
                    next[kRowsPerWarp * colsPerLane + kRowsPerWarp + u];
                Value newMax = kb.maxf(rowMax, gb.warpMax(su));
                auto [safeMax, alpha] = emitOnlineRescale(kb, rowMax, newMax);
                p[u] = kb.exp(kb.subf(su, safeMax));
                rowSum = kb.addf(kb.mulf(rowSum, alpha), gb.warpSum(p[u]));
                rowMax = newMax;
                for (int64_t c = 0; c < colsPerLane; ++c) {
                  Value &a = next[u * colsPerLane + c];
                  a = kb.mulf(a, alpha);
                }
              }
              // acc += P·V: key c's probability broadcast from lane c.
              SmallVector<Value> accs(
                  next.begin(), next.begin() + kRowsPerWarp * colsPerLane);
              accs = kb.loop(
                  c0, kb.index(kKeys), c1, accs, [&](Value c, ValueRange acc) {
                    SmallVector<Value> vc(colsPerLane), r;
                    for (int64_t j = 0; j < colsPerLane; ++j)
                      vc[j] = kb.load(vTile, {c, cols[j]});
                    for (int64_t u = 0; u < kRowsPerWarp; ++u) {
                      Value pc = gb.shuffleIdx(p[u], c);
                      for (int64_t j = 0; j < colsPerLane; ++j)
                        r.push_back(math::FmaOp::create(
                            b, loc, pc, vc[j], acc[u * colsPerLane + j]));
                    }
                    return r;
                  });
              llvm::copy(accs, next.begin());
              return next;
            });

        // Epilogue: o = acc / l, the fused normalization, one store per
        // element; or this split's partials.
        for (int64_t u = 0; u < kRowsPerWarp; ++u) {
          LaneRow row = laneCols;
          row.o.assign(fin.begin() + u * colsPerLane,
                       fin.begin() + (u + 1) * colsPerLane);
          Value rowMax = fin[kRowsPerWarp * colsPerLane + u];
          Value rowSum = fin[kRowsPerWarp * colsPerLane + kRowsPerWarp + u];
          Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              queryIdx[u], queryLen);
          splits.finishLaneRow(kb, op, row, rowMax, rowSum,
                               [&](Value x) { return gb.warpSum(x); },
                               arith::CmpIOp::create(b, loc,
                                                     arith::CmpIPredicate::eq,
                                                     gb.lane, c0),
                               valid, {bi, slot, queryIdx[u]}, h,
                               {bi, at.listed, queryIdx[u], at.split});
        }
      });
  rewriter.eraseOp(op);
  return success();
}

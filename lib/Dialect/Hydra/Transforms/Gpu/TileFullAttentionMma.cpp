//===- TileFullAttentionMma.cpp - full attention on tensor cores ----------===//
//
// The f16/bf16 form of the GPU full-attention kernel: QKᵀ and PV run as
// warp-wide mma.sync m16n8k16 (f16/bf16 operands, f32 accumulators),
// written as nvgpu.mma.sync. One block of four warps per (batch, head, 64
// query rows, key split: GpuKeySplits); each warp owns 16 rows. Q's
// fragments are read from global memory once and stay in registers. K and
// V tiles of 32 keys are staged in shared memory in the input type, in two
// stages (rows padded by 8 elements so that the eight row groups of a
// fragment load fall in different banks): while the block works on one
// tile, the next is on its way as cp.async copies of 16 bytes a thread
// (where the rows are 16-byte aligned; plain loads otherwise), waited for
// at the top of the next iteration. K's and V's B fragments leave shared
// memory by ldmatrix (V's with .trans), four 8 × 8 matrices an
// instruction. mma.sync m16n8k16 on f16/bf16 and
// cp.async need sm_80 (hydra-tile-attention-gpu{min-arch}). Per key tile:
//
//   S (16 × 32 a warp)  = Q Kᵀ       four n8 tiles, Dk/16 k-steps each
//   online softmax      per row, on the accumulator registers: a lane
//                       holds rows g and g + 8 (g = lane / 4), and a row's
//                       32 scores live in the four lanes of its quad, so
//                       row max and sum are two shuffles
//   O (16 × Dv a warp) += P V       P from the S accumulators, rounded to
//                       the input type (the C fragment of two n8 tiles is
//                       the A fragment of one k16 step), Dv/8 n8 tiles
//
// Keys past the end are staged as zeros so that a masked probability (0) never
// meets a stale value (0 · inf). The epilogue divides by the row sum, applies
// the fused normalization (a quad reduction) and writes each element once.
// Fragment layouts: PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating
// point type".
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuKernelBuilder.h"
#include "Gpu/MmaFragments.h"
#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kWarps = 4;
static constexpr int64_t kWarpRows = 16;
static constexpr int64_t kQueryRows = kWarps * kWarpRows;
static constexpr int64_t kKeys = 32;
static constexpr int64_t kPad = 8;
static constexpr int64_t kStages = 2;

bool hydra::canUseMma(FullAttentionOp op) {
  auto q = cast<MemRefType>(op.getQuery().getType());
  auto v = cast<MemRefType>(op.getValue().getType());
  Type e = q.getElementType();
  int64_t dk = q.getDimSize(3), dv = v.getDimSize(3);
  return (e.isF16() || e.isBF16()) &&
         cast<MemRefType>(op.getKey().getType()).getElementType() == e &&
         v.getElementType() == e && dk % 16 == 0 && dv % 8 == 0 &&
         mmaSharedBytes(op) <= kMaxStaticSharedBytes;
}

int64_t hydra::mmaSharedBytes(FullAttentionOp op) {
  auto q = cast<MemRefType>(op.getQuery().getType());
  int64_t dk = q.getDimSize(3);
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  return 2 * kStages * kKeys * ((dk + kPad) + (dv + kPad));
}

LogicalResult hydra::tileFullAttentionMma(RewriterBase &rewriter,
                                          FullAttentionOp op) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto qType = cast<MemRefType>(q.getType());
  Type e = qType.getElementType();
  int64_t dk = qType.getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  int64_t kSteps = dk / 16, vTiles = dv / 8, sTiles = kKeys / 8;

  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  FullAttentionAttrs attrs(op);

  emitGpuFullAttentionGrid(
      kb, op, "full_attention_mma", kQueryRows, kWarps * kWarpSize,
      [&](GpuKernelBuilder &gb, const GpuKeySplits &splits,
          const FullAttentionBlock &at) {
        MmaFragments m(kb, e, gb.lane);
        Value bi = at.batch, h = at.head, kvh = at.kvHead, slot = at.slot;
        Value queryLen = at.queryLen, keyLen = at.keyLen;
        Value lastQuery = at.lastQuery, lastKey = at.lastKey;
        Value i0 = at.firstQuery;
        Value c0 = kb.index(0), c1 = kb.index(1);
        auto ult = [&](Value x, Value bound) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                       bound);
        };

        auto raw = [&](Value buffer, ValueRange idx) {
          return memref::LoadOp::create(b, loc, buffer, idx).getResult();
        };
        // Q's fragments come straight from global memory (read once) and
        // stay in registers. Rows past the end repeat the last row: their
        // scores stay finite and their outputs are never stored.
        Value r0 = kb.mul(gb.warp, kWarpRows);
        SmallVector<Value> qFrags;
        for (int64_t s = 0; s < kSteps; ++s)
          qFrags.push_back(
              m.loadAWith(r0, kb.index(s * 16), [&](Value r, Value d) {
                Value at = kb.min(kb.add(i0, r), lastQuery);
                return m.pairOfBits(raw(q, {bi, h, at, d}),
                                    raw(q, {bi, h, at, kb.add(d, c1)}));
              }));

        // K and V tiles in kStages stages: while the block works on one,
        // the next is on its way (cp.async where the rows are 16-byte
        // aligned and the target has it).
        Value kTile = gb.shared({kStages * kKeys, dk + kPad}, e);
        Value vTile = gb.shared({kStages * kKeys, dv + kPad}, e);
        Value kAsync = gb.rowsAligned16(k), vAsync = gb.rowsAligned16(v);
        auto stageKeys = [&](Value j0, Value stageRow0) {
          auto srcRow = [&](Value c) -> SmallVector<Value> {
            return {bi, kvh, kb.min(kb.add(j0, c), lastKey), c0};
          };
          auto inRange = [&](Value c) { return ult(kb.add(j0, c), keyLen); };
          gb.stageRows(kTile, stageRow0, kKeys, dk, k, srcRow, inRange, kAsync);
          gb.stageRows(vTile, stageRow0, kKeys, dv, v, srcRow, inRange, vAsync);
        };

        // This lane's rows: g and g + 8 of the warp's 16.
        Value row[2] = {kb.add(r0, m.g), kb.add(kb.add(r0, m.g), kb.index(8))};
        Value query[2] = {kb.add(i0, row[0]), kb.add(i0, row[1])};

        // Carried: O's n8 tiles, then max and sum of rows g and g + 8.
        SmallVector<Value> init(vTiles, m.zerosC());
        init.append({kb.negInf(), kb.negInf(), kb.f32(0.0f), kb.f32(0.0f)});
        // This block's keys: its split's, to the tile's last diagonal.
        FullAttentionBlock::Keys keys = at.keys(kb, op, splits, kQueryRows);
        Value shift = keys.shift, keyBegin = keys.begin;
        Value splitEnd = keys.splitEnd, keyEnd = keys.end;
        auto before = [&](Value x, Value y) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
        };
        bool async = kAsync || vAsync;
        kb.ifThen(before(keyBegin, keyEnd), [&] { stageKeys(keyBegin, c0); });
        if (async)
          gb.commitCopies();
        SmallVector<Value> fin = kb.loop(
            keyBegin, keyEnd, kb.index(kKeys), init,
            [&](Value j0, ValueRange it) {
              // Stage t of tile t lives at rows (t % kStages) · kKeys.
              Value tileIndex = kb.divConst(kb.sub(j0, keyBegin), kKeys);
              Value row0 = kb.mul(kb.remConst(tileIndex, kStages), kKeys);
              Value nextRow0 =
                  kb.mul(kb.remConst(kb.add(tileIndex, c1), kStages), kKeys);
              gb.barrier(); // the stage the next tile overwrites is read
              Value nextKey = kb.add(j0, kb.index(kKeys));
              kb.ifThen(before(nextKey, keyEnd),
                        [&] { stageKeys(nextKey, nextRow0); });
              if (async) {
                gb.commitCopies();
                gb.waitCopies(kStages - 1);
              }
              gb.barrier(); // this tile's copies are visible to the block

              // S = Q Kᵀ, then scale, softcap and masks per element.
              SmallVector<Value> s(sTiles);
              for (int64_t n = 0; n < sTiles; ++n) {
                Value acc = m.productWithRowsLd(qFrags, kTile,
                                                kb.add(row0, kb.index(n * 8)));
                for (int64_t i = 0; i < 2; ++i)
                  for (int64_t j = 0; j < 2; ++j) {
                    Value key =
                        kb.add(j0, kb.add(kb.index(n * 8 + j), kb.mul(m.t, 2)));
                    acc = m.set(acc,
                                emitGpuScore(kb, op, attrs, m.at(acc, i, j), bi,
                                             h, query[i], key, splitEnd, shift,
                                             lastQuery, lastKey),
                                i, j);
                  }
                s[n] = acc;
              }

              // Online softmax per row; a row's scores are in its quad.
              SmallVector<Value> next(it.begin(), it.end());
              Value alpha[2];
              for (int64_t i = 0; i < 2; ++i) {
                Value tileMax = kb.negInf();
                for (int64_t n = 0; n < sTiles; ++n)
                  for (int64_t j = 0; j < 2; ++j)
                    tileMax = kb.maxf(tileMax, m.at(s[n], i, j));
                tileMax = gb.quadMax(tileMax);
                Value &rowMax = next[vTiles + i];
                Value &rowSum = next[vTiles + 2 + i];
                Value newMax = kb.maxf(rowMax, tileMax);
                Value safeMax;
                std::tie(safeMax, alpha[i]) =
                    emitOnlineRescale(kb, rowMax, newMax);
                Value sum = kb.f32(0.0f);
                for (int64_t n = 0; n < sTiles; ++n)
                  for (int64_t j = 0; j < 2; ++j) {
                    Value p = kb.exp(kb.subf(m.at(s[n], i, j), safeMax));
                    sum = kb.addf(sum, p);
                    s[n] = m.set(s[n], p, i, j);
                  }
                rowSum = kb.addf(kb.mulf(rowSum, alpha[i]), gb.quadSum(sum));
                rowMax = newMax;
              }
              for (int64_t nv = 0; nv < vTiles; ++nv)
                for (int64_t i = 0; i < 2; ++i)
                  for (int64_t j = 0; j < 2; ++j)
                    next[nv] =
                        m.set(next[nv], kb.mulf(m.at(next[nv], i, j), alpha[i]),
                              i, j);

              // O += P V: two n8 tiles of P make one k16 A fragment.
              for (int64_t kc = 0; kc < kKeys / 16; ++kc) {
                Value lo = s[2 * kc], hi = s[2 * kc + 1];
                Value a = m.stack(
                    {m.accumulatorPair(lo, 0), m.accumulatorPair(lo, 1),
                     m.accumulatorPair(hi, 0), m.accumulatorPair(hi, 1)});
                // V's fragments by ldmatrix.trans, two n8 tiles at a time.
                // (next holds the row maxima and sums after the tiles.)
                m.accumulateTiles(
                    a, vTile, kb.add(row0, kb.index(kc * 16)),
                    MutableArrayRef<Value>(next).take_front(vTiles));
              }
              return next;
            });

        // Epilogue: o = O / l, the fused normalization, one store each
        // (a row's elements are in its quad); or this split's partials.
        for (int64_t i = 0; i < 2; ++i) {
          LaneRow row;
          for (int64_t nv = 0; nv < vTiles; ++nv)
            for (int64_t j = 0; j < 2; ++j) {
              row.o.push_back(m.at(fin[nv], i, j));
              row.cols.push_back(kb.add(kb.index(nv * 8 + j), kb.mul(m.t, 2)));
              row.inRow.push_back(Value());
            }
          Value rowMax = fin[vTiles + i], rowSum = fin[vTiles + 2 + i];
          splits.finishLaneRow(
              kb, op, row, rowMax, rowSum,
              [&](Value x) { return gb.quadSum(x); },
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m.t, c0),
              ult(query[i], queryLen), {bi, slot, query[i]}, h,
              {bi, at.listed, query[i], at.split});
        }
      });
  rewriter.eraseOp(op);
  return success();
}

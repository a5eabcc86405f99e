//===- TileLinearAttentionGpu.cpp - linear attention as GPU blocks --------===//
//
// One block per (batch, head), with one warp per eight columns of Dv
// (Dv = 128: 16 warps). Each thread holds the f32 state entries of its
// warp's eight columns in rows lane, lane + 32, ... of Dk, in registers,
// for the whole sequence. Chunks of C steps of q, k, v, the decay and β
// are staged in shared memory by the whole block; within the chunk every
// warp runs the recurrence step by step on its columns:
//
//   S ← e^{g_t} ⊙ S;   S ← S + k_t v_tᵀ   (delta: S + β_t k_t (v_t − Sᵀk_t)ᵀ)
//   o_t = scale · Sᵀ q_t
//
// where the column sums Sᵀk_t and Sᵀq_t are warp reductions. Columns of the
// state never interact, under every update rule, which is what lets warps
// (and their threads) split Dv without exchanging anything. The chunk's
// outputs go to shared memory; then the block writes them, each row
// normalized by the fused merge (a reduction over all of Dv, hence one
// block per head), one store per element.
//
// This is the step recurrence, not the chunkwise form of the CPU kernel:
// it is exact and needs no intra-chunk products, at the cost of one step
// after another per warp.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kColsPerWarp = 8;

namespace {
struct Shapes {
  int64_t dk, dv, slots, dkPadded, warps, dvPadded, chunk;
  bool perDimDecay, delta;
};
} // namespace

static int64_t sharedBytesFor(const Shapes &s, int64_t chunk, bool decay) {
  int64_t floats = chunk * (2 * s.dkPadded + 2 * s.dvPadded);
  if (decay)
    floats += s.perDimDecay ? chunk * s.dkPadded : chunk;
  if (s.delta)
    floats += chunk;
  return 4 * floats;
}

LogicalResult hydra::tileLinearAttentionGpu(RewriterBase &rewriter,
                                            LinearAttentionOp op) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value decay = op.getDecay(), beta = op.getBeta();
  Shapes s;
  s.dk = cast<MemRefType>(q.getType()).getDimSize(3);
  s.dv = cast<MemRefType>(v.getType()).getDimSize(3);
  s.slots = (s.dk + kWarpSize - 1) / kWarpSize;
  s.dkPadded = s.slots * kWarpSize;
  s.warps = (s.dv + kColsPerWarp - 1) / kColsPerWarp;
  s.dvPadded = s.warps * kColsPerWarp;
  s.perDimDecay = decay && cast<MemRefType>(decay.getType()).getRank() == 4;
  s.delta = op.getUpdateRule() == UpdateRule::Delta ||
            op.getUpdateRule() == UpdateRule::GatedDelta;
  if (s.warps * kWarpSize > 1024)
    return op.emitOpError() << "not supported on GPU targets: value head "
                               "dimension "
                            << s.dv << " (at most 256)";
  s.chunk = 0;
  for (int64_t c : {16, 8, 4})
    if (sharedBytesFor(s, c, bool(decay)) <= kMaxStaticSharedBytes) {
      s.chunk = c;
      break;
    }
  if (!s.chunk)
    return op.emitOpError()
           << "not supported on GPU targets: head dimensions " << s.dk
           << " and " << s.dv << " do not fit a chunk in shared memory";

  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  int64_t group = cast<MemRefType>(q.getType()).getDimSize(1) /
                  cast<MemRefType>(k.getType()).getDimSize(1);
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  float scale = op.getScale().convertToFloat();
  // The query heads of one kv head share its state; the first listed one
  // stores the final state.
  SmallVector<bool> writer = finalStateWriters(op);
  bool betaPerHead =
      beta && cast<MemRefType>(beta.getType()).getDimSize(1) != 1;
  int64_t threads = s.warps * kWarpSize;

  Operation *forall = kb.forall(
      "linear_attention", {kb.dim(q, 0), kb.index(heads.size())},
      [&](ValueRange ivs) {
        // Per step: decay (gated), Sᵀk and the delta update (delta
        // rules), the state update and the output, Dk·Dv each or twice.
        emitLinearAttentionWork(
            kb, op,
            double(s.dk * s.dv) *
                (4.0 + (decay ? 1.0 : 0.0) + (s.delta ? 2.0 : 0.0)));
        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        Value bi = ivs[0];
        Value h = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        Value kvh = group == 1 ? h : kb.divConst(h, group);
        Value stateh = emitStateIndex(kb, op, ivs[1], kvh, /*selects=*/true);
        Value slot = writesAll ? h : ivs[1];
        Value c0 = kb.index(0), c1 = kb.index(1);
        Value keyLen = kb.dim(k, 2), lastStep = kb.sub(keyLen, c1);
        auto ult = [&](Value x, int64_t bound) {
          return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                       kb.index(bound));
        };

        // This thread's rows of Dk and columns of Dv.
        SmallVector<Value> rows(s.slots), cols(kColsPerWarp);
        SmallVector<Value> rowOk(s.slots), colOk(kColsPerWarp);
        for (int64_t r = 0; r < s.slots; ++r) {
          rows[r] = kb.add(gb.lane, kb.index(r * kWarpSize));
          rowOk[r] = ult(rows[r], s.dk);
        }
        for (int64_t c = 0; c < kColsPerWarp; ++c) {
          cols[c] = kb.add(kb.mul(gb.warp, kColsPerWarp), kb.index(c));
          colOk[c] = ult(cols[c], s.dv);
        }
        auto stateIdx = [&](int64_t r, int64_t c) {
          return r * kColsPerWarp + c;
        };
        SmallVector<Value> state;
        Value initial = op.getInitialState();
        for (int64_t r = 0; r < s.slots; ++r)
          for (int64_t c = 0; c < kColsPerWarp; ++c) {
            if (!initial) {
              state.push_back(kb.f32(0.0f));
              continue;
            }
            Value x = kb.load(initial, {bi, stateh, kb.min(rows[r], s.dk - 1),
                                        kb.min(cols[c], s.dv - 1)});
            Value ok = arith::AndIOp::create(b, loc, rowOk[r], colOk[c]);
            state.push_back(kb.select(ok, x, kb.f32(0.0f)));
          }

        Value qT = gb.shared({s.chunk, s.dkPadded});
        Value kT = gb.shared({s.chunk, s.dkPadded});
        Value vT = gb.shared({s.chunk, s.dvPadded});
        Value oT = gb.shared({s.chunk, s.dvPadded});
        Value gT = decay ? (s.perDimDecay ? gb.shared({s.chunk, s.dkPadded})
                                          : gb.shared({s.chunk, 1}))
                         : Value();
        Value bT = s.delta ? gb.shared({s.chunk, 1}) : Value();

        SmallVector<Value> fin = kb.loop(
            c0, keyLen, kb.index(s.chunk), state,
            [&](Value start, ValueRange carried) {
              Value len = kb.min(kb.sub(keyLen, start), s.chunk);
              auto step = [&](Value t) {
                return kb.min(kb.add(start, t), lastStep);
              };
              // Past Dk / Dv the tiles hold zeros, so padded rows and
              // columns of the state stay zero.
              auto padded = [&](Value x, Value i, int64_t bound) {
                return kb.select(ult(i, bound), x, kb.f32(0.0f));
              };
              gb.barrier();
              gb.fill(qT, s.chunk, s.dkPadded, [&](Value t, Value d) {
                return padded(kb.load(q, {bi, h, step(t), kb.min(d, s.dk - 1)}),
                              d, s.dk);
              });
              gb.fill(kT, s.chunk, s.dkPadded, [&](Value t, Value d) {
                return padded(
                    kb.load(k, {bi, kvh, step(t), kb.min(d, s.dk - 1)}), d,
                    s.dk);
              });
              gb.fill(vT, s.chunk, s.dvPadded, [&](Value t, Value d) {
                return padded(
                    kb.load(v, {bi, kvh, step(t), kb.min(d, s.dv - 1)}), d,
                    s.dv);
              });
              if (decay && s.perDimDecay)
                gb.fill(gT, s.chunk, s.dkPadded, [&](Value t, Value d) {
                  return padded(
                      kb.load(decay, {bi, kvh, step(t), kb.min(d, s.dk - 1)}),
                      d, s.dk);
                });
              else if (decay)
                gb.fill(gT, s.chunk, 1, [&](Value t, Value) {
                  return kb.load(decay, {bi, kvh, step(t)});
                });
              if (s.delta)
                gb.fill(bT, s.chunk, 1, [&](Value t, Value) {
                  return kb.load(beta, {bi, betaPerHead ? kvh : c0, step(t)});
                });
              gb.barrier();

              SmallVector<Value> next =
                  kb.loop(c0, len, c1, carried, [&](Value t, ValueRange it) {
                    SmallVector<Value> st(it.begin(), it.end());
                    SmallVector<Value> kt(s.slots), qt(s.slots), vt;
                    for (int64_t r = 0; r < s.slots; ++r) {
                      kt[r] = kb.load(kT, {t, rows[r]});
                      qt[r] = kb.load(qT, {t, rows[r]});
                    }
                    for (int64_t c = 0; c < kColsPerWarp; ++c)
                      vt.push_back(kb.load(vT, {t, cols[c]}));
                    if (decay) {
                      Value e = s.perDimDecay ? Value()
                                              : kb.exp(kb.load(gT, {t, c0}));
                      for (int64_t r = 0; r < s.slots; ++r) {
                        Value er = e ? e : kb.exp(kb.load(gT, {t, rows[r]}));
                        for (int64_t c = 0; c < kColsPerWarp; ++c)
                          st[stateIdx(r, c)] = kb.mulf(st[stateIdx(r, c)], er);
                      }
                    }
                    // The column sums Sᵀx, reduced over the warp.
                    auto columnSum = [&](ArrayRef<Value> x, int64_t c) {
                      Value sum = kb.f32(0.0f);
                      for (int64_t r = 0; r < s.slots; ++r)
                        sum = math::FmaOp::create(b, loc, st[stateIdx(r, c)],
                                                  x[r], sum);
                      return gb.warpSum(sum);
                    };
                    SmallVector<Value> u(vt);
                    if (s.delta) {
                      Value bt = kb.load(bT, {t, c0});
                      for (int64_t c = 0; c < kColsPerWarp; ++c)
                        u[c] = kb.mulf(bt, kb.subf(vt[c], columnSum(kt, c)));
                    }
                    for (int64_t r = 0; r < s.slots; ++r)
                      for (int64_t c = 0; c < kColsPerWarp; ++c)
                        st[stateIdx(r, c)] = math::FmaOp::create(
                            b, loc, kt[r], u[c], st[stateIdx(r, c)]);
                    SmallVector<Value> o;
                    for (int64_t c = 0; c < kColsPerWarp; ++c)
                      o.push_back(kb.mulf(columnSum(qt, c), kb.f32(scale)));
                    Value first = arith::CmpIOp::create(
                        b, loc, arith::CmpIPredicate::eq, gb.lane, c0);
                    auto ifOp = scf::IfOp::create(b, loc, first, false);
                    {
                      OpBuilder::InsertionGuard guard(b);
                      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
                      for (int64_t c = 0; c < kColsPerWarp; ++c)
                        kb.store(o[c], oT, {t, cols[c]});
                    }
                    return st;
                  });
              gb.barrier();

              emitStagedRowsEpilogue(gb, op, oT, len, s.warps, bi, h, slot,
                                     start);
              return next;
            });

        if (Value final = op.getFinalStateInit()) {
          Value writes = gb.lookup(ArrayRef<bool>(writer), ivs[1]);
          auto ifOp = scf::IfOp::create(b, loc, writes, false);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
          for (int64_t r = 0; r < s.slots; ++r)
            for (int64_t c = 0; c < kColsPerWarp; ++c) {
              Value ok = arith::AndIOp::create(b, loc, rowOk[r], colOk[c]);
              auto inner = scf::IfOp::create(b, loc, ok, false);
              OpBuilder::InsertionGuard g2(b);
              b.setInsertionPoint(inner.thenBlock()->getTerminator());
              kb.storeConverted(fin[stateIdx(r, c)], final,
                                {bi, stateh, rows[r], cols[c]});
            }
        }
      });
  forall->setAttr(kBlockSizeAttrName, b.getI64IntegerAttr(threads));
  rewriter.eraseOp(op);
  return success();
}

//===- TileLinearAttentionChunks.cpp - linear attention parallel over chunks
//===//
//
// The f16/bf16 GPU form of linear attention, parallel over the sequence
// as the best chunk kernels are. With G_t the cumulative log decay from a
// chunk's start (0 without gating; one decay per head) and L the chunk's
// last step, three grids for the linear and gated rules:
//
//  1. chunk states, a block per (batch, state, chunk), a warp per 16 rows
//     of Dk: ΔS_c = (K ⊙ e^{G_L − G_s})ᵀ V and the chunk's decay G_L;
//  2. the scan over chunks, a thread per state element: S_0 is the
//     initial state (or 0), S_c is written where ΔS_c was, then
//     S_{c+1} = e^{G_L} S_c + ΔS_c; the last one is the final state;
//  3. outputs, a block per (batch, listed head, chunk), a warp per 16 rows:
//     O = scale · (e^{G_t} ⊙ (Q S_c) + ((Q Kᵀ) ⊙ [e^{G_t − G_s}]_{s ≤ t}) V),
//     then the fused epilogue.
//
// The delta rules replace grids 1 and 2 (TileLinearAttentionDelta.cpp:
// the UT transform per chunk, then a recurrence over chunks that also
// gives the chunk's new values W) and grid 3 reads W where V was.
//
// Every product is an mma.sync m16n8k16 (operands rounded to the input
// type, f32 accumulation; S_c is read from the f32 scratch and rounded
// when it is loaded as a B fragment). The states are computed once per
// kv head (GQA): the query heads of a kv head read the same S_c. The
// scratch holds [B, states, chunks, Dk, Dv] f32 and [B, states, chunks].
//
// A decay per key dimension takes G per key (chunks of 32 at D = 128) and
// the outputs' scores of PerKeyDecayScores.cpp.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuLinearAttention.h"
#include "Gpu/MmaFragments.h"
#include "Tiling/WorkEstimate.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kPad = 8;
static constexpr int64_t kScanThreads = 256;
/// Head dimensions the register tiles take: Dv / 8 accumulators and Dk / 16
/// fragments a thread.
static constexpr int64_t kMaxHeadDim = 128;

/// Shared bytes of the state and output kernels: the chunk's K and V
/// (operand type, rows padded by 8 against bank conflicts), its
/// cumulative decays and 16 rows of S_c; with the delta rules, the most of
/// those and of the delta kernels' tiles.
static int64_t chunkSharedBytes(int64_t chunk, int64_t dk, int64_t dv,
                                bool delta, int64_t decayCols) {
  // (and 16 rows of S_c in the outputs kernel)
  int64_t bytes = 2 * chunk * ((dk + kPad) + (dv + kPad)) +
                  sharedBufferStart(4 * (chunk + 1) * decayCols) +
                  2 * 16 * (dv + kPad);
  if (delta)
    bytes = std::max(bytes, deltaSharedBytes(chunk, dk, decayCols));
  return bytes;
}

/// The longest chunk (64, 32 or 16 steps) whose tiles fit, or 0.
static int64_t chunkFor(int64_t dk, int64_t dv, bool delta, int64_t decayCols) {
  for (int64_t c : {64, 32, 16})
    if (chunkSharedBytes(c, dk, dv, delta, decayCols) <= kMaxStaticSharedBytes)
      return c;
  return 0;
}

static bool isDelta(LinearAttentionOp op) {
  return op.getUpdateRule() == UpdateRule::Delta ||
         op.getUpdateRule() == UpdateRule::GatedDelta;
}

bool hydra::canUseMma(LinearAttentionOp op) {
  auto q = cast<MemRefType>(op.getQuery().getType());
  auto v = cast<MemRefType>(op.getValue().getType());
  Type e = q.getElementType();
  int64_t dk = q.getDimSize(3), dv = v.getDimSize(3);
  // A decay per key dimension keeps G per key in shared memory.
  bool perKeyDecay =
      op.getDecay() && cast<MemRefType>(op.getDecay().getType()).getRank() == 4;
  return (e.isF16() || e.isBF16()) &&
         cast<MemRefType>(op.getKey().getType()).getElementType() == e &&
         v.getElementType() == e && dk % 16 == 0 && dk <= kMaxHeadDim &&
         dv % (isDelta(op) ? kDeltaColumns : 8) == 0 && dv <= kMaxHeadDim &&
         chunkFor(dk, dv, isDelta(op), perKeyDecay ? dk : 1) != 0;
}

ChunkForm::ChunkForm(KernelBuilder &kb, LinearAttentionOp op)
    : op(op), q(op.getQuery()), k(op.getKey()), v(op.getValue()),
      decay(op.getDecay()), beta(op.getBeta()), delta(isDelta(op)),
      betaPerHead(beta && cast<MemRefType>(beta.getType()).getDimSize(1) != 1),
      perKeyDecay(decay && cast<MemRefType>(decay.getType()).getRank() == 4),
      groups(KvHeadGroups::of(op)) {
  auto qType = cast<MemRefType>(q.getType());
  e = qType.getElementType();
  dk = qType.getDimSize(3);
  dv = cast<MemRefType>(v.getType()).getDimSize(3);
  chunk = chunkFor(dk, dv, delta, decayCols());
  std::optional<ArrayRef<int64_t>> stateHeads = op.getStateHeads();
  groupOfListed.assign(op.getHeads().size(), 0);
  for (int64_t g = 0, e = groups.kvHeads.size(); g < e; ++g) {
    int64_t first = groups.listed[g * groups.width];
    stateOfGroup.push_back(stateHeads ? (*stateHeads)[first]
                                      : groups.kvHeads[g]);
    for (int64_t i = 0; i < groups.counts[g]; ++i)
      groupOfListed[groups.listed[g * groups.width + i]] = g;
  }
  for (int64_t n = 0, e = op.getHeads().size(); n < e; ++n)
    kvOfListed.push_back(op.getKvHead(n));

  batch = kb.dim(q, 0);
  keyLen = kb.dim(k, 2);
  lastStep = kb.sub(keyLen, kb.index(1));
  numChunks = kb.ceilDivConst(keyLen, chunk);
  auto kType = cast<MemRefType>(k.getType());
  if (!kType.isDynamicDim(2))
    staticStep = kType.getDimSize(2) == 1;
  // 1 for a one-step call (T = 1), else 0: the step form's grids have
  // blocks only then, the chunk form's only otherwise.
  Value c1 = kb.index(1);
  step = staticStep
             ? kb.index(*staticStep ? 1 : 0)
             : kb.sub(c1, kb.min(kb.max(kb.sub(keyLen, c1), kb.sub(c1, keyLen)),
                                 1));
  chunkGrid = staticStep ? (*staticStep ? kb.index(0) : numChunks)
                         : kb.mulDynamic(numChunks, kb.sub(c1, step));
  OpBuilder &b = kb.builder();
  int64_t numGroups = groups.kvHeads.size();
  int64_t dyn = ShapedType::kDynamic;
  states = memref::AllocOp::create(
      b, kb.getLoc(),
      MemRefType::get({dyn, numGroups, dyn, dk, dv}, b.getF32Type()),
      ValueRange{batch, numChunks});
  decays = memref::AllocOp::create(
      b, kb.getLoc(),
      MemRefType::get({dyn, numGroups, dyn, decayCols()}, b.getF32Type()),
      ValueRange{batch, numChunks});
  if (delta && staticStep != true) {
    auto perChunk = [&](int64_t cols, Type type) {
      return memref::AllocOp::create(
          b, kb.getLoc(),
          MemRefType::get({dyn, numGroups, dyn, chunk, cols}, type),
          ValueRange{batch, numChunks});
    };
    values = perChunk(dv, b.getF32Type());
    keyWeights = perChunk(dk, e);
  }
}

Value ChunkForm::cumulative(KernelBuilder &kb, Value gT, Value s,
                            Value d) const {
  return kb.load(gT, {s, perKeyDecay ? d : kb.index(0)});
}

Value ChunkForm::betaAt(KernelBuilder &kb, Value bi, Value kvh,
                        Value step) const {
  return kb.load(beta, {bi, betaPerHead ? kvh : kb.index(0), step});
}

ChunkForm::Tiles ChunkForm::tiles(GpuKernelBuilder &gb, bool withValues) const {
  Tiles t;
  t.kT = gb.shared({chunk, dk + kPad}, e);
  if (withValues)
    t.vT = gb.shared({chunk, dv + kPad}, e);
  t.gT = gb.shared({chunk + 1, decayCols()});
  return t;
}

ChunkForm::Tiles ChunkForm::stage(GpuKernelBuilder &gb, Value bi, Value kvh,
                                  Value g, Value c, bool withValues) const {
  Tiles t = tiles(gb, withValues);
  stageInto(gb, t, bi, kvh, g, c);
  return t;
}

void ChunkForm::stageInto(GpuKernelBuilder &gb, Tiles &tiles, Value bi,
                          Value kvh, Value g, Value c) const {
  KernelBuilder &kb = gb.kb;
  Value start = kb.mul(c, chunk);
  Value len = kb.min(kb.sub(keyLen, start), chunk);
  tiles.start = start;
  tiles.len = len;
  Value kT = tiles.kT, vT = tiles.vT, gT = tiles.gT;
  bool withValues = bool(vT);
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  auto ult = [&](Value x, Value bound) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, bound);
  };
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(e));
  // Rows past `len` are zeros: they add nothing to a product.
  auto rowOf = [&](Value buffer) {
    return [&, buffer](Value t, Value d) {
      Value step = kb.min(kb.add(start, t), lastStep);
      Value x =
          memref::LoadOp::create(b, loc, buffer, ValueRange{bi, kvh, step, d})
              .getResult();
      return arith::SelectOp::create(b, loc, ult(t, len), x, zero).getResult();
    };
  };
  gb.fill(kT, chunk, dk, rowOf(k));
  if (withValues && delta)
    // The chunk's new values W (zeros past its length already).
    gb.fill(vT, chunk, dv, [&](Value t, Value d) {
      Value x =
          memref::LoadOp::create(b, loc, values, ValueRange{bi, g, c, t, d});
      return arith::TruncFOp::create(b, loc, e, x).getResult();
    });
  else if (withValues)
    gb.fill(vT, chunk, dv, rowOf(v));
  Value c0 = kb.index(0), c1 = kb.index(1);
  kb.loop(gb.thread, kb.index(decayCols()), kb.index(gb.blockSize),
          [&](Value d) {
            Value total =
                kb.loop(c0, kb.index(chunk), c1, kb.f32(0.0f),
                        [&](Value t, ValueRange acc) {
                          Value g = kb.f32(0.0f);
                          if (decay) {
                            SmallVector<Value> at = {
                                bi, kvh, kb.min(kb.add(start, t), lastStep)};
                            if (perKeyDecay)
                              at.push_back(d);
                            g = kb.select(ult(t, len),
                                          kb.finiteLogDecay(kb.load(decay, at)),
                                          kb.f32(0.0f));
                          }
                          Value sum = kb.addf(acc[0], g);
                          kb.store(sum, gT, {t, d});
                          return SmallVector<Value>{sum};
                        })[0];
            kb.store(total, gT, {kb.index(chunk), d});
          });
  gb.barrier();
}

ChunkForm::Element ChunkForm::stateElement(GpuKernelBuilder &gb, Value block,
                                           int64_t threads) const {
  KernelBuilder &kb = gb.kb;
  int64_t elements = dk * dv;
  Value element = kb.add(kb.mul(block, threads), gb.thread);
  Value inRange = arith::CmpIOp::create(kb.builder(), kb.getLoc(),
                                        arith::CmpIPredicate::ult, element,
                                        kb.index(elements));
  element = kb.min(element, elements - 1);
  return {inRange, kb.divConst(element, dv), kb.remConst(element, dv)};
}

// ceil(T / C) ≤ T / C + 1 chunks.
void hydra::emitChunkWork(KernelBuilder &kb, const ChunkForm &f, double copies,
                          double flopsPerStep, double bytesPerStep) {
  WorkEstimate work;
  work.flops(copies * flopsPerStep, {f.batch, f.keyLen});
  // The decays (as f32: a bound for f16 ones), Dk a step with one per key.
  double decayBytes = f.decay ? 4.0 * double(f.decayCols()) : 0.0;
  work.bytes(copies * (bytesPerStep + decayBytes), {f.batch, f.keyLen});
  double state = copies * 4.0 * double(f.dk * f.dv);
  work.bytes(state / double(f.chunk), {f.batch, f.keyLen});
  work.bytes(state, {f.batch});
  work.emit(kb.builder(), kb.getLoc());
}

/// Grid 1: each (batch, group, chunk)'s ΔS_c and G_L.
void hydra::emitChunkStates(KernelBuilder &kb, const ChunkForm &f) {
  int64_t warps = f.dk / 16, threads = warps * hydra::kWarpSize;
  int64_t numGroups = f.groups.kvHeads.size();
  Operation *forall = kb.forall(
      "linear_attention_chunk_states_mma",
      {f.batch, kb.index(numGroups), f.chunkGrid}, [&](ValueRange ivs) {
        // Per step: K̃ᵀV (2 Dk Dv); K and V read once.
        emitChunkWork(kb, f, double(numGroups), 2.0 * double(f.dk * f.dv),
                      2.0 * double(f.dk + f.dv));

        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        MmaFragments m(kb, f.e, gb.lane);
        Value bi = ivs[0], g = ivs[1], c = ivs[2];
        Value kvh = kb.selectFrom(f.groups.kvHeads, g);
        ChunkForm::Tiles tiles = f.stage(gb, bi, kvh, g, c);
        Value kT = tiles.kT, vT = tiles.vT, gT = tiles.gT;

        // This warp's 16 rows of Dk: A[d][s] = K[s][d] e^{G_L − G_s} (G
        // of key dimension d with a decay per key).
        Value r0 = kb.mul(gb.warp, 16);
        Value last = kb.index(f.chunk);
        auto decayed = [&](Value d, Value s) {
          Value x = kb.load(kT, {s, d});
          return kb.mulf(x, kb.exp(kb.subf(f.cumulative(kb, gT, last, d),
                                           f.cumulative(kb, gT, s, d))));
        };
        SmallVector<Value> acc(f.dv / 8, m.zerosC());
        for (int64_t ks = 0; ks < f.chunk / 16; ++ks) {
          Value a = m.loadAWith(r0, kb.index(ks * 16), [&](Value d, Value s) {
            return m.pairOf(decayed(d, s), decayed(d, kb.add(s, kb.index(1))));
          });
          for (int64_t nt = 0; nt < f.dv / 8; ++nt)
            acc[nt] = m.mma(a, m.loadB(vT, kb.index(ks * 16), kb.index(nt * 8)),
                            acc[nt]);
        }
        for (int64_t nt = 0; nt < f.dv / 8; ++nt)
          for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 2; ++j)
              kb.store(m.at(acc[nt], i, j), f.states,
                       {bi, g, c, kb.add(kb.add(r0, m.g), kb.index(8 * i)),
                        m.accumulatorCol(nt, j)});
        kb.loop(gb.thread, kb.index(f.decayCols()), kb.index(threads),
                [&](Value d) {
                  kb.store(f.cumulative(kb, gT, last, d), f.decays,
                           {bi, g, c, d});
                });
      });
  forall->setAttr(kBlockSizeAttrName, kb.builder().getI64IntegerAttr(threads));
}

/// Grid 2: the recurrence over chunk states, a thread per element.
void hydra::emitChunkScan(KernelBuilder &kb, const ChunkForm &f) {
  int64_t elements = f.dk * f.dv;
  int64_t numGroups = f.groups.kvHeads.size();
  LinearAttentionOp op = f.op;
  Value initial = op.getInitialState(), final = op.getFinalStateInit();
  Operation *forall = kb.forall(
      "linear_attention_chunk_scan",
      // None for a one-step call: the step form writes the final state.
      {f.batch, kb.index(numGroups),
       f.staticStep ? kb.index((elements + kScanThreads - 1) / kScanThreads)
                    : kb.mulDynamic(kb.index((elements + kScanThreads - 1) /
                                             kScanThreads),
                                    kb.sub(kb.index(1), f.step))},
      [&](ValueRange ivs) {
        WorkEstimate work;
        double state = double(numGroups * elements);
        work.flops(2.0 * state / double(f.chunk), {f.batch, f.keyLen});
        work.bytes(8.0 * state / double(f.chunk), {f.batch, f.keyLen});
        work.bytes(8.0 * state, {f.batch});
        work.emit(kb.builder(), kb.getLoc());

        GpuKernelBuilder gb(kb, kScanThreads);
        gb.begin();
        Value bi = ivs[0], g = ivs[1];
        ChunkForm::Element at = f.stateElement(gb, ivs[2], kScanThreads);
        Value inRange = at.inRange, d = at.row, col = at.col;
        Value stateh = kb.selectFrom(f.stateOfGroup, g);
        Value s0 =
            initial ? kb.load(initial, {bi, stateh, d, col}) : kb.f32(0.0f);
        Value last = kb.loop(
            kb.index(0), f.numChunks, kb.index(1), {s0},
            [&](Value c, ValueRange it) {
              Value delta = kb.load(f.states, {bi, g, c, d, col});
              kb.ifThen(inRange,
                        [&] { kb.store(it[0], f.states, {bi, g, c, d, col}); });
              Value decayAll = kb.exp(kb.load(
                  f.decays, {bi, g, c, f.perKeyDecay ? d : kb.index(0)}));
              return SmallVector<Value>{
                  kb.addf(kb.mulf(it[0], decayAll), delta)};
            })[0];
        if (final)
          kb.ifThen(inRange, [&] {
            kb.storeConverted(last, final, {bi, stateh, d, col});
          });
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(kScanThreads));
}

/// Grid 3: each (batch, listed head, chunk)'s outputs.
void hydra::emitChunkOutputs(KernelBuilder &kb, const ChunkForm &f) {
  LinearAttentionOp op = f.op;
  int64_t warps = f.chunk / 16, threads = warps * hydra::kWarpSize;
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  float scale = op.getScale().convertToFloat();
  Operation *forall = kb.forall(
      "linear_attention_chunk_outputs_mma",
      {f.batch, kb.index(heads.size()), f.chunkGrid}, [&](ValueRange ivs) {
        // Per step: Q S_c (2 Dk Dv), QKᵀ and A V (2 C (Dk + Dv)); q, k, v
        // read and o written once.
        emitChunkWork(kb, f, double(heads.size()),
                      2.0 * double(f.dk * f.dv + f.chunk * (f.dk + f.dv)),
                      2.0 * double(2 * f.dk + 2 * f.dv));

        GpuKernelBuilder gb(kb, threads);
        gb.begin();
        MmaFragments m(kb, f.e, gb.lane);
        OpBuilder &b = kb.builder();
        Location loc = kb.getLoc();
        Value bi = ivs[0], c = ivs[2];
        Value h = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        Value kvh = kb.selectFrom(f.kvOfListed, ivs[1]);
        Value g = kb.selectFrom(f.groupOfListed, ivs[1]);
        Value slot = writesAll ? h : ivs[1];
        ChunkForm::Tiles tiles = f.stage(gb, bi, kvh, g, c);
        Value sT = gb.shared({16, f.dv + kPad}, f.e); // 16 rows of S_c
        Value start = tiles.start, len = tiles.len;
        Value kT = tiles.kT, vT = tiles.vT, gT = tiles.gT;

        // This warp's 16 rows; Q's fragments straight from memory (rows
        // past the end read the last row and are not stored). With a decay
        // per key, Q ⊙ e^{G_t} instead (below): Q S_c needs no row decay.
        Value r0 = kb.mul(gb.warp, 16);
        Value rows[2] = {kb.add(r0, m.g), kb.add(kb.add(r0, m.g), kb.index(8))};
        auto queryAt = [&](Value r, Value d) {
          return kb.load(f.q, {bi, h, kb.min(kb.add(start, r), f.lastStep), d});
        };
        SmallVector<Value> qFrags;
        if (!f.perKeyDecay)
          for (int64_t ks = 0; ks < f.dk / 16; ++ks)
            qFrags.push_back(
                m.loadAWith(r0, kb.index(ks * 16), [&](Value r, Value col) {
                  Value step = kb.min(kb.add(start, r), f.lastStep);
                  return vector::LoadOp::create(b, loc, m.pair(), f.q,
                                                ValueRange{bi, h, step, col})
                      .getResult();
                }));
        // A decay per head: G_t of the lane's two rows.
        Value gRow[2];
        if (!f.perKeyDecay)
          for (int64_t i = 0; i < 2; ++i)
            gRow[i] = f.cumulative(kb, gT, rows[i]);

        // A = (Q Kᵀ) ⊙ [e^{G_t − G_s}]_{s ≤ t}, as A fragments of k16 steps.
        SmallVector<Value> scores;
        if (f.perKeyDecay)
          scores = perKeyScores(kb, f, m, gb.warp, tiles, r0, rows, queryAt,
                                /*strict=*/false);
        else
          for (int64_t nt = 0; nt < f.chunk / 8; ++nt) {
            Value acc = m.productWithRows(qFrags, kT, kb.index(nt * 8));
            for (int64_t i = 0; i < 2; ++i)
              for (int64_t j = 0; j < 2; ++j) {
                Value col = m.accumulatorCol(nt, j);
                Value keep = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::ule, col, rows[i]);
                Value weight =
                    kb.exp(kb.subf(gRow[i], f.cumulative(kb, gT, col)));
                acc = m.set(acc,
                            kb.select(keep, kb.mulf(m.at(acc, i, j), weight),
                                      kb.f32(0.0f)),
                            i, j);
              }
            scores.push_back(acc);
          }
        SmallVector<Value> aFrags;
        for (int64_t kc = 0; kc < f.chunk / 16; ++kc)
          aFrags.push_back(m.stack({m.accumulatorPair(scores[2 * kc], 0),
                                    m.accumulatorPair(scores[2 * kc], 1),
                                    m.accumulatorPair(scores[2 * kc + 1], 0),
                                    m.accumulatorPair(scores[2 * kc + 1], 1)}));

        // With a decay per key, Q ⊙ e^{G_t} only now: its registers are not
        // live while the scores are made.
        if (f.perKeyDecay)
          qFrags = perKeyDecayedRows(kb, f, m, tiles, r0, Value(), queryAt);

        // O = e^{G_t} ⊙ (Q S_c) + A V, every n8 tile at once: S_c's rows
        // pass through shared memory 16 at a time (coalesced, rounded to
        // the input type), the B fragments of S_c and V leave it by
        // ldmatrix.trans.
        SmallVector<Value> acc(f.dv / 8, m.zerosC());
        for (int64_t ks = 0; ks < f.dk / 16; ++ks) {
          gb.barrier(); // the last step's fragments are read
          gb.fill(sT, 16, f.dv, [&](Value r, Value n) {
            Value x = memref::LoadOp::create(
                b, loc, f.states,
                ValueRange{bi, g, c, kb.add(r, kb.index(ks * 16)), n});
            return arith::TruncFOp::create(b, loc, f.e, x).getResult();
          });
          gb.barrier();
          m.accumulateTiles(qFrags[ks], sT, kb.index(0), acc);
        }
        if (!f.perKeyDecay)
          for (Value &tile : acc)
            for (int64_t i = 0; i < 2; ++i) {
              Value decayRow = kb.exp(gRow[i]);
              for (int64_t j = 0; j < 2; ++j)
                tile = m.set(tile, kb.mulf(m.at(tile, i, j), decayRow), i, j);
            }
        for (int64_t kc = 0; kc < f.chunk / 16; ++kc)
          m.accumulateTiles(aFrags[kc], vT, kb.index(kc * 16), acc);
        LaneRow out[2];
        for (int64_t nt = 0; nt < f.dv / 8; ++nt)
          for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 2; ++j) {
              out[i].o.push_back(kb.mulf(m.at(acc[nt], i, j), kb.f32(scale)));
              out[i].cols.push_back(m.accumulatorCol(nt, j));
              out[i].inRow.push_back(Value());
            }
        for (int64_t i = 0; i < 2; ++i)
          emitLaneRowEpilogue(
              kb, out[i], Value(), [&](Value x) { return gb.quadSum(x); },
              op.getInit(), {bi, slot, kb.add(start, rows[i])},
              op.getFusionScale(), h, f.dv,
              op.getFusionEpsilon().convertToFloat(),
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rows[i],
                                    len));
      });
  forall->setAttr(kBlockSizeAttrName, kb.builder().getI64IntegerAttr(threads));
}

LogicalResult hydra::tileLinearAttentionMma(RewriterBase &rewriter,
                                            LinearAttentionOp op) {
  rewriter.setInsertionPoint(op);
  KernelBuilder kb(rewriter, op.getLoc());
  ChunkForm form(kb, op);
  // The sizes pick a form per call; static sizes, at compile time.
  if (form.staticStep != true) {
    if (form.delta) {
      emitDeltaChunkWeights(kb, form);
      emitDeltaRecurrence(kb, form);
    } else {
      emitChunkStates(kb, form);
      emitChunkScan(kb, form);
    }
    emitChunkOutputs(kb, form);
  }
  if (form.staticStep != false)
    emitStepForm(kb, form);
  rewriter.eraseOp(op);
  return success();
}

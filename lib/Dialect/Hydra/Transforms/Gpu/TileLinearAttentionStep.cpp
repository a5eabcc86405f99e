//===- TileLinearAttentionStep.cpp - a one-step call of linear attention --===//
//
// A decode step is one chunk of one step: the chunk form would run one
// block per (batch, kv head) and one per (batch, head). The step form
// spreads the same work over the state's elements and the outputs'
// columns instead, with g the step's log decay (0 without gating):
//
//  1. the new state, a thread per element: S = e^g S_0 + k vᵀ, into the
//     scratch's chunk 0 and the final state;
//  2. outputs, a warp per (batch, listed head, 8 value columns):
//     o = scale · qᵀ S, each column a warp reduction over Dk;
//  3. with the fused merge, its normalization: a warp per output row over
//     the unnormalized rows (an f32 scratch), O(heads · Dv) work.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuLinearAttention.h"
#include "Tiling/WorkEstimate.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

static constexpr int64_t kStateThreads = 256;
static constexpr int64_t kColumnsPerWarp = 8;

/// Grid 1: the new state.
static void emitStepState(KernelBuilder &kb, const ChunkForm &f) {
  LinearAttentionOp op = f.op;
  int64_t elements = f.dk * f.dv;
  int64_t numGroups = f.groups.kvHeads.size();
  Value initial = op.getInitialState(), final = op.getFinalStateInit();
  Operation *forall = kb.forall(
      "linear_attention_step_state",
      {f.batch, kb.index(numGroups),
       kb.mul(f.step, (elements + kStateThreads - 1) / kStateThreads)},
      [&](ValueRange ivs) {
        f.emitStepStateWork(kb, 3.0);
        GpuKernelBuilder gb(kb, kStateThreads);
        gb.begin();
        Value bi = ivs[0], g = ivs[1], c0 = kb.index(0);
        ChunkForm::Element at = f.stateElement(gb, ivs[2], kStateThreads);
        Value inRange = at.inRange, d = at.row, col = at.col;
        Value kvh = kb.selectFrom(f.groups.kvHeads, g);
        Value stateh = kb.selectFrom(f.stateOfGroup, g);
        Value s = kb.mulf(kb.load(f.k, {bi, kvh, c0, d}),
                          kb.load(f.v, {bi, kvh, c0, col}));
        if (initial) {
          Value s0 = kb.load(initial, {bi, stateh, d, col});
          if (f.decay) {
            // Row d of the state decays by the key dimension's g.
            SmallVector<Value> at = {bi, kvh, c0};
            if (f.perKeyDecay)
              at.push_back(d);
            s0 = kb.mulf(s0, kb.exp(kb.finiteLogDecay(kb.load(f.decay, at))));
          }
          s = kb.addf(s0, s);
        }
        kb.ifThen(inRange, [&] {
          kb.store(s, f.states, {bi, g, c0, d, col});
          if (final)
            kb.storeConverted(s, final, {bi, stateh, d, col});
        });
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(kStateThreads));
}

/// Grid 2: each listed head's output columns, into `rows` (f32, to be
/// normalized) or, without the fused merge, into the output.
static void emitStepOutputs(KernelBuilder &kb, const ChunkForm &f, Value rows) {
  LinearAttentionOp op = f.op;
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  float scale = op.getScale().convertToFloat();
  int64_t rowsPerLane = (f.dk + kWarpSize - 1) / kWarpSize;
  Operation *forall = kb.forall(
      "linear_attention_step_outputs",
      {f.batch, kb.index(heads.size()),
       kb.mul(f.step, (f.dv + kColumnsPerWarp - 1) / kColumnsPerWarp)},
      [&](ValueRange ivs) {
        WorkEstimate work;
        double n = double(heads.size());
        work.flops(n * 2.0 * double(f.dk * f.dv), {f.batch});
        work.bytes(n * 4.0 * double(f.dk * f.dv), {f.batch});
        work.emit(kb.builder(), kb.getLoc());
        GpuKernelBuilder gb(kb, kWarpSize);
        gb.begin();
        OpBuilder &b = kb.builder();
        Location loc = kb.getLoc();
        Value bi = ivs[0], c0 = kb.index(0);
        Value h = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        Value g = kb.selectFrom(f.groupOfListed, ivs[1]);
        Value slot = writesAll ? h : ivs[1];
        Value first = kb.mul(ivs[2], kColumnsPerWarp);
        // This lane's rows of Dk: lane, lane + 32, ... (zero past Dk).
        SmallVector<Value> qRow, dRow, inDk;
        for (int64_t r = 0; r < rowsPerLane; ++r) {
          Value d = kb.add(gb.lane, kb.index(r * kWarpSize));
          inDk.push_back(arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, d, kb.index(f.dk)));
          dRow.push_back(kb.min(d, f.dk - 1));
          qRow.push_back(kb.select(inDk.back(),
                                   kb.load(f.q, {bi, h, c0, dRow.back()}),
                                   kb.f32(0.0f)));
        }
        Value leader = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             gb.lane, c0);
        for (int64_t j = 0; j < kColumnsPerWarp; ++j) {
          Value col = kb.add(first, kb.index(j));
          Value inDv = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                             col, kb.index(f.dv));
          col = kb.min(col, f.dv - 1);
          Value partial = kb.f32(0.0f);
          for (int64_t r = 0; r < rowsPerLane; ++r)
            partial = kb.addf(
                partial,
                kb.mulf(qRow[r], kb.load(f.states, {bi, g, c0, dRow[r], col})));
          Value o = kb.mulf(gb.warpSum(partial), kb.f32(scale));
          kb.ifThen(arith::AndIOp::create(b, loc, leader, inDv), [&] {
            if (rows)
              kb.store(o, rows, {bi, ivs[1], col});
            else
              kb.storeConverted(o, op.getInit(), {bi, slot, c0, col});
          });
        }
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(kWarpSize));
}

/// Grid 3 (fused merge): each output row normalized, a warp a row.
static void emitStepNormalize(KernelBuilder &kb, const ChunkForm &f,
                              Value rows) {
  LinearAttentionOp op = f.op;
  SmallVector<int64_t> heads(op.getHeads());
  bool writesAll = op.writesAllHeads();
  Operation *forall = kb.forall(
      "linear_attention_step_normalize",
      {f.batch, kb.index(heads.size()), f.step}, [&](ValueRange ivs) {
        WorkEstimate work;
        work.flops(double(heads.size()) * 4.0 * double(f.dv), {f.batch});
        work.bytes(double(heads.size()) * 6.0 * double(f.dv), {f.batch});
        work.emit(kb.builder(), kb.getLoc());
        GpuKernelBuilder gb(kb, kWarpSize);
        gb.begin();
        Value bi = ivs[0];
        Value h = emitHeadIndex(kb, heads, ivs[1], /*selects=*/true);
        LaneRow row = warpRowColumns(kb, gb.lane, f.dv);
        for (Value col : row.cols)
          row.o.push_back(kb.load(rows, {bi, ivs[1], col}));
        emitLaneRowEpilogue(
            kb, row, Value(), [&](Value x) { return gb.warpSum(x); },
            op.getInit(), {bi, writesAll ? h : ivs[1], kb.index(0)},
            op.getFusionScale(), h, f.dv,
            op.getFusionEpsilon().convertToFloat(), Value());
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(kWarpSize));
}

void ChunkForm::emitStepStateWork(KernelBuilder &kb,
                                  double flopsPerElement) const {
  // The states read and written (f32, the final state too).
  WorkEstimate work;
  double state = double(groups.kvHeads.size() * dk * dv);
  work.flops(flopsPerElement * state, {batch});
  work.bytes(12.0 * state, {batch});
  work.emit(kb.builder(), kb.getLoc());
}

void hydra::emitStepForm(KernelBuilder &kb, const ChunkForm &f) {
  if (f.delta)
    emitDeltaStepState(kb, f);
  else
    emitStepState(kb, f);
  Value rows;
  if (f.op.getFusionScale())
    rows = memref::AllocOp::create(
        kb.builder(), kb.getLoc(),
        MemRefType::get(
            {ShapedType::kDynamic, int64_t(f.op.getHeads().size()), f.dv},
            kb.builder().getF32Type()),
        ValueRange{f.batch});
  emitStepOutputs(kb, f, rows);
  if (rows)
    emitStepNormalize(kb, f, rows);
}

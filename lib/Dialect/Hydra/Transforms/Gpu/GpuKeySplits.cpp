//===- GpuKeySplits.cpp - split-KV full attention on the GPU --------------===//
//
// A decode step launches one block per (batch, head): a handful of blocks
// on a GPU of 132 SMs, each walking the whole cache. Flash-decoding splits
// the keys instead: the grid gains a split dimension sized, per call, so
// that the launch has about kTargetBlocks blocks (never slices of fewer
// than kMinSplitKeys keys, never more than kMaxSplits), each block leaves
// its rows' partial softmax state, and a combine kernel merges the splits.
// The same sizing serves a short prefill on a long cache. With one split
// the partials are empty and the combine grid has no blocks.
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::hydra;

/// Keys a split takes at least: four 32-key tiles, so that a slice's
/// partials (Dv + 2 floats a row) stay small next to the keys it reads.
static constexpr int64_t kMinSplitKeys = 128;
static constexpr int64_t kMaxSplits = 256;
/// A warp a row of the combine.
static constexpr int64_t kCombineThreads = kWarpSize;

namespace {
/// Index arithmetic on numbers known now (sizes static at compile time)...
struct StaticIndex {
  int64_t constant(int64_t v) const { return v; }
  int64_t ceilDiv(int64_t x, int64_t y) const { return (x + y - 1) / y; }
  int64_t min(int64_t x, int64_t y) const { return std::min(x, y); }
  int64_t max(int64_t x, int64_t y) const { return std::max(x, y); }
};
/// ... and the same as IR, for sizes known per call.
struct IrIndex {
  KernelBuilder &kb;
  Value constant(int64_t v) const { return kb.index(v); }
  Value ceilDiv(Value x, Value y) const { return kb.ceilDiv(x, y); }
  Value min(Value x, Value y) const { return kb.min(x, y); }
  Value max(Value x, Value y) const { return kb.max(x, y); }
};
} // namespace

/// The number of splits for a grid of `tileBlocks` blocks on `keyLen`
/// keys: enough for kTargetBlocks blocks, slices of kMinSplitKeys keys or
/// more, at most kMaxSplits. Written once for both kinds of index.
template <typename Index, typename T>
static T splitsFor(const Index &a, T tileBlocks, T keyLen) {
  T one = a.constant(1);
  T wanted = a.ceilDiv(a.constant(kTargetBlocks), a.max(tileBlocks, one));
  T byKeys = a.ceilDiv(keyLen, a.constant(kMinSplitKeys));
  return a.max(a.min(a.min(wanted, byKeys), a.constant(kMaxSplits)), one);
}

GpuKeySplits::GpuKeySplits(KernelBuilder &kb, FullAttentionOp op,
                           int64_t queryRowsPerBlock)
    : keyLen(kb.dim(op.getKey(), 2)),
      dv(cast<MemRefType>(op.getValue().getType()).getDimSize(3)) {
  Value q = op.getQuery();
  auto qType = cast<MemRefType>(q.getType());
  auto kType = cast<MemRefType>(op.getKey().getType());
  int64_t heads = op.getHeads().size();
  Value batch = kb.dim(q, 0), queryLen = kb.dim(q, 2);
  Value numTiles = kb.ceilDivConst(queryLen, queryRowsPerBlock);
  if (!qType.isDynamicDim(0) && !qType.isDynamicDim(2) &&
      !kType.isDynamicDim(2)) {
    // Static sizes: the choice is made here, and one split needs neither
    // partials nor a combine.
    StaticIndex a;
    int64_t tiles = a.ceilDiv(qType.getDimSize(2), queryRowsPerBlock);
    int64_t splits =
        splitsFor(a, qType.getDimSize(0) * heads * tiles, kType.getDimSize(2));
    numSplits = kb.index(splits);
    perSplit = kb.ceilDiv(keyLen, numSplits);
    if (splits == 1)
      return;
    partials = memref::AllocOp::create(
        kb.builder(), kb.getLoc(),
        MemRefType::get(
            {qType.getDimSize(0), heads, qType.getDimSize(2), splits, dv + 2},
            kb.builder().getF32Type()));
    return;
  }
  // The same choice per call, from the sizes.
  Value c1 = kb.index(1);
  Value tileBlocks =
      kb.mulDynamic(kb.mulDynamic(batch, kb.index(heads)), numTiles);
  numSplits = splitsFor(IrIndex{kb}, tileBlocks, keyLen);
  perSplit = kb.ceilDiv(keyLen, numSplits);
  // 0 or 1: whether there are several splits (then the partials have rows).
  Value several = kb.min(kb.sub(numSplits, c1), 1);
  partials = memref::AllocOp::create(
      kb.builder(), kb.getLoc(),
      MemRefType::get({ShapedType::kDynamic, heads, ShapedType::kDynamic,
                       ShapedType::kDynamic, dv + 2},
                      kb.builder().getF32Type()),
      ValueRange{batch, kb.mulDynamic(queryLen, several), numSplits});
}

Value GpuKeySplits::begin(KernelBuilder &kb, Value split) const {
  return kb.min(kb.mulDynamic(split, perSplit), keyLen);
}

Value GpuKeySplits::end(KernelBuilder &kb, Value begin) const {
  return kb.min(kb.add(begin, perSplit), keyLen);
}

void GpuKeySplits::finishLaneRow(KernelBuilder &kb, FullAttentionOp op,
                                 const LaneRow &row, Value rowMax, Value rowSum,
                                 function_ref<Value(Value)> laneSum,
                                 Value statsWriter, Value valid,
                                 ValueRange outIdx, Value head,
                                 ValueRange partialIdx) const {
  auto finish = [&] {
    emitLaneRowEpilogue(kb, row, rowSum, laneSum, op.getInit(), outIdx,
                        op.getFusionScale(), head, dv,
                        op.getFusionEpsilon().convertToFloat(), valid);
  };
  if (!partials)
    return finish();
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  kb.ifThen(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, numSplits,
                                  kb.index(1)),
            finish, [&] {
              kb.ifThen(valid, [&] {
                SmallVector<Value> idx(partialIdx);
                idx.push_back(Value());
                for (auto [j, xj] : llvm::enumerate(row.o)) {
                  Value x = xj; // a lambda may not capture a binding (C++17)
                  idx.back() = row.cols[j];
                  if (!row.inRow[j]) {
                    kb.store(x, partials, idx);
                    continue;
                  }
                  kb.ifThen(row.inRow[j], [&] { kb.store(x, partials, idx); });
                }
                kb.ifThen(statsWriter, [&] {
                  idx.back() = kb.index(dv);
                  kb.store(rowMax, partials, idx);
                  idx.back() = kb.index(dv + 1);
                  kb.store(rowSum, partials, idx);
                });
              });
            });
}

void hydra::emitGpuCombine(KernelBuilder &kb, FullAttentionOp op,
                           const GpuKeySplits &splits) {
  Value partials = splits.partials;
  if (!partials)
    return;
  int64_t dv = splits.dv;
  FullAttentionAttrs attrs(op);
  Value c0 = kb.index(0), c1 = kb.index(1);
  Operation *forall = kb.forall(
      "full_attention_combine",
      {kb.dim(partials, 0), kb.index(attrs.heads.size()), kb.dim(partials, 2)},
      [&](ValueRange ivs) {
        emitCombineWork(kb, op, partials);
        GpuKernelBuilder gb(kb, kCombineThreads);
        gb.begin();
        Value bi = ivs[0], n = ivs[1], i = ivs[2];
        Value h = emitHeadIndex(kb, attrs.heads, n, /*selects=*/true);
        Value numSplits = kb.dim(partials, 3);
        auto stat = [&](Value s, int64_t col) {
          return kb.load(partials, {bi, n, i, s, kb.index(col)});
        };
        Value m = kb.loop(
            c0, numSplits, c1, {kb.negInf()}, [&](Value s, ValueRange it) {
              return SmallVector<Value>{kb.maxf(it[0], stat(s, dv))};
            })[0];
        // A row with every key masked keeps max −inf (and NaN, as the
        // unsplit form gives).
        Value safe = emitOnlineRescale(kb, m, m).first;
        LaneRow row = warpRowColumns(kb, gb.lane, dv);
        SmallVector<Value> init(row.cols.size() + 1, kb.f32(0.0f));
        SmallVector<Value> sums =
            kb.loop(c0, numSplits, c1, init, [&](Value s, ValueRange it) {
              Value w = kb.exp(kb.subf(stat(s, dv), safe));
              SmallVector<Value> next = {
                  kb.addf(it[0], kb.mulf(w, stat(s, dv + 1)))};
              for (auto [j, col] : llvm::enumerate(row.cols))
                next.push_back(
                    kb.addf(it[j + 1],
                            kb.mulf(w, kb.load(partials, {bi, n, i, s, col}))));
              return next;
            });
        row.o.assign(sums.begin() + 1, sums.end());
        emitLaneRowEpilogue(
            kb, row, sums[0], [&](Value x) { return gb.warpSum(x); },
            op.getInit(), {bi, attrs.writesAll ? h : n, i}, op.getFusionScale(),
            h, dv, attrs.epsilon, Value());
      });
  forall->setAttr(kBlockSizeAttrName,
                  kb.builder().getI64IntegerAttr(kCombineThreads));
}

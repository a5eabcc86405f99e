//===- AttentionTiling.h - tiled kernels of the part ops ------*- C++ -*-===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_ATTENTIONTILING_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_ATTENTIONTILING_H

#include "Tiling/KernelBuilder.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::hydra {

struct AttentionTiling {
  int64_t queryTile;
  int64_t keyTile;
  int64_t chunkSize;
};

/// The part ops under `root` for a tiling pass named `pass`: bufferized
/// hydra.full_attention and hydra.linear_attention. Fails, with an error on
/// the op, when a tensor-level part op or a hybrid op or merge is left.
FailureOr<SmallVector<Operation *>> collectBufferizedParts(Operation *root,
                                                           StringRef pass);

/// Replaces a bufferized hydra.full_attention by its online-softmax loops.
void tileFullAttention(RewriterBase &rewriter, FullAttentionOp op,
                       const AttentionTiling &tiling);

/// Replaces a bufferized hydra.linear_attention by its chunkwise loops.
void tileLinearAttention(RewriterBase &rewriter, LinearAttentionOp op,
                         const AttentionTiling &tiling);

/// The query head that the n-th entry of `heads` names. A set of heads
/// that is not a run is looked up in a constant vector, or with `selects`
/// (GPU code, where a vector lookup at a run-time position goes through
/// local memory) by a chain of selects.
Value emitHeadIndex(KernelBuilder &kb, ArrayRef<int64_t> heads, Value n,
                    bool selects = false);

/// A part op's listed heads grouped by the kv head they read, in order of
/// first appearance, as flat [group][member] tables of listed indices
/// (padding repeats a group's last member; kernels read `counts[g]` of
/// them): the query heads of a kv head share its keys (a full-attention
/// decode) or its state (linear attention).
struct KvHeadGroups {
  /// From the kv head of each listed head.
  explicit KvHeadGroups(ArrayRef<int64_t> kvHeadOfListed);
  template <typename OpTy> static KvHeadGroups of(OpTy op) {
    SmallVector<int64_t> kv;
    for (int64_t n = 0, e = op.getHeads().size(); n < e; ++n)
      kv.push_back(op.getKvHead(n));
    return KvHeadGroups(kv);
  }
  SmallVector<int64_t> kvHeads, counts, listed;
  int64_t width = 0;
};

/// The kv head that the n-th listed head (query head `h`) of `op` reads:
/// h / (Hq / Hkv), or entry n of `kv_heads`.
Value emitKvHeadIndex(KernelBuilder &kb, FullAttentionOp op, Value n, Value h,
                      bool selects = false);

/// The state that the n-th listed head (of kv head `kvh`) of `op` reads
/// and writes: kvh, or entry n of `state_heads`.
Value emitStateIndex(KernelBuilder &kb, LinearAttentionOp op, Value n,
                     Value kvh, bool selects = false);

/// How far right of query row i its causal diagonal lies: keyLen − queryLen
/// for an `end_aligned` op (keys j ≤ i + shift are kept), else null (0).
Value emitCausalShift(KernelBuilder &kb, FullAttentionOp op, Value queryLen,
                      Value keyLen);
/// i + shift, or i for a null shift.
Value addShift(KernelBuilder &kb, Value i, Value shift);

/// Score `s` of query row fullIdx[2] and key fullIdx[3] after the mask:
/// plus a float mask, −inf where an i1 mask is false. The mask broadcasts
/// from the right against [B, Hq, S, T]; a static size-1 dim reads index 0.
Value emitMaskedScore(KernelBuilder &kb, Value mask, Value s,
                      ArrayRef<Value> fullIdx);

/// cap · tanh(s / cap), elementwise (scalars or vectors).
Value emitSoftcap(KernelBuilder &kb, Value s, float cap);

/// The online softmax's step from running max `oldMax` to `newMax`
/// (scalars or vectors of rows): the max to subtract from the scores and
/// the factor α = exp(m_old − m_new) that rescales the sum and the
/// accumulator. A row with every key masked so far keeps max −inf;
/// subtracting 0 instead keeps exp() at 0 rather than NaN.
std::pair<Value, Value> emitOnlineRescale(KernelBuilder &kb, Value oldMax,
                                          Value newMax);

/// 1 / sqrt(sumSquares / n + ε): the fused merge's normalization of an
/// output row of n elements whose squares sum to `sumSquares`.
Value emitInverseRms(KernelBuilder &kb, Value sumSquares, int64_t n,
                     float epsilon);

/// The epilogue shared by both paths: the optional scale-normalized fusion
/// (γ_h ⊙ o / sqrt(mean(o²) + ε)) on one output row, then its only store,
/// at out[outIdx..., :].
void emitEpilogueStore(KernelBuilder &kb, Value row, Value out,
                       ValueRange outIdx, Value fusionScale, Value head,
                       float epsilon);

/// hydra.work for a full-attention kernel whose iterations (CPU tiles, GPU
/// blocks) each take `rowsPerIteration` query rows.
void emitFullAttentionWork(KernelBuilder &kb, FullAttentionOp op,
                           int64_t rowsPerIteration);
/// hydra.work for the combine of a split full attention whose partials
/// are `partials` ([B, #heads, S, splits, Dv + 2]).
void emitCombineWork(KernelBuilder &kb, FullAttentionOp op, Value partials);
/// hydra.work for a linear-attention kernel doing `flopsPerStep` FLOPs a
/// step and head.
void emitLinearAttentionWork(KernelBuilder &kb, LinearAttentionOp op,
                             double flopsPerStep);

class GpuKernelBuilder;

/// The attributes every full-attention kernel reads.
struct FullAttentionAttrs {
  explicit FullAttentionAttrs(FullAttentionOp op);
  SmallVector<int64_t> heads;
  bool writesAll, causal;
  float scale, epsilon;
  std::optional<float> softcap;
};

/// One score of a GPU full-attention kernel, from the raw product q·k:
/// scaled, soft-capped, masked, and −inf for keys past the end or (causal)
/// after the query's diagonal (key query + shift). `lastQuery`/`lastKey`
/// clamp the mask's indices.
Value emitGpuScore(KernelBuilder &kb, FullAttentionOp op,
                   const FullAttentionAttrs &attrs, Value product, Value batch,
                   Value head, Value query, Value key, Value keyLen,
                   Value shift, Value lastQuery, Value lastKey);

/// For each listed head of a linear-attention op, whether it writes its kv
/// head's final state (the first listed head of each kv head does).
SmallVector<bool> finalStateWriters(LinearAttentionOp op);

/// The fused epilogue of one output row whose elements are spread over
/// lanes, written once for every GPU kernel: this lane's unnormalized
/// elements `o[j]` at columns `cols[j]` (`inRow[j]` false for a padding
/// column, which is neither counted nor stored), divided by `rowSum`
/// unless null; `laneSum` sums over the lanes that share the row (a warp,
/// a quad). Then γ ⊙ o / rms(o) with `gamma`, and one store per element at
/// out[outIdx..., col] where `valid` holds (null: always).
struct LaneRow {
  SmallVector<Value> o, cols, inRow;
};
void emitLaneRowEpilogue(KernelBuilder &kb, const LaneRow &row, Value rowSum,
                         function_ref<Value(Value)> laneSum, Value out,
                         ValueRange outIdx, Value gamma, Value head, int64_t dv,
                         float epsilon, Value valid);

/// The columns lane `lane` holds of a row spread over a warp, lane l
/// taking columns l, l + 32, ...: clamped to Dv − 1, with whether each is
/// in the row.
LaneRow warpRowColumns(KernelBuilder &kb, Value lane, int64_t dv);

/// Flash-decoding on the GPU: a full-attention grid of blocks (batch,
/// head, query tile) too small to fill the GPU (fewer than
/// kTargetBlocks, a decode step, a short prefill on a long cache) also
/// splits its keys, each block taking one slice. With one split (the
/// sizes of most prefills) blocks finish their rows; with more, each
/// leaves its rows' maximum, sum and unnormalized output in `partials`
/// ([B, #heads, S, splits, Dv + 2], f32) and a combine kernel merges them.
/// The choice is made per call from the sizes.
struct GpuKeySplits {
  /// Host side, before the grid of blocks of `queryRowsPerBlock` rows.
  /// With static sizes that give one split, `partials` is null.
  GpuKeySplits(KernelBuilder &kb, FullAttentionOp op,
               int64_t queryRowsPerBlock);
  Value numSplits, perSplit, partials;
  /// Block side: this split's keys [begin, end).
  Value begin(KernelBuilder &kb, Value split) const;
  Value end(KernelBuilder &kb, Value begin) const;
  /// Ends one output row spread over lanes (o unnormalized): with one
  /// split the fused epilogue of o / rowSum into out[outIdx..., :] (head
  /// `head`), else the row's partials at partials[partialIdx..., :] (the
  /// lane where `statsWriter` holds also stores its max and sum). Only
  /// where `valid` holds (a row past the end stores nothing).
  void finishLaneRow(KernelBuilder &kb, FullAttentionOp op, const LaneRow &row,
                     Value rowMax, Value rowSum,
                     function_ref<Value(Value)> laneSum, Value statsWriter,
                     Value valid, ValueRange outIdx, Value head,
                     ValueRange partialIdx) const;
  Value keyLen;
  int64_t dv;
};
/// The blocks a GPU full-attention launch aims for: two per SM of a
/// 132-SM H100 or H200.
inline constexpr int64_t kTargetBlocks = 264;

/// One block of a GPU full-attention grid over (batch, listed head, tile
/// of query rows, key split): its indices, the heads it reads and the slot
/// it writes, the sizes its code reads.
struct FullAttentionBlock {
  Value batch, listed, head, kvHead, slot, tile, split;
  Value queryLen, keyLen, lastQuery, lastKey;
  Value firstQuery; // the tile's first query row
  /// This block's keys: its split's, to the tile's last causal diagonal
  /// (`shift`: the causal shift of the query rows).
  struct Keys {
    Value shift, begin, splitEnd, end;
  };
  Keys keys(KernelBuilder &kb, FullAttentionOp op, const GpuKeySplits &splits,
            int64_t queryRows) const;
};
/// The grid every GPU full-attention form shares, at `kb`'s insertion
/// point: the key splits, an scf.forall of blocks of `blockThreads`
/// threads (named `computes`) over (batch, listed head, tiles of
/// `queryRows` rows, split) whose body is each block's work estimate,
/// thread indices and head indices, then `body`; then the combine.
void emitGpuFullAttentionGrid(
    KernelBuilder &kb, FullAttentionOp op, StringRef computes,
    int64_t queryRows, int64_t blockThreads,
    function_ref<void(GpuKernelBuilder &gb, const GpuKeySplits &splits,
                      const FullAttentionBlock &at)>
        body);

/// The combine kernel of a split grid: a warp per (batch, head, query
/// row) merges the splits (m = max m_s, l = Σ l_s e^{m_s − m},
/// o = Σ o_s e^{m_s − m} / l), then the fused epilogue.
void emitGpuCombine(KernelBuilder &kb, FullAttentionOp op,
                    const GpuKeySplits &splits);

/// The epilogue of the GPU linear-attention kernels: rows [0, len) of the
/// chunk's outputs, staged (f32, already scaled) in `staged` [C, Dv], a
/// warp a row: the fused normalization over the row, then one store per
/// element at out[batch, slot, start + t, :].
void emitStagedRowsEpilogue(GpuKernelBuilder &gb, LinearAttentionOp op,
                            Value staged, Value len, int64_t warps, Value batch,
                            Value head, Value slot, Value start);

/// The GPU forms: an scf.forall over the grid of blocks, marked with
/// `hydra.block_size`, whose body is one block's code. Fail, with an
/// error, on shapes the GPU kernels do not support.
LogicalResult tileFullAttentionGpu(RewriterBase &rewriter, FullAttentionOp op);
LogicalResult tileLinearAttentionGpu(RewriterBase &rewriter,
                                     LinearAttentionOp op);

/// Whether the tensor-core form applies: f16 or bf16 Q, K and V, Dk a
/// multiple of 16, Dv of 8, and the tiles within the shared-memory budget.
bool canUseMma(FullAttentionOp op);
int64_t mmaSharedBytes(FullAttentionOp op);
/// The GPU form of full attention with QKᵀ and PV on tensor cores, K and V
/// tiles staged with cp.async (both sm_80's).
LogicalResult tileFullAttentionMma(RewriterBase &rewriter, FullAttentionOp op);

/// Whether the tensor-core form of linear attention applies: f16 or bf16,
/// the linear or gated rule with one decay per head, Dk a multiple of 16
/// and Dv of 8, both at most 128.
bool canUseMma(LinearAttentionOp op);
/// The GPU form of linear attention parallel over chunks, on tensor cores:
/// chunk states, their scan, then outputs (TileLinearAttentionChunks.cpp).
LogicalResult tileLinearAttentionMma(RewriterBase &rewriter,
                                     LinearAttentionOp op);

/// tanh(x) from one exponential.
Value emitTanh(KernelBuilder &kb, Value x);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_ATTENTIONTILING_H

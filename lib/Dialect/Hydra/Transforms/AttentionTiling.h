//===- AttentionTiling.h - tiled kernels of the part ops ------*- C++ -*-===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_ATTENTIONTILING_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_ATTENTIONTILING_H

#include "KernelBuilder.h"
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
/// The GPU form of full attention with QKᵀ and PV on tensor cores.
LogicalResult tileFullAttentionMma(RewriterBase &rewriter, FullAttentionOp op);

/// Whether the tensor-core form of linear attention applies: f16 or bf16,
/// the linear or gated rule with one decay per head, Dk a multiple of 16,
/// Dv of 16 up to 256, and the tiles within the shared-memory budget.
bool canUseMma(LinearAttentionOp op);
/// The chunkwise GPU form of linear attention on tensor cores.
LogicalResult tileLinearAttentionMma(RewriterBase &rewriter,
                                     LinearAttentionOp op);

/// tanh(x) from one exponential.
Value emitTanh(KernelBuilder &kb, Value x);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_ATTENTIONTILING_H

//===- GpuLinearAttention.h - tensor-core linear attention's grids -*- C++
//-*-===//
//
// The f16/bf16 GPU form of linear attention (all four rules, with a decay
// per head or per key dimension) has two shapes, which the sizes pick per call:
// the chunk form (TileLinearAttentionChunks.cpp; the delta rules' UT transform
// and recurrence over chunks in TileLinearAttentionDelta.cpp), parallel over
// the sequence, and the step form (TileLinearAttentionStep.cpp) of a
// one-step call, a decode step, parallel over the state's elements and the
// outputs' columns. Both compute one state per kv head for its query heads
// (GQA).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

namespace mlir::hydra {

struct MmaFragments;

/// Value columns a block of the delta rules' recurrence carries (the
/// state's columns are split among blocks; Dv is a multiple of it).
inline constexpr int64_t kDeltaColumns = 16;

/// Shared bytes of the delta rules' chunk kernels at chunk length `chunk`.
int64_t deltaSharedBytes(int64_t chunk, int64_t dk, int64_t decayCols);

/// What the grids of both forms share: shapes, the GQA groups, the sizes
/// that pick the form and the scratch.
struct ChunkForm {
  ChunkForm(KernelBuilder &kb, LinearAttentionOp op);

  mutable LinearAttentionOp op; // accessors are not const
  Value q, k, v, decay, beta;
  Type e;
  /// The delta rules; β per kv head (else one β shared by all).
  bool delta, betaPerHead;
  /// A decay per key dimension ([B, Hkv, T, Dk]) rather than per head.
  bool perKeyDecay;
  /// Columns of the cumulative decays: Dk per key, else 1.
  int64_t decayCols() const { return perKeyDecay ? dk : 1; }
  int64_t dk, dv, chunk;
  KvHeadGroups groups;
  /// Per group: its kv head and state; per listed head: its group.
  SmallVector<int64_t> stateOfGroup, groupOfListed, kvOfListed;
  Value batch, keyLen, lastStep, numChunks;
  /// 1 for a one-step call, else 0 (static when T is); the chunk form's
  /// grid over chunks (none for a step).
  Value step, chunkGrid;
  std::optional<bool> staticStep;
  /// The scratch: a state per (batch, group, chunk), f32 (the step form's
  /// new state at chunk 0), and the chunks' decays [B, groups, chunks,
  /// decayCols].
  Value states, decays;
  /// The delta rules' scratch, per (batch, group, chunk): U = A diag(β) V
  /// (C × Dv, f32), which the recurrence overwrites with the chunk's new
  /// values W = U − Wk S_c, and Wk = A diag(β) (K ⊙ e^G) (C × Dk, the
  /// operand type: it is only ever an mma operand).
  Value values, keyWeights;

  /// G_s (key dimension `d`, ignored for a decay per head) of a chunk's
  /// cumulative decays `gT`: s = chunk is the chunk's total G_L.
  Value cumulative(KernelBuilder &kb, Value gT, Value s,
                   Value d = Value()) const;

  /// hydra.work of a one-step call's new state: `flopsPerElement` a state
  /// element.
  void emitStepStateWork(KernelBuilder &kb, double flopsPerElement) const;

  /// β_t of the kv head `kvh` at step `step` (in bounds), as f32.
  Value betaAt(KernelBuilder &kb, Value bi, Value kvh, Value step) const;

  /// Chunk `c`'s first step, its length, and its tiles in shared memory:
  /// K and, with `withValues`, the values (zeros past the length: V, or
  /// for the delta rules group `g`'s new values W) and the cumulative
  /// decays G_t ([chunk + 1, decayCols], G_L at row `chunk`; a thread a
  /// column walks the steps). Staged, then a barrier.
  struct Tiles {
    Value start, len, kT, vT, gT;
  };
  Tiles stage(GpuKernelBuilder &gb, Value bi, Value kvh, Value g, Value c,
              bool withValues = true) const;
  /// The same in two parts, for a block that stages chunk after chunk into
  /// the same tiles: allocate them, then stage chunk `c` (start and len
  /// set, a barrier at the end).
  Tiles tiles(GpuKernelBuilder &gb, bool withValues) const;
  void stageInto(GpuKernelBuilder &gb, Tiles &tiles, Value bi, Value kvh,
                 Value g, Value c) const;

  /// The state element of this thread in a grid of `threads`-thread blocks
  /// over Dk · Dv elements (block `block`): its row and column (clamped)
  /// and whether it is one (the last block's spare threads are not).
  struct Element {
    Value inRange, row, col;
  };
  Element stateElement(GpuKernelBuilder &gb, Value block,
                       int64_t threads) const;
};

/// hydra.work of a chunk grid over `copies` states or heads: `flopsPerStep`
/// and `bytesPerStep` each (and the step's decays), and one f32 state per
/// chunk.
void emitChunkWork(KernelBuilder &kb, const ChunkForm &f, double copies,
                   double flopsPerStep, double bytesPerStep);

/// Element (t, d) of a chunk's rows of queries or keys, as f32.
using RowElement = function_ref<Value(Value t, Value d)>;

/// With a decay per key (PerKeyDecayScores.cpp): the A fragments of
/// X ⊙ e^{G_t − G_ref} for the 16 rows from r0, G_ref the cumulative decay
/// at row `ref` (null: the chunk's start, G = 0); every exponent is ≤ 0
/// for rows t ≥ ref.
SmallVector<Value> perKeyDecayedRows(KernelBuilder &kb, const ChunkForm &f,
                                     MmaFragments &m,
                                     const ChunkForm::Tiles &tiles, Value r0,
                                     Value ref, RowElement rowAt);
/// With a decay per key: this warp's scores Σ_d x_td k_sd e^{G_td − G_sd}
/// for s ≤ t (s < t where `strict`), as n8 accumulators over the chunk's
/// keys (kT); `rows` are the lane's two rows, r0 the warp's first.
SmallVector<Value> perKeyScores(KernelBuilder &kb, const ChunkForm &f,
                                MmaFragments &m, Value warp,
                                const ChunkForm::Tiles &tiles, Value r0,
                                ArrayRef<Value> rows, RowElement rowAt,
                                bool strict);

/// The chunk form: chunk states, their scan, outputs.
void emitChunkStates(KernelBuilder &kb, const ChunkForm &f);
void emitChunkScan(KernelBuilder &kb, const ChunkForm &f);
void emitChunkOutputs(KernelBuilder &kb, const ChunkForm &f);
/// The delta rules' chunk form, before the outputs: U and Wk per chunk
/// (the UT transform), then the recurrence over chunks.
void emitDeltaChunkWeights(KernelBuilder &kb, const ChunkForm &f);
void emitDeltaRecurrence(KernelBuilder &kb, const ChunkForm &f);
/// The delta rules' new state of a one-step call.
void emitDeltaStepState(KernelBuilder &kb, const ChunkForm &f);
/// The step form: the new state, the outputs, their normalization.
void emitStepForm(KernelBuilder &kb, const ChunkForm &f);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H

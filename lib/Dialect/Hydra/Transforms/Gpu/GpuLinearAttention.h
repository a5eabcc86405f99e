//===- GpuLinearAttention.h - tensor-core linear attention's grids -*- C++
//-*-===//
//
// The f16/bf16 GPU form of linear attention (linear; gated with one decay
// per head) has two shapes, which the sizes pick per call: the chunk form
// (TileLinearAttentionChunks.cpp), parallel over the sequence, and the
// step form (TileLinearAttentionStep.cpp) of a one-step call, a decode
// step, parallel over the state's elements and the outputs' columns.
// Both compute one state per kv head for its query heads (GQA).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H

#include "Gpu/GpuKernelBuilder.h"
#include "Tiling/AttentionTiling.h"

namespace mlir::hydra {

/// What the grids of both forms share: shapes, the GQA groups, the sizes
/// that pick the form and the scratch.
struct ChunkForm {
  ChunkForm(KernelBuilder &kb, LinearAttentionOp op);

  mutable LinearAttentionOp op; // accessors are not const
  Value q, k, v, decay;
  Type e;
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
  /// new state at chunk 0), and the chunks' decays.
  Value states, decays;

  /// Chunk `c`'s first step, its length, and its tiles in shared memory:
  /// K and V (zeros past the length) and, by thread 0, the cumulative
  /// decays G_t (G_L at [chunk]). Staged, then a barrier.
  struct Tiles {
    Value start, len, kT, vT, gT;
  };
  Tiles stage(GpuKernelBuilder &gb, Value bi, Value kvh, Value c) const;

  /// The state element of this thread in a grid of `threads`-thread blocks
  /// over Dk · Dv elements (block `block`): its row and column (clamped)
  /// and whether it is one (the last block's spare threads are not).
  struct Element {
    Value inRange, row, col;
  };
  Element stateElement(GpuKernelBuilder &gb, Value block,
                       int64_t threads) const;
};

/// The chunk form: chunk states, their scan, outputs.
void emitChunkStates(KernelBuilder &kb, const ChunkForm &f);
void emitChunkScan(KernelBuilder &kb, const ChunkForm &f);
void emitChunkOutputs(KernelBuilder &kb, const ChunkForm &f);
/// The step form: the new state, the outputs, their normalization.
void emitStepForm(KernelBuilder &kb, const ChunkForm &f);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPULINEARATTENTION_H

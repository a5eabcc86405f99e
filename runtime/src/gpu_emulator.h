//===- gpu_emulator.h - GPU kernels run on the host -------------*- C++ -*-===//
//
// The GPU emulator runs the cuda program of a function with the kernels of
// the artifact's "gpu_emulator" executable: the same block kernels as the
// PTX, compiled for x86-64 by hydra-emulate-gpu. Each block runs on one
// CPU thread (blocks in parallel on the pool); each of its GPU threads is
// a fiber with its own stack, switched only where GPU threads synchronize:
//
//   - a barrier waits until every thread of the block has reached one;
//   - a shuffle posts the lane's value and waits until every lane of its
//     warp has posted its own, then reads the source lane's value;
//   - an mma.sync posts the lane's fragments the same way, and each lane
//     then computes its part of D from the warp's A, B and C, assembled
//     with the fragment layouts of the PTX ISA (m16n8k16, f32
//     accumulation; products and sums in f32, in k order).
//
// Shared memory is one buffer per block, filled with NaNs before the
// block starts so that a read before any write shows in the results.
// Threads that exit while others wait at a barrier or shuffle (divergent
// synchronization, undefined on a GPU) are reported as an error.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_GPU_EMULATOR_H
#define HYDRA_RUNTIME_GPU_EMULATOR_H

#include "artifact_format.h"

#include <cstddef>
#include <cstdint>

namespace hydra::rt {

/// What an emulated kernel reads for each of its threads. Every field is
/// 8 bytes; hydra-emulate-gpu addresses them by index.
struct EmuThreadContext {
  int64_t threadId;
  int64_t blockId;
  void *block;
  void (*barrier)(EmuThreadContext *);
  /// shuffle(ctx, value, offset, mode), mode as gpu::ShuffleMode (xor 0,
  /// down 1, up 2, idx 3).
  float (*shuffle)(EmuThreadContext *, float, int32_t, int32_t);
  /// mma(ctx, fragment): the lane's part of mma.sync m16n8k16 with f32
  /// accumulators; fragment holds a0..a7, b0..b3, c0..c3 and receives
  /// d0..d3 in place of c0..c3.
  void (*mma)(EmuThreadContext *, float *);
};

// The compiler loads these fields by the indices of artifact_format.h.
namespace emu_layout {
using namespace ::hydra::artifact;
static_assert(sizeof(EmuThreadContext) == 8 * kEmuContextFields);
static_assert(offsetof(EmuThreadContext, threadId) == 8 * kEmuThreadId);
static_assert(offsetof(EmuThreadContext, blockId) == 8 * kEmuBlockId);
static_assert(offsetof(EmuThreadContext, block) == 8 * kEmuBlockState);
static_assert(offsetof(EmuThreadContext, barrier) == 8 * kEmuBarrierFn);
static_assert(offsetof(EmuThreadContext, shuffle) == 8 * kEmuShuffleFn);
static_assert(offsetof(EmuThreadContext, mma) == 8 * kEmuMmaFn);
} // namespace emu_layout

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_GPU_EMULATOR_H

//===- GpuKernelBuilder.h - block-level code of GPU kernels ----*- C++ -*-===//
//
// The GPU forms of the attention kernels are written with these on top of
// KernelBuilder: thread and warp indices, barriers, warp shuffles and
// reductions, shared-memory tiles, and loops that a whole block strides
// through together. The body of an `scf.forall` marked `hydra.block_size`
// is the code of one block; hydra-outline-kernels{gpu} makes it a kernel
// whose flat forall iteration is the block index.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPUKERNELBUILDER_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPUKERNELBUILDER_H

#include "Tiling/KernelBuilder.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"

namespace mlir::hydra {

inline constexpr int64_t kWarpSize = 32;
/// The largest static shared memory of a block on every target arch.
inline constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;

class GpuKernelBuilder {
public:
  GpuKernelBuilder(KernelBuilder &kb, int64_t blockSize);

  KernelBuilder &kb;
  int64_t blockSize;
  Value thread, lane, warp; // set by begin()

  /// Reads the thread indices; call first in the block's body.
  void begin();

  void barrier();
  /// `value` (f32) of lane `srcLane` of this warp.
  Value shuffleIdx(Value value, Value srcLane);
  /// The sum / max of an f32 over the warp, in every lane.
  Value warpSum(Value value);
  Value warpMax(Value value);
  /// The same over the four lanes of a quad (lanes 4q .. 4q + 3), which
  /// hold one row of an mma.sync accumulator.
  Value quadSum(Value value);
  Value quadMax(Value value);

  /// A tile in shared memory (one per block), f32 unless given.
  Value shared(ArrayRef<int64_t> shape, Type elementType = {});
  /// Bytes of shared memory allocated so far.
  int64_t sharedBytes() const { return sharedBytes_; }

  /// Fills columns [0, cols) of a [rows, ...] shared tile, the block's
  /// threads striding over the elements (consecutive threads, consecutive
  /// columns: coalesced when `element` reads a row of global memory).
  /// `element` gives values of the tile's element type.
  void fill(Value tile, int64_t rows, int64_t cols,
            function_ref<Value(Value r, Value c)> element);

  /// Stages `rows` rows of `cols` elements (a multiple of 8 of a 2-byte
  /// type: 16 bytes) of global memory into rows [tileRow0, tileRow0 + rows)
  /// of a shared tile: row r is read from `src` at `srcRow(r)` (the indices
  /// of its first element, in bounds) where `inRange(r)`, zeros elsewhere.
  /// Where `async` (an i1) holds, as cp.async copies of 16 bytes a thread,
  /// which the caller commits and waits for (the next tile's loads then
  /// overlap this tile's math); otherwise, and where `async` is null, as
  /// ordinary loads and stores (coalesced like `fill`).
  void stageRows(Value tile, Value tileRow0, int64_t rows, int64_t cols,
                 Value src, function_ref<SmallVector<Value>(Value r)> srcRow,
                 function_ref<Value(Value r)> inRange, Value async);
  /// Commits this thread's cp.async copies issued since the last commit as
  /// one group (an empty group where there were none).
  void commitCopies();
  /// Waits until at most `pending` of this thread's committed groups are
  /// still in flight; a barrier then makes the copies visible to the block.
  void waitCopies(int64_t pending);
  /// Whether every row of `memref` (its last dimension) starts 16 bytes
  /// aligned, as an i1 computed at run time from its pointer, offset and
  /// strides; null where cp.async cannot read it at all (the last dimension
  /// not of static unit stride, or elements other than 2 bytes).
  Value rowsAligned16(Value memref);

  /// `table[n]` for a static table and a run-time n, as selects (a vector
  /// extract at a run-time position would go through local memory).
  Value lookup(ArrayRef<bool> table, Value n);

  Value i32(int64_t v);

private:
  Value butterfly(Value value, bool max, int64_t lanes);
  int64_t sharedBytes_ = 0;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_GPUKERNELBUILDER_H

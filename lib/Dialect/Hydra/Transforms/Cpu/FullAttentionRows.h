//===- FullAttentionRows.h - online softmax a few query rows at a time -*- C++
//-*-===//
//
// The row form of the CPU full-attention kernel: a handful of query rows
// (a short prompt's tile, or a decode step's rows of every query head of
// one kv head) walk a range of keys together, keeping per row a running
// max, sum and unnormalized output in scratch. Rows go in blocks of
// kRowBlock that share each load of keys and values; the rows of a block
// may belong to different query heads of the kv head (GQA), so a decode
// step streams its kv head's cache once for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_CPU_FULLATTENTIONROWS_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_CPU_FULLATTENTIONROWS_H

#include "Tiling/AttentionTiling.h"

namespace mlir::hydra {

/// Query rows that share each load of keys and values.
inline constexpr int64_t kRowBlock = 4;

class FullAttentionRows {
public:
  /// How scores are formed: from a key tile transposed once for a block
  /// (`transposed`: Dk·keys scalar moves a tile, then FMAs a row) or one
  /// dot product per (row, key) from the key rows as they are (`dots`:
  /// no transpose; what a decode step's few rows want).
  enum class Scores { transposed, dots };

  /// Scratch for up to `maxRows` rows, allocated at the insertion point
  /// (an iteration's scope: a buffer made in a branch would be a fresh
  /// alloca each time).
  FullAttentionRows(KernelBuilder &kb, FullAttentionOp op, int64_t maxRows,
                    int64_t keyTile, Scores scores);

  /// Query head and query index (within the op's S) of row `r`.
  using RowAt = function_ref<std::pair<Value, Value>(Value r)>;

  /// Rows [0, numRows) of kv head `kvh` in batch `bi` over keys
  /// [keyBegin, keyEnd): clears the rows' state, then folds in the keys.
  /// `shift` (may be null) moves each row's causal diagonal right.
  void run(Value bi, Value kvh, Value numRows, RowAt rowAt, Value keyBegin,
           Value keyEnd, Value shift);

  /// Row r's results: running max, sum and unnormalized output [Dv].
  Value rowMax(Value r) { return kb.load(maxes, r); }
  Value rowSum(Value r) { return kb.load(sums, r); }
  Value rowOutput(Value r) { return kb.loadRow(acc, r, dv); }

private:
  void block(Value bi, Value kvh, Value r0, int64_t numRows, RowAt rowAt,
             Value j0, Value cols, Value shift);

  KernelBuilder &kb;
  FullAttentionOp op;
  FullAttentionAttrs attrs;
  Scores scoring;
  int64_t dk, dv, nt, dvSlice;
  Value acc, maxes, sums, scores, keysT, dots, probs;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_CPU_FULLATTENTIONROWS_H

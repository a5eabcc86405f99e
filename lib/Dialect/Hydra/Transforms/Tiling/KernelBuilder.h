//===- KernelBuilder.h - helpers for writing loop-nest kernels -*- C++ -*-===//
//
// The tiled attention kernels are written with these: index and f32
// arithmetic, scf loops whose bodies are C++ lambdas, and whole-row vector
// loads and stores that compute in f32 whatever the buffer's element type.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_KERNELBUILDER_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_KERNELBUILDER_H

#include "mlir/IR/Builders.h"

namespace mlir::hydra {

/// On an scf.forall that becomes a kernel: what it computes
/// ("full_attention", "matmul", "elementwise", ...), which
/// hydra-outline-kernels puts in the kernel's name.
inline constexpr llvm::StringLiteral kComputesAttrName = "hydra.computes";

class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &builder() { return b; }
  Location getLoc() const { return loc; }

  // Index arithmetic.
  Value index(int64_t v);
  Value dim(Value memref, int64_t d);
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, int64_t c);
  Value mulDynamic(Value x, Value y);
  Value divUnsigned(Value x, Value y);
  Value remUnsigned(Value x, Value y);
  Value ceilDiv(Value x, Value y);
  Value divConst(Value x, int64_t c);
  Value ceilDivConst(Value x, int64_t c);
  Value remConst(Value x, int64_t c);
  Value min(Value x, Value y);
  Value min(Value x, int64_t c) { return min(x, index(c)); }
  Value max(Value x, Value y);

  // f32 scalar arithmetic.
  Value f32(float v);
  Value negInf();
  Value addf(Value x, Value y);
  Value subf(Value x, Value y);
  Value mulf(Value x, Value y);
  Value divf(Value x, Value y);
  Value maxf(Value x, Value y);
  Value exp(Value x);
  /// A log decay (scalar or row) made finite for the chunkwise forms: −inf,
  /// a full state reset, becomes kLogDecayFloor. Its exponential is still
  /// 0 to f32 precision (e^−64 ≈ 1.6e−28), but differences of cumulative
  /// decays G_t − G_s stay finite, where −inf − (−inf) would be NaN.
  Value finiteLogDecay(Value g);
  static constexpr float kLogDecayFloor = -64.0f;
  Value select(Value cond, Value t, Value f);
  /// table[n] for a static table and a run-time index, as a chain of
  /// selects.
  Value selectFrom(ArrayRef<int64_t> table, Value n);

  // f32 vectors of one row.
  VectorType rowType(int64_t n);
  Value zeros(int64_t n);
  Value splat(Value scalar, int64_t n);
  Value sum(Value vec);
  Value dot(Value x, Value y) { return sum(mulf(x, y)); }
  /// acc + s·x, with s a scalar and x, acc vectors.
  Value axpy(Value s, Value x, Value acc);
  /// The constant index vector of `values` (a table looked up with
  /// `extract`).
  Value indexTable(ArrayRef<int64_t> values);
  /// The constant index vector [0, 1, ..., n − 1].
  Value laneIndices(int64_t n);
  /// `index` broadcast to n lanes plus [0, n): the ids of n consecutive
  /// rows or keys from `index` on.
  Value lanesFrom(Value index, int64_t n);
  /// A register tile of outer products over steps [lb, ub): per step the
  /// `n` vectors of `rows(step)` and, for t < m, acc[t · n + j] +=
  /// scalar(step, t) · rows[j]. Returns the m · n accumulators.
  SmallVector<Value>
  outerProducts(Value lb, Value ub, ValueRange init, int64_t m,
                function_ref<SmallVector<Value>(Value step)> rows,
                function_ref<Value(Value step, int64_t t)> scalar);
  Value extract(Value vec, Value pos);

  // Memory: f32 stack buffers (memref.alloca); rows are the innermost
  // dimension at `lead` indices.
  Value buffer(ArrayRef<int64_t> shape);
  Value loadRow(Value memref, ValueRange lead, int64_t len);
  void storeRow(Value vec, Value memref, ValueRange lead);
  /// The same for `len` elements starting at column `col`.
  Value loadRowAt(Value memref, ValueRange lead, Value col, int64_t len);
  /// `len` elements from `indices` on where `mask` is set, zero elsewhere
  /// (lanes outside the mask are never touched), widened to f32.
  Value maskedLoadRow(Value memref, ValueRange indices, Value mask,
                      int64_t len);
  void storeRowAt(Value vec, Value memref, ValueRange lead, Value col);
  Value load(Value memref, ValueRange idx);
  void store(Value v, Value memref, ValueRange idx);
  /// Stores an f32 (or i1) converted to the buffer's element type.
  void storeConverted(Value v, Value memref, ValueRange idx);
  /// Asks for the cache lines of the `len` elements of the row at `lead`
  /// (from column 0), one request a line, into the levels `locality` names
  /// (3: all, down to L1; 2: L2 and below). The last index of `lead` may
  /// run past the buffer's rows (a request ahead of a loop): it is clamped
  /// to the last row. `forWrite` asks for the lines to be written (x86:
  /// prefetchw), for rows a kernel is about to store.
  void prefetchRow(Value memref, ValueRange lead, int64_t len,
                   unsigned locality, bool forWrite = false);
  /// dst[c][r] = src[r][c] for rows r < `rows` and columns c < `cols` of
  /// 2-D f32 buffers: squares of kTransposeSide through registers
  /// (vector.transpose, lowered to shuffles), the edges element by element.
  void transposeRows(Value src, Value dst, Value rows, int64_t cols);
  static constexpr int64_t kTransposeSide = 16;

  // Control flow. Loop bodies return the values they yield.
  using LoopBody = function_ref<SmallVector<Value>(Value iv, ValueRange iter)>;
  SmallVector<Value> loop(Value lb, Value ub, Value step, ValueRange init,
                          LoopBody body);
  void loop(Value lb, Value ub, function_ref<void(Value iv)> body);
  void loop(Value lb, Value ub, Value step, function_ref<void(Value iv)> body);
  /// scf.if: `thenBody` where `cond` holds, else `elseBody` (if any).
  void ifThen(Value cond, function_ref<void()> thenBody,
              function_ref<void()> elseBody = nullptr);
  /// scf.if with results: those `thenBody` yields where `cond` holds, else
  /// those of `elseBody` (both of `types`).
  using ValuesBody = function_ref<SmallVector<Value>()>;
  SmallVector<Value> ifElse(Value cond, TypeRange types, ValuesBody thenBody,
                            ValuesBody elseBody);
  /// scf.forall from 0 to each upper bound, step 1. The forall is an
  /// automatic allocation scope: `buffer`s made in its body live for one
  /// iteration, so iterations never share scratch memory. `computes`
  /// names what the kernel it becomes computes (kComputesAttrName).
  Operation *forall(StringRef computes, ArrayRef<Value> ubs,
                    function_ref<void(ValueRange ivs)> body);

private:
  Value toF32(Value v);
  OpBuilder &b;
  Location loc;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_KERNELBUILDER_H

//===- TensorOps.h - IR building blocks of the ONNX importer ---*- C++ -*-===//

#ifndef HYDRA_LIB_IMPORT_ONNX_TENSOROPS_H
#define HYDRA_LIB_IMPORT_ONNX_TENSOROPS_H

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::hydra::onnx_import {

/// Why `values` cannot be concatenated along `axis` (ranks, element types,
/// or static sizes off the axis that differ), or "" if they can.
/// tensor.concat's builder takes consistent operands on trust.
std::string concatMismatch(ValueRange values, int64_t axis);

/// `x` with its dimensions permuted: result dim i is input dim perm[i].
Value transpose(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> perm);

/// [B, S, H·D] → [B, H, S, D].
Value splitHeads(OpBuilder &b, Location loc, Value x, int64_t numHeads);

/// [B, H, S, D] → [B, S, H·D].
Value mergeHeads(OpBuilder &b, Location loc, Value x);

using ::mlir::hydra::dimOf;

/// Statically shaped `x` inside a tensor of `shape` filled with `fill`,
/// starting at offsets `low` (constant-mode padding).
Value padWith(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
              ArrayRef<int64_t> shape, TypedAttr fill);
/// The same with sizes that may be run-time ones.
Value padWith(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
              ArrayRef<OpFoldResult> sizes, TypedAttr fill);

/// Scalar `x` converted to element type `to` as ONNX Cast does (floats
/// round, integers to floats by their signedness, floats to integers
/// truncate, non-zero to true).
Value convertScalar(OpBuilder &b, Location loc, Value x, Type to,
                    bool fromUnsigned, bool toUnsigned);

/// Tensor `x` converted elementwise to element type `to` (x itself when it
/// already has it).
Value convertElements(OpBuilder &b, Location loc, Value x, Type to,
                      bool fromUnsigned, bool toUnsigned);

/// `x[offsets : offsets + sizes·strides : strides]`. An empty slice may
/// start at the axis' end (ONNX clamps starts to the size), where
/// extract_slice wants offsets inside it: where a size is 0 the offset is.
Value extractSlice(OpBuilder &b, Location loc, Value x,
                   ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                   ArrayRef<OpFoldResult> strides);

/// The heads `heads` (increasing) of [B, H, S, D] `x`, in order: x itself
/// when they are all of its heads, else a slice per run of consecutive
/// heads, concatenated.
Value selectHeads(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> heads);

/// An index value as an i64 (positions that ONNX outputs hold).
Value asI64(OpBuilder &b, Location loc, Value index);

/// A run-time integer index into an axis of `size`, as an index: negative
/// ones count from the end; out-of-range ones are clamped, so a bad index
/// cannot read outside the buffer.
Value wrapIndex(OpBuilder &b, Location loc, Value idx, OpFoldResult size);

/// A tensor of `sizes` whose element at indices `ivs` is `at(ivs)`: one
/// linalg.generic with no inputs (operands are read with tensor.extract
/// inside `at`).
Value indexedTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    Type element,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> at);

/// One reassociation group of all `rank` dims (a collapse to 1D, or an
/// expand from it).
SmallVector<ReassociationIndices> wholeRank(int64_t rank);

/// Statically shaped `x` with a dimension of size 1 inserted at `axis`
/// (a view).
Value insertUnitDim(OpBuilder &b, Location loc, Value x, int64_t axis);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_TENSOROPS_H

//===- LinalgBuilders.h - linalg IR for elementwise and reductions -*- C++ -*-===//
//
// Shared by the ONNX importer and the passes that decompose named ops
// (hydra.rms_norm) into linalg.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_UTILS_LINALGBUILDERS_H
#define HYDRA_DIALECT_HYDRA_UTILS_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"

namespace mlir::hydra {

/// The body of an elementwise op: the scalar result from scalar operands.
using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// The numpy-broadcast shape of `inputs`; fails on sizes that disagree.
FailureOr<SmallVector<int64_t>> broadcastShape(ValueRange inputs);

/// An elementwise linalg.generic over the broadcast of `inputs` (and of
/// `extraShape`, a static shape the result must also cover: Expand).
FailureOr<Value> elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                             Type resultElement, ScalarFn body,
                             ArrayRef<int64_t> extraShape = {});

/// Reduces `x` over `axes` with `combine`, starting from `init`, keeping the
/// reduced dimensions as size 1 (so the result broadcasts against `x`).
Value reduceKeepDims(OpBuilder &b, Location loc, Value x,
                     ArrayRef<int64_t> axes, TypedAttr init, ScalarFn combine);

/// The number of elements `x` has along `axes`, as a scalar of `type`.
Value countAlong(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes,
                 Type type);

/// A tensor of `sizes` and `value`'s type, every element `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   TypedAttr value);

/// Size `dim` of tensor `x` as an OpFoldResult (static when known).
OpFoldResult dimOf(OpBuilder &b, Location loc, Value x, int64_t dim);

/// Batched matrix product with numpy broadcasting of the batch dims
/// (ONNX MatMul, rank >= 2 on both sides).
FailureOr<Value> matmul(OpBuilder &b, Location loc, Value a, Value c);

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_UTILS_LINALGBUILDERS_H

//===- LinalgMatchers.h - recognizing imported linalg ops -------*- C++ -*-===//
//
// The importer writes ordinary ONNX operators as linalg.generic ops of a few
// fixed shapes (elementwise with numpy broadcasting, batched contraction).
// The raising patterns read them back with these.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_LINALGMATCHERS_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_LINALGMATCHERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::hydra {

/// An elementwise linalg.generic whose body is one scalar op on the
/// generic's inputs: `operands[i]` is the input that scalar operand i
/// reads, with its indexing map in `maps[i]`.
struct ElementwiseOp {
  linalg::GenericOp generic;
  Operation *scalar = nullptr;
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
};

/// `v` as an elementwise generic (all loops parallel, identity output map,
/// output not read, body one op of its inputs), else none.
std::optional<ElementwiseOp> matchElementwise(Value v);

/// The value of `v` if it is a constant splat float tensor.
std::optional<double> splatValue(Value v);

/// Whether `map` reads an operand of `shape` broadcast against the loop
/// space by numpy's rule (right-aligned; size-1 dims read at 0).
bool isNumpyBroadcast(AffineMap map, ArrayRef<int64_t> shape);

/// `v` = lhs · rhs as a rank-4 batched matrix product (the importer's
/// MatMul: [b, h, m, k] · [b, h, k, n], accumulated from zero).
std::optional<std::pair<Value, Value>> matchBatchMatmul(Value v);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_LINALGMATCHERS_H

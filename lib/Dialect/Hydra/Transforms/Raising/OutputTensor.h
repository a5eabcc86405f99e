//===- OutputTensor.h - destinations of the attention part ops -*- C++ -*-===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_OUTPUTTENSOR_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_OUTPUTTENSOR_H

#include "mlir/IR/Builders.h"

namespace mlir::hydra {

/// A fresh tensor.empty of shape [B, numHeads, S, Dv] and the query's
/// element type, taking B and S from `query` and Dv from `value`.
Value createAttentionOutput(OpBuilder &b, Location loc, Value query,
                            Value value, int64_t numHeads);

/// A fresh tensor.empty of `type` ([B, Hkv, Dk, Dv]), taking a dynamic B
/// from `query`.
Value createStateOutput(OpBuilder &b, Location loc, Type type, Value query);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_OUTPUTTENSOR_H

//===- OperandChecks.h - shared operand checks of hydra ops ---*- C++ -*-===//
//
// The checks every attention op makes of its operands, written once. Each
// emits an op error that names the operand and the mismatch.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_IR_OPERANDCHECKS_H
#define HYDRA_LIB_DIALECT_HYDRA_IR_OPERANDCHECKS_H

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

namespace mlir::hydra::checks {

/// Sizes shared by the operands of one attention op; dynamic sizes are
/// ShapedType::kDynamic. Hq, Hkv, Dk and Dv are always static.
struct AttentionDims {
  int64_t batch, numQueryHeads, numKvHeads, queryLen, keyLen, keyDim, valueDim;
  Type elementType;
};

/// Checks query [B,Hq,S,Dk], key [B,Hkv,T,Dk], value [B,Hkv,T,Dv]: ranks,
/// float element types, static head counts and sizes, agreeing dims, and
/// Hq a multiple of Hkv unless `anyKvHeads` (an explicit head-to-kv-head
/// map, as a cache of some kv heads has). Fills `dims`.
LogicalResult verifyQueryKeyValue(Operation *op, bool anyKvHeads, Type query,
                                  Type key, Type value, AttentionDims &dims);

/// Checks that `type` is [B, heads, S, Dv] of the query's element type.
LogicalResult verifyOutputShape(Operation *op, StringRef name, Type type,
                                const AttentionDims &dims, int64_t heads);

/// fusion_scale: [Hq, Dv], a float type.
LogicalResult verifyFusionScale(Operation *op, Type type,
                                const AttentionDims &dims);

/// mask: rank 2 to 4, broadcastable to [B, Hq, S, T]; i1 or the query's
/// element type.
LogicalResult verifyMask(Operation *op, Type type, const AttentionDims &dims);

/// decay and beta against the update rule, and their shapes.
LogicalResult verifyLinearInputs(Operation *op, UpdateRule rule, Value decay,
                                 Value beta, const AttentionDims &dims);

/// A linear-attention state ('initial_state', 'final_state'):
/// [B, heads, Dk, Dv] of a float type, `heads` named `headsName` in errors.
LogicalResult verifyStateShape(Operation *op, StringRef name, Type type,
                               const AttentionDims &dims, int64_t heads,
                               StringRef headsName);

/// A cache of full heads' keys or values ('full_key', 'full_value'):
/// [B, heads, T', dim] of the query's element type; sets `cacheLen` to T'.
LogicalResult verifyCacheShape(Operation *op, StringRef name, Type type,
                               const AttentionDims &dims, int64_t heads,
                               int64_t dim, int64_t &cacheLen);

/// A per-listed-head index attribute ('kv_heads', 'state_heads'): one
/// entry per listed head, each in [0, bound).
LogicalResult verifyHeadIndices(Operation *op, StringRef name,
                                ArrayRef<int64_t> indices,
                                ArrayRef<int64_t> heads, int64_t bound);

/// Linear heads need as many queries as keys.
LogicalResult verifyLinearLengths(Operation *op, const AttentionDims &dims);

/// fusion_epsilon must be finite and not negative; softcap, when given,
/// must be positive.
LogicalResult verifyEpsilonAndSoftcap(Operation *op, float epsilon,
                                      std::optional<float> softcap);

/// Whether `type` has the rank of `expected` and no size known to differ.
bool shapeMatches(ShapedType type, ArrayRef<int64_t> expected);

using ::mlir::hydra::formatShape;
using ::mlir::hydra::sizesDiffer;

} // namespace mlir::hydra::checks

#endif // HYDRA_LIB_DIALECT_HYDRA_IR_OPERANDCHECKS_H

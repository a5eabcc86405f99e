//===- CachePairs.h - which outputs continue which inputs ------*- C++ -*-===//
//
// A decode step's function returns its caches for the next call: a KV
// cache as the past followed by this call's keys (present = past ‖ new),
// a linear state as the state after the last token. Found on the
// tensor-level function, written into the artifact so that the runtime and
// its users know what to feed back (and, later, what may be updated in
// place).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_COMPILER_CACHEPAIRS_H
#define HYDRA_LIB_COMPILER_CACHEPAIRS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "hydra_artifact_generated.h"

#include <vector>

namespace mlir::hydra {

/// The function's cache pairs, in output order: a result that is a
/// tensor.concat whose first operand is an argument of the same element
/// type (append along the concat's axis), or the final state of a
/// hydra.hybrid_attention whose initial state is an argument of the same
/// type (state). Each argument and result is in at most one pair.
std::vector<::hydra_artifact::CachePair> findCachePairs(func::FuncOp func);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_CACHEPAIRS_H

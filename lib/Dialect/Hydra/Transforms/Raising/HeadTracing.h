//===- HeadTracing.h - where each head of a tensor comes from ---*- C++ -*-===//
//
// Exporters move attention heads around with Gather, Slice, Split and
// Concat along the head axis, which the importer turns into
// tensor.extract_slice and tensor.concat. The raising passes trace those
// back: for each index along the head axis, which value it was cut from
// and at which index.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_HEADTRACING_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_HEADTRACING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::hydra {

/// Head `head` of `root` (along the axis the trace followed).
struct HeadSource {
  Value root;
  int64_t head;
  bool operator==(const HeadSource &o) const {
    return root == o.root && head == o.head;
  }
};

/// For each index of `v` along `axis`, the value and index it is a copy of:
/// looks through tensor.concat along `axis` and tensor.extract_slice that
/// cut only `axis` (static, positive stride). Any other value is its own
/// source. None if a size along `axis` is not static.
std::optional<SmallVector<HeadSource>> traceHeads(Value v, int64_t axis);

/// `v` as `transpose(root, perm)`: looks through chains of linalg.transpose
/// and of transposes done with the first two dims merged (collapse,
/// transpose, expand); perm is the identity when there are none. Result
/// dim i of `v` is dim perm[i] of `root`.
Value peelTransposes(Value v, SmallVectorImpl<int64_t> &perm);

/// A head-split operand traced to one root: operand head i is `heads[i]`
/// of `root` along `rootAxis`, and the whole operand would be
/// `transpose(root, perm)` were the heads not selected.
struct TracedOperand {
  Value root;
  SmallVector<int64_t> perm;
  SmallVector<int64_t> heads;
};

/// Traces `v`'s dim `axis` through transposes, slices and concats (and
/// transposes under those), to a single root that is not a transpose. None
/// if the heads come from more than one value.
std::optional<TracedOperand> traceOperand(Value v, int64_t axis);

/// `transpose(root, perm)`, or root itself for the identity.
Value rebuildOperand(OpBuilder &b, Location loc, const TracedOperand &t);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_HEADTRACING_H

//===- DataAxes.h - axes and splits read from a graph input -----*- C++ -*-===//
//
// Squeeze, Unsqueeze, the reductions and Split may take their axes or
// split sizes as graph inputs, known only at run time. The result's rank
// is still known (the input's length says how many axes), but which
// dimensions they name is not: each dimension gets a 0/1 flag computed at
// run time (SizeArithmetic), and sizes and loops are written over the
// flags. The runtime checks the flags name valid, distinct axes before any
// launch.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_IMPORT_ONNX_DATAAXES_H
#define HYDRA_LIB_IMPORT_ONNX_DATAAXES_H

#include "SizeArithmetic.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

namespace mlir::hydra::onnx_import {

/// The most dimensions a tensor whose axes are read from data may have:
/// the artifact's limit on a signature's rank. The flags' size arithmetic
/// grows with rank × axes, so larger ranks are refused, not compiled.
inline constexpr int64_t kMaxDataAxesRank = 8;

/// One 0/1 flag per dimension of a rank-`rank` tensor: whether one of
/// `axes` (each in [−rank, rank), negative counting from the end) names
/// it. The runtime checks each axis is in range and none is named twice
/// (the output's rank counts them). A rank above kMaxDataAxesRank is
/// "not supported".
FailureOr<SmallVector<OpFoldResult>>
axisFlags(BoundArithmetic &a, ArrayRef<OpFoldResult> axes, int64_t rank);

/// Unsqueeze of `x` at `axes` read from data.
FailureOr<Value> unsqueezeAtData(GraphImporter &gi, const onnx::NodeProto &node,
                                 Value x, ArrayRef<OpFoldResult> axes);

/// `x` without the dimensions whose flag is 1 (`count` of them), each
/// checked to be of size 1 when `checkUnit`.
FailureOr<Value> squeezeFlagged(GraphImporter &gi, const onnx::NodeProto &node,
                                Value x, ArrayRef<OpFoldResult> flags,
                                int64_t count, bool checkUnit);

/// Reduces `x` over the dimensions whose flag is 1 with `combine` from
/// `init`, keeping them as size 1: one pass per dimension, each reducing
/// that dimension or (flag 0) copying it. With `mean`, divides by the
/// number of elements reduced.
Value reduceFlagged(GraphImporter &gi, const onnx::NodeProto &node, Value x,
                    ArrayRef<OpFoldResult> flags, TypedAttr init,
                    ScalarFn combine, bool mean);

/// Slice of `x` whose axes or steps (and maybe bounds) are read from data:
/// ONNX's clamping for either sign of step, written over the axis flags,
/// and a gather of x at offset + i · stride per dimension.
FailureOr<Value> sliceAtData(GraphImporter &gi, const onnx::NodeProto &node,
                             Value x, ArrayRef<OpFoldResult> starts,
                             ArrayRef<OpFoldResult> ends,
                             ArrayRef<OpFoldResult> axes,
                             ArrayRef<OpFoldResult> steps);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_DATAAXES_H

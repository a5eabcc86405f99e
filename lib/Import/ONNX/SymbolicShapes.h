//===- SymbolicShapes.h - sizes known only at run time ---------*- C++ -*-===//
//
// Exporters compute the shapes of dynamic models with small integer ops
// (Shape → Gather → Concat → Reshape). Where a value is only known at run
// time those ops stay symbolic: each element an index value, and the
// consumers (Reshape, Expand, ConstantOfShape, Range) size their results
// with it. The compiler then traces every size back to the inputs'
// (SizeTracer) and the artifact computes them per call.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_IMPORT_ONNX_SYMBOLICSHAPES_H
#define HYDRA_LIB_IMPORT_ONNX_SYMBOLICSHAPES_H

#include "GraphImporter.h"

namespace mlir::hydra::onnx_import {

/// Imports `node` symbolically if it is size arithmetic with at least one
/// symbolic input (or Shape/Size of a dynamically shaped value); nothing
/// when it is not.
std::optional<LogicalResult> foldSymbolic(GraphImporter &gi,
                                          const onnx::NodeProto &node);

/// Reshape of `x` to `dims` (ONNX's 0 and −1 included) where `x` has
/// dynamic sizes or `dims` run-time elements: one expand or collapse where
/// the sizes split or merge neighbouring dimensions, else a collapse to 1D
/// and an expand.
FailureOr<Value> reshapeDynamic(GraphImporter &gi, const onnx::NodeProto &node,
                                Value x, ArrayRef<OpFoldResult> dims,
                                bool allowZero);

/// `x` reshaped to `sizes` (final sizes, no 0 or −1), which must hold as
/// many elements (the caller checks): one expand or collapse where they
/// split or merge neighbouring dimensions, else through one dimension.
FailureOr<Value> reshapeToSizes(GraphImporter &gi, const onnx::NodeProto &node,
                                Value x, ArrayRef<OpFoldResult> sizes);

/// Expand of `x` to run-time `dims` (a 1 keeps x's size).
FailureOr<Value> expandDynamic(GraphImporter &gi, const onnx::NodeProto &node,
                               Value x, ArrayRef<OpFoldResult> dims);

/// Slice of `x` with bounds known at import or at run time and an axis
/// size that may be dynamic: ONNX's negative bounds and clamping, as size
/// arithmetic (min/max only where the sizes do not prove them); `axes`
/// normalized, `steps` positive.
FailureOr<Value> sliceDynamic(GraphImporter &gi, const onnx::NodeProto &node,
                              Value x, ArrayRef<OpFoldResult> starts,
                              ArrayRef<OpFoldResult> ends,
                              ArrayRef<int64_t> axes, ArrayRef<int64_t> steps);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_SYMBOLICSHAPES_H

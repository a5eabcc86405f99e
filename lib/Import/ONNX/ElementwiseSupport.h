//===- ElementwiseSupport.h - shared by the elementwise importers -*- C++
//-*-===//

#ifndef HYDRA_LIB_IMPORT_ONNX_ELEMENTWISESUPPORT_H
#define HYDRA_LIB_IMPORT_ONNX_ELEMENTWISESUPPORT_H

#include "GraphImporter.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

namespace mlir::hydra::onnx_import {

inline Type elementOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
inline bool isFloatElement(Type t) { return isa<FloatType>(t); }
/// Integers other than bool.
inline bool isIntElement(Type t) {
  return isa<IntegerType>(t) && !t.isInteger(1);
}
inline bool isNumberElement(Type t) {
  return isFloatElement(t) || isIntElement(t);
}

/// The node's first `count` inputs, of one element type accepted by `ok`.
LogicalResult sameTypeInputs(GraphImporter &gi, const onnx::NodeProto &node,
                             int count, function_ref<bool(Type)> ok,
                             StringRef kinds, SmallVectorImpl<Value> &out);

/// Sets output 0 to `r`, or reports shapes that do not broadcast.
LogicalResult setResult(GraphImporter &gi, const onnx::NodeProto &node,
                        FailureOr<Value> r);

/// `fn` on scalars `a` computed in f32 when they are 16-bit floats (libm
/// and libdevice have no half-precision functions; the result is rounded
/// back once), else in their own type.
Value inFloat32(OpBuilder &b, Location loc, ValueRange a, ScalarFn fn);

/// A float-only elementwise operator over the node's first `count` inputs
/// computing `body` per element (in f32 for 16-bit floats).
LogicalResult floatElementwise(GraphImporter &gi, const onnx::NodeProto &node,
                               int count, ScalarFn body);

/// A float constant of `type` (a scalar float type).
Value floatConstant(OpBuilder &b, Location loc, Type type, double value);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_ELEMENTWISESUPPORT_H

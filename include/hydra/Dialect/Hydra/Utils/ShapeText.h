//===- ShapeText.h - comparing and printing shapes --------------*- C++ -*-===//
//
// Shared by the dialect's verifiers and the ONNX importer, so that both
// compare sizes the same way and name shapes the same way in messages.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_UTILS_SHAPETEXT_H
#define HYDRA_DIALECT_HYDRA_UTILS_SHAPETEXT_H

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <string>

namespace mlir::hydra {

/// Whether two sizes are known to differ (neither is dynamic).
inline bool sizesDiffer(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

/// Prints a shape or size list as [2, ?, 8]: the dynamic size as "?",
/// every other value as the number it is.
std::string formatShape(ArrayRef<int64_t> shape);

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_UTILS_SHAPETEXT_H

//===- BufferViews.h - ops that only view a buffer --------------*- C++ -*-===//
//
// A host program keeps the views of its buffers as they are: the artifact
// names only whole buffers, and each kernel recomputes the views it reads
// from the buffers it takes.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_UTILS_BUFFERVIEWS_H
#define HYDRA_DIALECT_HYDRA_UTILS_BUFFERVIEWS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::hydra {

/// The buffer `op` views, if it is a view (memref.transpose included,
/// which does not implement ViewLikeOpInterface), or null.
inline Value viewedBuffer(Operation *op) {
  if (auto transpose = dyn_cast<memref::TransposeOp>(op))
    return transpose.getIn();
  if (auto view = dyn_cast<ViewLikeOpInterface>(op))
    return view.getViewSource();
  return {};
}

inline bool isBufferView(Operation *op) { return bool(viewedBuffer(op)); }

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_UTILS_BUFFERVIEWS_H

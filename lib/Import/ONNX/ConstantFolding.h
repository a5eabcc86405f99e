//===- ConstantFolding.h - evaluate shape computations at import -*- C++
//-*-===//

#ifndef HYDRA_LIB_IMPORT_ONNX_CONSTANTFOLDING_H
#define HYDRA_LIB_IMPORT_ONNX_CONSTANTFOLDING_H

#include "GraphImporter.h"

namespace mlir::hydra::onnx_import {

/// Evaluates `node` when everything it reads is known at import time (and
/// Shape/Size of statically shaped values), as exported graphs do to
/// compute shapes. Returns the outputs, or nothing if the node does not
/// fold; sets `error` if it should fold but its inputs are inconsistent.
std::optional<std::vector<HostTensor>>
foldNode(GraphImporter &gi, const onnx::NodeProto &node, std::string &error);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_CONSTANTFOLDING_H

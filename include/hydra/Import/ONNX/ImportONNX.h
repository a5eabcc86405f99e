//===- ImportONNX.h - ONNX ModelProto → MLIR -------------------*- C++ -*-===//
//
// The importer only builds IR: ordinary ONNX operators become tensor,
// linalg and arith ops; Attention, LinearAttention and
// ai.hydrahead::HybridAttention become hydra.hybrid_attention. Raising
// (recognizing attention written in smaller operators) is separate.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_IMPORT_ONNX_IMPORTONNX_H
#define HYDRA_IMPORT_ONNX_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::hydra {

/// The `path` of a model held only in memory: it has no directory, so
/// external data cannot be read.
inline constexpr const char *kInMemoryModel = "<memory>";

/// Parses `bytes` as an ONNX ModelProto and builds a module with one
/// function, `main`, whose arguments and results carry the graph's input
/// and output names (`hydra.name`). `path` locates external data files.
/// Returns null after emitting diagnostics; every unsupported operator of
/// the graph is reported in one error.
OwningOpRef<ModuleOp> importONNX(StringRef bytes, StringRef path,
                                 MLIRContext *context);

/// Runs the raising passes on an imported module.
LogicalResult raiseONNX(ModuleOp module);

} // namespace mlir::hydra

#endif // HYDRA_IMPORT_ONNX_IMPORTONNX_H

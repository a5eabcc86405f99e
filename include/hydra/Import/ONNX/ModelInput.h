//===- ModelInput.h - a model file or buffer → a verified module -*- C++
//-*-===//
//
// What hydra-compile and the compiler's C API share: deciding whether a
// model is ONNX or MLIR, and reading it into a verified module.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_IMPORT_ONNX_MODELINPUT_H
#define HYDRA_IMPORT_ONNX_MODELINPUT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir::hydra {

enum class ModelFormat { onnx, mlir };

/// The format `requested` names ("onnx", "mlir"), or for "auto" (or "") the
/// one `bytes` hold: MLIR is text, an ONNX ModelProto is binary protobuf.
/// Fails, with `error` set, on an unknown name.
FailureOr<ModelFormat> modelFormat(StringRef bytes, StringRef requested,
                                   std::string &error);

/// Reads `bytes` in `format` into a verified module; `path` names the
/// model in diagnostics and locates ONNX external data (its directory).
/// MLIR text is parsed through `sourceMgr` so diagnostics quote lines.
/// Null after emitting diagnostics.
OwningOpRef<ModuleOp> readModel(StringRef bytes, StringRef path,
                                ModelFormat format, MLIRContext *context,
                                llvm::SourceMgr &sourceMgr);

} // namespace mlir::hydra

#endif // HYDRA_IMPORT_ONNX_MODELINPUT_H

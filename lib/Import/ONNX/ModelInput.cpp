//===- ModelInput.cpp - a model file or buffer → a verified module --------===//

#include "hydra/Import/ONNX/ModelInput.h"
#include "hydra/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

/// Whether `bytes` start as text: MLIR's first token is printable ASCII or
/// whitespace (UTF-8 beyond ASCII only appears in strings and comments),
/// while a ModelProto starts with a field tag such as 0x08 (ir_version).
static bool looksLikeText(StringRef bytes) {
  StringRef head = bytes.take_front(4096);
  if (head.empty())
    return false;
  for (unsigned char c : head)
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
      return false;
  return true;
}

FailureOr<hydra::ModelFormat>
hydra::modelFormat(StringRef bytes, StringRef requested, std::string &error) {
  if (requested == "onnx")
    return ModelFormat::onnx;
  if (requested == "mlir")
    return ModelFormat::mlir;
  if (requested.empty() || requested == "auto")
    return looksLikeText(bytes) ? ModelFormat::mlir : ModelFormat::onnx;
  error = "unknown format '" + requested.str() + "' (auto, onnx, mlir)";
  return failure();
}

OwningOpRef<ModuleOp> hydra::readModel(StringRef bytes, StringRef path,
                                       ModelFormat format, MLIRContext *context,
                                       llvm::SourceMgr &sourceMgr) {
  OwningOpRef<ModuleOp> module;
  if (format == ModelFormat::onnx) {
    module = importONNX(bytes, path, context);
  } else {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(bytes, path), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, context);
  }
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}

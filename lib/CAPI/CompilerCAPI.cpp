//===- CompilerCAPI.cpp - the compiler's C API ----------------------------===//

#include "hydra/CAPI/Compiler.h"

#include "hydra/Compiler/Compiler.h"
#include "hydra/Import/ONNX/ImportONNX.h"
#include "hydra/Import/ONNX/ModelInput.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <tuple>

using namespace mlir;

static char *copyString(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (p)
    std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

/// The options a caller set, over the defaults; an error for values out of
/// range.
static std::optional<std::string>
readOptions(const hydra_compile_options *given, hydra::CompileOptions &options,
            const char *&format) {
  hydra_compile_options o = {};
  if (given) {
    if (given->struct_size <
            offsetof(hydra_compile_options, weights) + sizeof(given->weights) ||
        given->struct_size > sizeof(hydra_compile_options))
      return "hydra_compile_options: struct_size " +
             std::to_string(given->struct_size) + " is not " +
             std::to_string(sizeof(hydra_compile_options)) +
             " (zero-initialize it and set struct_size = sizeof)";
    o = *given;
  }
  format = o.format ? o.format : "auto";
  options.targets.clear();
  SmallVector<StringRef> parts;
  StringRef(o.targets ? o.targets : "cpu").split(parts, ',', -1, false);
  for (StringRef t : parts)
    options.targets.push_back(t.trim().str());
  if (o.cpu)
    options.cpu = o.cpu;
  if (o.weights)
    options.weightType = o.weights;
  for (auto [name, value, field] :
       {std::tuple{"query_tile", o.query_tile, &options.queryTile},
        std::tuple{"key_tile", o.key_tile, &options.keyTile},
        std::tuple{"chunk_size", o.chunk_size, &options.chunkSize}}) {
    if (value < 0 || value > (1 << 16))
      return std::string("hydra_compile_options: ") + name + " " +
             std::to_string(value) + " is not in 1..65536 (0: the default)";
    if (value)
      *field = value;
  }
  return std::nullopt;
}

/// Compiles `bytes` (named `path`: diagnostics, ONNX external data).
static int compileBytes(StringRef bytes, StringRef path,
                        const hydra_compile_options *given, char **artifact,
                        size_t *artifactSize, char **error) {
  *artifact = nullptr;
  *artifactSize = 0;
  *error = nullptr;
  std::string diagnostics;
  auto fail = [&](const std::string &message) {
    *error = copyString(diagnostics.empty() ? message : diagnostics);
    return 1;
  };
  hydra::CompileOptions options;
  const char *format = nullptr;
  if (std::optional<std::string> bad = readOptions(given, options, format))
    return fail(*bad);
  std::string formatError;
  FailureOr<hydra::ModelFormat> fmt =
      hydra::modelFormat(bytes, format, formatError);
  if (failed(fmt))
    return fail("hydra_compile: " + formatError);

  DialectRegistry registry;
  hydra::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    os << d.getLocation() << ": " << d << "\n";
    for (Diagnostic &note : d.getNotes())
      os << "  note: " << note << "\n";
    return success();
  });

  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module =
      hydra::readModel(bytes, path, *fmt, &context, sourceMgr);
  if (!module)
    return fail("the model could not be read");
  if (*fmt == hydra::ModelFormat::onnx && failed(hydra::raiseONNX(*module)))
    return fail("raising failed");

  auto hash = llvm::SHA256::hash(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  for (uint8_t b : hash)
    options.sourceHash += llvm::formatv("{0:x-2}", b).str();
  FailureOr<std::string> bytesOut = hydra::compileToArtifact(*module, options);
  if (failed(bytesOut))
    return fail("compilation failed");
  *artifact = static_cast<char *>(std::malloc(bytesOut->size()));
  if (!*artifact)
    return fail("out of memory");
  std::memcpy(*artifact, bytesOut->data(), bytesOut->size());
  *artifactSize = bytesOut->size();
  return 0;
}

/// The options of the first API's calls: a format and targets.
static hydra_compile_options formatAndTargets(const char *format,
                                              const char *targets) {
  hydra_compile_options options = {};
  options.struct_size = sizeof options;
  options.format = format;
  options.targets = targets;
  return options;
}

extern "C" int hydra_compile(const void *model, size_t size, const char *format,
                             const char *targets, char **artifact,
                             size_t *artifactSize, char **error) {
  hydra_compile_options options = formatAndTargets(format, targets);
  return hydra_compile_with_options(model, size, &options, artifact,
                                    artifactSize, error);
}

extern "C" int hydra_compile_file(const char *path, const char *format,
                                  const char *targets, char **artifact,
                                  size_t *artifactSize, char **error) {
  hydra_compile_options options = formatAndTargets(format, targets);
  return hydra_compile_file_with_options(path, &options, artifact, artifactSize,
                                         error);
}

extern "C" int hydra_compile_with_options(const void *model, size_t size,
                                          const hydra_compile_options *options,
                                          char **artifact, size_t *artifactSize,
                                          char **error) {
  if (!artifact || !artifactSize || !error)
    return 1;
  if (!model) {
    *artifact = nullptr;
    *artifactSize = 0;
    *error = copyString("hydra_compile: null model");
    return 1;
  }
  return compileBytes(StringRef(static_cast<const char *>(model), size),
                      hydra::kInMemoryModel, options, artifact, artifactSize,
                      error);
}

extern "C" int hydra_compile_file_with_options(
    const char *path, const hydra_compile_options *options, char **artifact,
    size_t *artifactSize, char **error) {
  if (!artifact || !artifactSize || !error)
    return 1;
  *artifact = nullptr;
  *artifactSize = 0;
  *error = nullptr;
  if (!path) {
    *error = copyString("hydra_compile_file: null path");
    return 1;
  }
  auto file = llvm::MemoryBuffer::getFile(path);
  if (!file) {
    *error = copyString(std::string("cannot read '") + path +
                        "': " + file.getError().message());
    return 1;
  }
  return compileBytes((*file)->getBuffer(), path, options, artifact,
                      artifactSize, error);
}

extern "C" void hydra_compiler_free(void *p) { std::free(p); }

extern "C" const char *hydra_compiler_version(void) {
  static const std::string text = hydra::versionText("hydra-compiler");
  return text.c_str();
}

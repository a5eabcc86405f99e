//===- Compiler.h - hydra module → artifact --------------------*- C++ -*-===//
//
// The compiler driver shared by hydra-compile and the Python bindings: takes
// a tensor-level module (hydra ops, func, tensor, ...) to a hydra artifact.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_COMPILER_COMPILER_H
#define HYDRA_COMPILER_COMPILER_H

#include "hydra/Dialect/Hydra/Transforms/TileDefaults.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <string>

namespace mlir::hydra {

/// The target that compiles the GPU kernels for the host CPU, to be run by
/// the runtime's GPU emulator.

struct CompileOptions {
  /// Targets to generate code for: "cpu" (the host x86-64 CPU), CUDA archs
  /// ("sm_80", "sm_90a", ...), "gpu-emulator" (artifact::kEmulatorTarget).
  SmallVector<std::string> targets = {"cpu"};
  /// LLVM CPU name for the x86-64 code ("native": this machine's).
  std::string cpu = "native";
  int64_t queryTile = kDefaultQueryTile, keyTile = kDefaultKeyTile,
          chunkSize = kDefaultChunkSize;
  /// Element type of the constant weights of the CPU's products: "f32",
  /// or "bf16" (half the bytes a decode step streams; f32 accumulation).
  std::string weightType = "f32";
  /// Hex digest of the source model, recorded in the artifact.
  std::string sourceHash;
  /// Called as each stage of compileToArtifact begins ("cpu: kernels",
  /// "sm_90: ptxas", ...): a tool's progress report on long compiles.
  std::function<void(StringRef stage)> progress;
};

/// "TOOL 0.2.0 (hydra; LLVM/MLIR 22.1.8, writes artifact format 4)": the
/// tools' --version line.
std::string versionText(StringRef tool);

/// Compiles `module` (modified in place) into artifact bytes. Errors are
/// reported as diagnostics on the module's context.
FailureOr<std::string> compileToArtifact(ModuleOp module,
                                         const CompileOptions &options);

/// Runs the pipeline to the host program plus kernels (what `--emit=kernels`
/// shows) on `module`.
LogicalResult lowerToKernels(ModuleOp module, const CompileOptions &options);

/// The same for GPU targets: a host program and GPU block kernels, using
/// what every one of `archs` has (tensor cores and cp.async from sm_80).
LogicalResult lowerToGpuKernels(ModuleOp module, ArrayRef<std::string> archs);

/// The PTX for `arch` of the GPU kernels of a `lowerToGpuKernels` module.
FailureOr<std::string> emitKernelPtx(ModuleOp module, StringRef arch);

/// The x86-64 LLVM IR of the kernels of a lowered `module`, as text.
FailureOr<std::string> emitKernelLLVMIR(ModuleOp module,
                                        const CompileOptions &options);

/// Registers every dialect and interface the compiler needs.
void registerCompilerDialects(DialectRegistry &registry);

} // namespace mlir::hydra

#endif // HYDRA_COMPILER_COMPILER_H

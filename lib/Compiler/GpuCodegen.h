//===- GpuCodegen.h - GPU kernels → PTX and cubin --------------*- C++ -*-===//

#ifndef HYDRA_LIB_COMPILER_GPUCODEGEN_H
#define HYDRA_LIB_COMPILER_GPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::hydra {

/// What ptxas reports for one kernel (`ptxas -v`).
struct KernelResources {
  std::string kernel;
  unsigned registers = 0, spillStores = 0, spillLoads = 0, stackBytes = 0,
           sharedBytes = 0, barriers = 0;
};

/// One GPU arch's code for every kernel.
struct GpuBinary {
  std::string arch; // "sm_80"
  std::string ptx;
  std::string cubin;
  std::vector<KernelResources> resources;
};

/// A copy of `module`'s GPU block kernels (hydra-outline-kernels{gpu})
/// as one gpu.module of gpu.funcs, in the NVVM dialect, targeting `archs`.
FailureOr<OwningOpRef<ModuleOp>>
lowerKernelsToNVVM(ModuleOp module, ArrayRef<std::string> archs);

/// PTX of `module`'s GPU kernels for each of `archs` (LLVM's NVPTX backend).
FailureOr<std::vector<GpuBinary>> emitPtx(ModuleOp module,
                                          ArrayRef<std::string> archs);

/// Assembles `binary.ptx` into `binary.cubin` with ptxas, recording each
/// kernel's resource use.
LogicalResult assembleCubin(Operation *anchor, GpuBinary &binary);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_GPUCODEGEN_H

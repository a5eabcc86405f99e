//===- CudaToolkit.h - the CUDA tools hydra-compile runs -------*- C++ -*-===//
//
// GPU code generation needs the CUDA toolkit at compile time (libdevice
// for the math functions, ptxas for cubins); the runtime needs only the
// driver. The toolkit is found at $HYDRA_CUDA_PATH, else $CUDA_PATH, else
// the path configured at build time.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_COMPILER_CUDATOOLKIT_H
#define HYDRA_LIB_COMPILER_CUDATOOLKIT_H

#include "mlir/IR/Operation.h"

#include <string>

namespace mlir::hydra {

std::string cudaToolkitPath();

struct PtxasOutput {
  std::string cubin;
  std::string report; // what `ptxas -v` printed
};

/// Assembles `ptx` for `arch` (sm_NN) at -O3 with -v. Errors name the
/// missing tool or quote ptxas's own message.
FailureOr<PtxasOutput> runPtxas(Operation *anchor, StringRef ptx,
                                StringRef arch);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_CUDATOOLKIT_H

//===- PassManagerSetup.h - what every compiler pass manager gets -*- C++
//-*-===//
//
// The compiler runs several pass managers (raising, the CPU and GPU
// pipelines, the kernels' lowering). Each is set up here, so that a tool
// that registered MLIR's pass-manager and timing options
// (--mlir-print-ir-*, --mlir-timing: hydra-compile does) and said so with
// usePassManagerCLOptions() has them applied to all of them. A library
// (libhydra_compiler) registers none, and MLIR refuses to apply options
// that were never registered.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_COMPILER_PASSMANAGERSETUP_H
#define HYDRA_COMPILER_PASSMANAGERSETUP_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

namespace mlir::hydra {

inline bool &passManagerCLOptionsRegistered() {
  static bool registered = false;
  return registered;
}

/// Registers MLIR's pass-manager, timing and context options with the
/// command line; every pass manager the compiler makes from now on
/// applies them.
inline void usePassManagerCLOptions() {
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  passManagerCLOptionsRegistered() = true;
}

inline LogicalResult setUpPassManager(PassManager &pm) {
  if (!passManagerCLOptionsRegistered())
    return success();
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  return success();
}

} // namespace mlir::hydra

#endif // HYDRA_COMPILER_PASSMANAGERSETUP_H

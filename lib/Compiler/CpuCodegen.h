//===- CpuCodegen.h - kernels → x86-64 shared object ----------*- C++ -*-===//

#ifndef HYDRA_LIB_COMPILER_CPUCODEGEN_H
#define HYDRA_LIB_COMPILER_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::hydra {

/// Translates a module in the LLVM dialect to LLVM IR and optimizes it for
/// the x86-64 CPU `cpu` ("native": this machine's).
FailureOr<std::string> translateToLLVMIR(ModuleOp llvmModule, StringRef cpu);

/// Compiles a module in the LLVM dialect to an x86-64 ELF shared object and
/// returns its bytes.
FailureOr<std::string> compileToSharedObject(ModuleOp llvmModule,
                                             StringRef cpu);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_CPUCODEGEN_H

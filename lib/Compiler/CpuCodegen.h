//===- CpuCodegen.h - kernels → x86-64 shared object ----------*- C++ -*-===//

#ifndef HYDRA_LIB_COMPILER_CPUCODEGEN_H
#define HYDRA_LIB_COMPILER_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::hydra {

/// Translates a module in the LLVM dialect to LLVM IR and optimizes it for
/// the x86-64 CPU `cpu` ("native": this machine's).
FailureOr<std::string> translateToLLVMIR(ModuleOp llvmModule, StringRef cpu);

/// An x86-64 ELF shared object and what it needs of the CPU that runs it.
struct CpuObject {
  std::string bytes;
  std::string cpu; // the LLVM CPU it was generated for ("native" resolved)
  // The ISA extensions of cpu_features.h its target enables, which its
  // code may use; the runtime checks them before loading it.
  std::vector<std::string> features;
};

/// Compiles a module in the LLVM dialect to an x86-64 ELF shared object for
/// the x86-64 CPU `cpu` ("native": this machine's).
FailureOr<CpuObject> compileToSharedObject(ModuleOp llvmModule, StringRef cpu);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_CPUCODEGEN_H

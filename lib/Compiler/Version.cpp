//===- Version.cpp - what the compiler tools print for --version ----------===//

#include "hydra/Compiler/Compiler.h"

#include "artifact_format.h"
#include "hydra/version.h"

#include "llvm/Config/llvm-config.h"

std::string mlir::hydra::versionText(StringRef tool) {
  return (tool + " " + HYDRA_VERSION_STRING + " (hydra; LLVM/MLIR " +
          LLVM_VERSION_STRING + ", writes artifact format " +
          std::to_string(::hydra::artifact::kFormatVersion) + ")")
      .str();
}

//===- hydra-opt.cpp - mlir-opt with the hydra dialect and passes ---------===//

#include "hydra/Compiler/Compiler.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "llvm/Support/CommandLine.h"

int main(int argc, char **argv) {
  // --version: LLVM's lines (hydra-opt is an mlir-opt), then hydra's.
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << mlir::hydra::versionText("hydra-opt") << "\n";
  });
  mlir::registerAllPasses();
  mlir::hydra::registerHydraPasses();
  mlir::hydra::registerHydraPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::hydra::HydraDialect>();
  mlir::hydra::registerBufferizableOpInterfaceExternalModels(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "hydra optimizer driver: MLIR with the hydra dialect\n",
      registry));
}

//===- Compiler.cpp - hydra module → artifact -----------------------------===//

#include "hydra/Compiler/Compiler.h"

#include "ArtifactWriter.h"
#include "CpuCodegen.h"
#include "DimSymbols.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"

#include <map>

using namespace mlir;
using namespace mlir::hydra;

void mlir::hydra::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<HydraDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
}

LogicalResult mlir::hydra::lowerToKernels(ModuleOp module,
                                          const CompileOptions &options) {
  PassManager pm(module.getContext());
  HydraToLLVMOptions pipeline;
  pipeline.queryTile = options.queryTile;
  pipeline.keyTile = options.keyTile;
  pipeline.chunkSize = options.chunkSize;
  buildHydraToKernelsPipeline(pm, pipeline);
  return pm.run(module);
}

/// A copy of `module` holding only the kernels, lowered to the LLVM dialect.
static FailureOr<OwningOpRef<ModuleOp>> lowerKernelsToLLVM(ModuleOp module) {
  OwningOpRef<ModuleOp> kernels = module.clone();
  for (Operation &op : llvm::make_early_inc_range(*kernels->getBody())) {
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func || !func->hasAttr(kKernelAttrName))
      op.erase();
  }
  PassManager pm(module.getContext());
  buildHydraLowerToLLVMPipeline(pm);
  if (failed(pm.run(*kernels)))
    return failure();
  return kernels;
}

FailureOr<std::string>
mlir::hydra::emitKernelLLVMIR(ModuleOp module, const CompileOptions &options) {
  auto kernels = lowerKernelsToLLVM(module);
  if (failed(kernels))
    return failure();
  return translateToLLVMIR(**kernels, options.cpu);
}

FailureOr<std::string>
mlir::hydra::compileToArtifact(ModuleOp module, const CompileOptions &options) {
  for (const std::string &target : options.targets)
    if (target != "cpu")
      return module.emitError()
                 << "not supported: target '" << target
                 << "' (this build generates code for 'cpu' only)",
             failure();

  // Size symbols come from the tensor-level functions, before lowering.
  std::map<std::string, DimSymbols> symbols;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    FailureOr<DimSymbols> s = DimSymbols::analyze(func);
    if (failed(s))
      return failure();
    symbols.emplace(func.getSymName().str(), std::move(*s));
  }
  if (symbols.empty())
    return module.emitError() << "no function to compile", failure();

  if (failed(lowerToKernels(module, options)))
    return failure();

  ArtifactWriter writer;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func->hasAttr(kKernelAttrName) && !func.isExternal())
      if (failed(writer.addFunction(func, symbols.at(func.getSymName().str()))))
        return failure();

  auto kernels = lowerKernelsToLLVM(module);
  if (failed(kernels))
    return failure();
  FailureOr<std::string> so = compileToSharedObject(**kernels, options.cpu);
  if (failed(so))
    return failure();
  writer.addExecutable(
      "x86_64", ::hydra_artifact::ExecutableFormat::elf_shared_object, *so);
  return writer.finish(options.sourceHash);
}

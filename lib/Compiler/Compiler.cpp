//===- Compiler.cpp - hydra module → artifact -----------------------------===//

#include "hydra/Compiler/Compiler.h"

#include "ArtifactWriter.h"
#include "AttentionLayers.h"
#include "CachePairs.h"
#include "CpuCodegen.h"
#include "DimSymbols.h"
#include "GpuCodegen.h"
#include "artifact_format.h"

#include "hydra/Compiler/PassManagerSetup.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <map>

using namespace mlir;
using namespace mlir::hydra;
using ::hydra::artifact::kCpuTarget;
using ::hydra::artifact::kEmulatorTarget;

void mlir::hydra::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // GPU code generation translates gpu.module/NVVM to LLVM IR in process.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<HydraDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
}

LogicalResult mlir::hydra::lowerToKernels(ModuleOp module,
                                          const CompileOptions &options) {
  if (options.weightType != "f32" && options.weightType != "bf16")
    return emitError(module.getLoc())
           << "weight type must be f32 or bf16, not '" << options.weightType
           << "'";
  PassManager pm(module.getContext());
  HydraToLLVMOptions pipeline;
  pipeline.queryTile = options.queryTile;
  pipeline.keyTile = options.keyTile;
  pipeline.chunkSize = options.chunkSize;
  pipeline.weightType = options.weightType;
  buildHydraToKernelsPipeline(pm, pipeline);
  if (failed(setUpPassManager(pm)))
    return failure();
  return pm.run(module);
}

/// A copy of `module` holding only the kernels, lowered to the LLVM dialect.
/// With `emulateGpu`, the kernels are GPU block kernels compiled for the
/// runtime's GPU emulator.
static FailureOr<OwningOpRef<ModuleOp>>
lowerKernelsToLLVM(ModuleOp module, bool emulateGpu = false) {
  OwningOpRef<ModuleOp> kernels = module.clone();
  for (Operation &op : llvm::make_early_inc_range(*kernels->getBody())) {
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func || !func->hasAttr(kKernelAttrName))
      op.erase();
  }
  PassManager pm(module.getContext());
  if (emulateGpu)
    pm.addPass(createHydraEmulateGpu());
  buildHydraLowerToLLVMPipeline(pm);
  if (failed(setUpPassManager(pm)) || failed(pm.run(*kernels)))
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

namespace {
/// What `--target` asked for.
struct TargetSet {
  bool cpu = false, emulator = false;
  SmallVector<std::string> archs;
  bool gpu() const { return emulator || !archs.empty(); }
};
} // namespace

static FailureOr<TargetSet> parseTargets(ModuleOp module,
                                         ArrayRef<std::string> targets) {
  TargetSet set;
  for (const std::string &target : targets) {
    if (target == "cpu")
      set.cpu = true;
    else if (target == kEmulatorTarget)
      set.emulator = true;
    else if (isCudaArch(target)) {
      if (!llvm::is_contained(set.archs, target))
        set.archs.push_back(target);
    } else
      return module.emitError()
                 << "not supported: target '" << target
                 << "' (targets: cpu, sm_75 ... sm_120 with an optional 'a', "
                 << kEmulatorTarget << ")",
             failure();
  }
  if (!set.cpu && !set.gpu())
    return module.emitError() << "no target given", failure();
  return set;
}

LogicalResult mlir::hydra::lowerToGpuKernels(ModuleOp module,
                                             ArrayRef<std::string> archs) {
  PassManager pm(module.getContext());
  HydraToGpuKernelsOptions options;
  for (const std::string &arch : archs)
    options.minArch = std::min<unsigned>(options.minArch, cudaArchNumber(arch));
  buildHydraToGpuKernelsPipeline(pm, options);
  if (failed(setUpPassManager(pm)))
    return failure();
  return pm.run(module);
}

FailureOr<std::string> mlir::hydra::emitKernelPtx(ModuleOp module,
                                                  StringRef arch) {
  if (!isCudaArch(arch))
    return module.emitError() << "not supported: GPU arch '" << arch << "'",
           failure();
  auto binaries = emitPtx(module, {arch.str()});
  if (failed(binaries))
    return failure();
  return binaries->front().ptx;
}

static void reportStage(const CompileOptions &options, const Twine &stage) {
  if (options.progress)
    options.progress(stage.str());
}

/// Adds every host function of the lowered `module` for `device`.
static LogicalResult
addFunctions(ArtifactWriter &writer, ModuleOp module,
             const std::map<std::string, DimSymbols> &symbols,
             ::hydra_artifact::Device device) {
  for (auto func : module.getOps<func::FuncOp>())
    if (!func->hasAttr(kKernelAttrName) && !func.isExternal())
      if (failed(writer.addFunction(func, symbols.at(func.getSymName().str()),
                                    device)))
        return failure();
  return success();
}

static LogicalResult addCpu(ArtifactWriter &writer, ModuleOp module,
                            const std::map<std::string, DimSymbols> &symbols,
                            const CompileOptions &options) {
  reportStage(options, "cpu: kernels");
  if (failed(lowerToKernels(module, options)) ||
      failed(
          addFunctions(writer, module, symbols, ::hydra_artifact::Device::cpu)))
    return failure();
  reportStage(options, "cpu: x86-64 code");
  auto kernels = lowerKernelsToLLVM(module);
  if (failed(kernels))
    return failure();
  FailureOr<CpuObject> so = compileToSharedObject(**kernels, options.cpu);
  if (failed(so))
    return failure();
  writer.addExecutable(kCpuTarget,
                       ::hydra_artifact::ExecutableFormat::elf_shared_object,
                       so->bytes, {}, so->cpu, so->features);
  return success();
}

static LogicalResult addGpu(ArtifactWriter &writer, ModuleOp module,
                            const std::map<std::string, DimSymbols> &symbols,
                            const TargetSet &targets,
                            const CompileOptions &options) {
  namespace fb = ::hydra_artifact;
  reportStage(options, "gpu: block kernels");
  if (failed(lowerToGpuKernels(module, targets.archs)) ||
      failed(addFunctions(writer, module, symbols, fb::Device::cuda)))
    return failure();
  if (!targets.archs.empty()) {
    reportStage(options, "gpu: PTX for " + llvm::join(targets.archs, ","));
    auto binaries = emitPtx(module, targets.archs);
    if (failed(binaries))
      return failure();
    for (GpuBinary &binary : *binaries) {
      reportStage(options, binary.arch + ": ptxas");
      if (failed(assembleCubin(module, binary)))
        return failure();
      std::vector<flatbuffers::Offset<fb::KernelResources>> resources;
      for (const KernelResources &r : binary.resources)
        resources.push_back(fb::CreateKernelResources(
            writer.builder(), writer.builder().CreateString(r.kernel),
            r.registers, r.spillStores, r.spillLoads, r.stackBytes,
            r.sharedBytes));
      writer.addExecutable(binary.arch, fb::ExecutableFormat::ptx, binary.ptx);
      writer.addExecutable(binary.arch, fb::ExecutableFormat::cubin,
                           binary.cubin, resources);
    }
  }
  if (targets.emulator) {
    reportStage(options, Twine(kEmulatorTarget) + ": x86-64 code");
    auto kernels = lowerKernelsToLLVM(module, /*emulateGpu=*/true);
    if (failed(kernels))
      return failure();
    FailureOr<CpuObject> so = compileToSharedObject(**kernels, options.cpu);
    if (failed(so))
      return failure();
    writer.addExecutable(kEmulatorTarget,
                         fb::ExecutableFormat::elf_shared_object, so->bytes, {},
                         so->cpu, so->features);
  }
  return success();
}

FailureOr<std::string>
mlir::hydra::compileToArtifact(ModuleOp module, const CompileOptions &options) {
  FailureOr<TargetSet> targets = parseTargets(module, options.targets);
  if (failed(targets))
    return failure();

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
  // Cache pairs and attention layers, likewise, from the tensor-level
  // functions.
  ArtifactWriter writer;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal()) {
      writer.setCaches(func.getSymName(), findCachePairs(func));
      writer.setAttentionLayers(func.getSymName(), findAttentionLayers(func));
    }
  if (symbols.empty())
    return module.emitError() << "no function to compile", failure();

  // Each device lowers its own copy: the tiling, and so the kernels and
  // their launches, differ.
  if (targets->cpu && targets->gpu()) {
    OwningOpRef<ModuleOp> copy = module.clone();
    if (failed(addCpu(writer, *copy, symbols, options)))
      return failure();
  } else if (targets->cpu && failed(addCpu(writer, module, symbols, options))) {
    return failure();
  }
  if (targets->gpu() &&
      failed(addGpu(writer, module, symbols, *targets, options)))
    return failure();
  reportStage(options, "artifact");
  return writer.finish(options.sourceHash);
}

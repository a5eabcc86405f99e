//===- Pipelines.cpp - the hydra pass pipelines ---------------------------===//
//
// hydra-to-llvm takes hydra.hybrid_attention on tensors to the LLVM dialect
// for the host CPU. Upstream passes are named by their textual pipeline so
// that `--mlir-print-ir-after-all` and docs/passes.md read the same.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::hydra;

void hydra::registerPassesForTextualPipelines() {
  // The upstream passes are named in text, so they must be registered in
  // every tool that builds these pipelines, not only in hydra-opt.
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerAllPasses();
    registerHydraPasses();
  });
}

static void addTextualPipeline(OpPassManager &pm, StringRef text) {
  registerPassesForTextualPipelines();
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error("hydra: malformed built-in pass pipeline");
}

static HydraTileAttentionOptions
tilingOptions(const HydraToLLVMOptions &options) {
  HydraTileAttentionOptions tiling;
  tiling.queryTile = options.queryTile;
  tiling.keyTile = options.keyTile;
  tiling.chunkSize = options.chunkSize;
  return tiling;
}

/// Split, fuse and bufferize; identity layouts at the function boundary
/// keep rows contiguous for the vector loads of the tiled kernels.
static void addSplitFuseBufferize(OpPassManager &pm) {
  pm.addPass(createHydraDropSizeChecks());
  pm.addPass(createHydraDecompose());
  pm.addPass(createHydraSplitHeads());
  pm.addPass(createHydraFuseMerge());
  pm.addPass(createHydraFuseElementwise());
  pm.addPass(createCSEPass());
  pm.addPass(createHydraCloneFills());
  addTextualPipeline(pm,
                     "one-shot-bufferize{bufferize-function-boundaries "
                     "function-boundary-type-conversion=identity-layout-map}");
}

static HydraTileContractionsOptions
contractionOptions(const HydraToLLVMOptions &options) {
  HydraTileContractionsOptions contractions;
  contractions.weightType = options.weightType;
  return contractions;
}

void hydra::buildHydraBufferizePipeline(OpPassManager &pm) {
  addSplitFuseBufferize(pm);
  // Results become caller-owned trailing arguments.
  addTextualPipeline(pm, "buffer-results-to-out-params{hoist-static-allocs="
                         "true modify-public-functions=true},"
                         "canonicalize");
}

void hydra::buildHydraToKernelsPipeline(OpPassManager &pm,
                                        const HydraToLLVMOptions &options) {
  addSplitFuseBufferize(pm);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createHydraTransposeViews());
  pm.addPass(createHydraTileAttention(tilingOptions(options)));
  pm.addPass(createHydraTileContractions(contractionOptions(options)));
  // No canonicalization until the loops are outlined: it would inline
  // single-iteration foralls, scratch buffers and all, into the host.
  pm.addNestedPass<func::FuncOp>(createHydraOwnResultBuffers());
  HydraWrapHostOpsOptions wrap;
  wrap.splitParallel = true;
  pm.addNestedPass<func::FuncOp>(createHydraWrapHostOps(wrap));
  pm.addPass(createHydraOutlineKernels());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hydra::buildHydraToGpuKernelsPipeline(
    OpPassManager &pm, const HydraToGpuKernelsOptions &options) {
  addSplitFuseBufferize(pm);
  pm.addPass(createCanonicalizerPass());
  HydraTileAttentionGpuOptions tile;
  tile.minArch = options.minArch;
  pm.addPass(createHydraTileAttentionGpu(tile));
  pm.addNestedPass<func::FuncOp>(createHydraOwnResultBuffers());
  pm.addNestedPass<func::FuncOp>(createHydraWrapHostOps());
  pm.addNestedPass<func::FuncOp>(createHydraDistributeHostOps());
  HydraOutlineKernelsOptions outline;
  outline.gpu = true;
  pm.addPass(createHydraOutlineKernels(outline));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hydra::buildHydraLowerToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createHydraStripWork());
  // Vector exponentials as arithmetic rather than per-lane libm calls.
  pm.addPass(createHydraApproximateMath());
  // The CPU code runs the (batch, head, tile) loops serially, so each
  // forall iteration's stack buffers are hoisted out of the loops and
  // reused, rather than left as allocas that grow the stack every iteration.
  addTextualPipeline(pm, "func.func(convert-linalg-to-loops),"
                         "scf-forall-to-for,"
                         "func.func(buffer-loop-hoisting),"
                         "canonicalize,"
                         "cse,"
                         "loop-invariant-code-motion,"
                         "convert-scf-to-cf,"
                         // bf16 arithmetic in f32 and bf16 conversions as
                         // integer arithmetic: without AVX512-BF16 LLVM
                         // calls __truncsfbf2, which the kernels (linked
                         // with libm and libc only) lack.
                         "arith-emulate-unsupported-floats{source-types=bf16 "
                         "target-type=f32},"
                         "arith-expand{include-bf16=true},"
                         "func.func(llvm-request-c-wrappers),"
                         // 16 × 16 transposes (KernelBuilder::
                         // transposeRows) as 64 shuffles, not 256 moves.
                         "convert-vector-to-llvm{vector-transpose-lowering="
                         "shuffle16x16},"
                         "convert-ub-to-llvm,"
                         "convert-math-to-llvm,"
                         "convert-math-to-libm,"
                         "expand-strided-metadata,"
                         "lower-affine,"
                         "finalize-memref-to-llvm,"
                         "convert-arith-to-llvm,"
                         "convert-index-to-llvm,"
                         "convert-cf-to-llvm,"
                         "convert-func-to-llvm,"
                         "reconcile-unrealized-casts,"
                         "canonicalize,"
                         "cse");
  pm.addPass(createHydraKernelEntries());
}

void hydra::buildHydraToLLVMPipeline(OpPassManager &pm,
                                     const HydraToLLVMOptions &options) {
  buildHydraBufferizePipeline(pm);
  pm.addPass(createHydraTransposeViews());
  pm.addPass(createHydraTileAttention(tilingOptions(options)));
  pm.addPass(createHydraTileContractions(contractionOptions(options)));
  buildHydraLowerToLLVMPipeline(pm);
}

void hydra::registerHydraPipelines() {
  PassPipelineRegistration<>(
      "hydra-bufferize",
      "Split heads, fuse the merge and bufferize hydra.hybrid_attention",
      buildHydraBufferizePipeline);
  PassPipelineRegistration<>(
      "hydra-lower-to-llvm",
      "Lower tiled hydra kernels (scf, vector, memref, math) to the LLVM "
      "dialect for the host CPU",
      buildHydraLowerToLLVMPipeline);
  PassPipelineRegistration<HydraToLLVMOptions>(
      "hydra-to-kernels",
      "From hydra.hybrid_attention to a host program of hydra.launch ops "
      "and the kernels it launches",
      buildHydraToKernelsPipeline);
  PassPipelineRegistration<HydraToGpuKernelsOptions>(
      "hydra-to-gpu-kernels",
      "From hydra.hybrid_attention to a host program of hydra.launch ops "
      "and the GPU block kernels it launches",
      buildHydraToGpuKernelsPipeline);
  PassPipelineRegistration<HydraToLLVMOptions>(
      "hydra-to-llvm",
      "The whole pipeline from hydra.hybrid_attention to the LLVM dialect",
      buildHydraToLLVMPipeline);
}

//===- Passes.h - hydra passes and pipelines ------------------*- C++ -*-===//

#ifndef HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_H
#define HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_H

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/TileDefaults.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::hydra {

#define GEN_PASS_DECL
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"

/// Options of the hydra-to-llvm pipeline.
struct HydraToLLVMOptions : public PassPipelineOptions<HydraToLLVMOptions> {
  PassOptions::Option<int64_t> queryTile{
      *this, "query-tile", llvm::cl::desc("Query rows per FA tile"),
      llvm::cl::init(kDefaultQueryTile)};
  PassOptions::Option<int64_t> keyTile{
      *this, "key-tile", llvm::cl::desc("Keys per FA key/value tile"),
      llvm::cl::init(kDefaultKeyTile)};
  PassOptions::Option<int64_t> chunkSize{*this, "chunk-size",
                                         llvm::cl::desc("Steps per LA chunk"),
                                         llvm::cl::init(kDefaultChunkSize)};
  PassOptions::Option<std::string> weightType{
      *this, "weight-type",
      llvm::cl::desc("Element type of packed constant weights (f32, bf16)"),
      llvm::cl::init("f32")};
};

/// hydra.hybrid_attention on tensors → split → fuse → bufferize.
void buildHydraBufferizePipeline(OpPassManager &pm);

/// hydra.hybrid_attention → split, fuse, bufferize (results stay function
/// results), tile, outline: a host program of hydra.launch ops and the
/// kernels they run.
void buildHydraToKernelsPipeline(OpPassManager &pm,
                                 const HydraToLLVMOptions &options);

/// Whether `target` names a CUDA arch hydra generates code for: sm_NN or
/// sm_NNa, sm_75 or later (hydra-kernels-to-gpu-module's chips).
bool isCudaArch(StringRef target);
/// The compute capability of a CUDA arch as a number (sm_90a: 90), 0 for
/// anything else.
unsigned cudaArchNumber(StringRef arch);

/// Registers every upstream and hydra pass once, so that pipelines given
/// as text parse in any tool (not only hydra-opt).
void registerPassesForTextualPipelines();

struct HydraToGpuKernelsOptions
    : public PassPipelineOptions<HydraToGpuKernelsOptions> {
  PassOptions::Option<unsigned> minArch{
      *this, "min-arch",
      llvm::cl::desc("The oldest CUDA arch the kernels run on (75: sm_75): "
                     "tensor cores (mma.sync m16n8k16) and cp.async from 80"),
      llvm::cl::init(80)};
};

/// The same for GPU targets: the kernels are GPU blocks
/// (hydra-tile-attention-gpu, hydra-outline-kernels{gpu}).
void buildHydraToGpuKernelsPipeline(OpPassManager &pm,
                                    const HydraToGpuKernelsOptions &options);

/// Bufferized, tiled loops (vector, scf, memref, math) → LLVM dialect for
/// the host CPU.
void buildHydraLowerToLLVMPipeline(OpPassManager &pm);

/// The whole way from hydra.hybrid_attention to the LLVM dialect.
void buildHydraToLLVMPipeline(OpPassManager &pm,
                              const HydraToLLVMOptions &options);

/// Registers the named pipelines with the pass registry.
void registerHydraPipelines();

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_H

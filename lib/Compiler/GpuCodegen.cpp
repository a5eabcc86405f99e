//===- GpuCodegen.cpp - GPU kernels → PTX and cubin -----------------------===//
//
// The block kernels become gpu.funcs in one gpu.module
// (hydra-kernels-to-gpu-module), which upstream's NVVM lowering (with
// hydra-lower-bf16-mma) and gpu-module-to-binary (LLVM's NVPTX backend,
// libdevice linked from the CUDA toolkit) turn into PTX for each arch. ptxas
// then assembles each arch's PTX into a cubin; its `-v` report is kept as the
// kernels' resource use.
//
//===----------------------------------------------------------------------===//

#include "GpuCodegen.h"

#include "CudaToolkit.h"
#include "hydra/Compiler/PassManagerSetup.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

using namespace mlir;
using namespace mlir::hydra;

/// Runs `pipeline` (textual, anchored on `op`'s kind) on `op`.
static LogicalResult runPipeline(Operation *op, const std::string &pipeline) {
  registerPassesForTextualPipelines();
  PassManager pm(op->getContext(), op->getName().getStringRef());
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return op->emitError() << "hydra: malformed GPU pass pipeline";
  if (failed(setUpPassManager(pm)))
    return failure();
  return pm.run(op);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::hydra::lowerKernelsToNVVM(ModuleOp module, ArrayRef<std::string> archs) {
  OwningOpRef<ModuleOp> kernels = module.clone();
  for (Operation &op : llvm::make_early_inc_range(*kernels->getBody())) {
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func || !func->hasAttr(kKernelAttrName))
      op.erase();
  }
  // Ordinary operators' linalg ops become loops first (on func.func); the
  // kernels then move into a gpu.module, whose NVVM lowering is upstream's
  // but for bf16 mma.sync (hydra-lower-bf16-mma, before nvgpu-to-nvvm).
  if (failed(runPipeline(*kernels,
                         "hydra-strip-work,"
                         "func.func(convert-linalg-to-loops),"
                         "lower-affine,canonicalize,"
                         "hydra-kernels-to-gpu-module{chips=" +
                             llvm::join(archs, ",") +
                             "},"
                             "gpu.module(hydra-lower-bf16-mma,"
                             "expand-strided-metadata,lower-affine,"
                             "convert-scf-to-cf,convert-nvgpu-to-nvvm,"
                             "convert-gpu-to-nvvm,convert-vector-to-llvm,"
                             "reconcile-unrealized-casts,canonicalize,cse)")))
    return failure();
  return kernels;
}

FailureOr<std::vector<GpuBinary>>
mlir::hydra::emitPtx(ModuleOp module, ArrayRef<std::string> archs) {
  auto kernels = lowerKernelsToNVVM(module, archs);
  if (failed(kernels))
    return failure();
  std::string toolkit = cudaToolkitPath();
  if (failed(runPipeline(**kernels, "gpu-module-to-binary{format=isa toolkit=" +
                                        toolkit + "}")))
    return failure();
  std::vector<GpuBinary> binaries;
  for (auto binary : (*kernels)->getBody()->getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = cast<NVVM::NVVMTargetAttr>(object.getTarget());
      binaries.push_back(
          {target.getChip().str(), object.getObject().str(), "", {}});
    }
  if (binaries.size() != archs.size())
    return module.emitError() << "GPU code generation gave " << binaries.size()
                              << " objects for " << archs.size() << " archs",
           failure();
  return binaries;
}

/// Parses ptxas -v's report into per-kernel resource use.
static std::vector<KernelResources> parsePtxasReport(StringRef report) {
  std::vector<KernelResources> kernels;
  llvm::Regex entry("Compiling entry function '([A-Za-z0-9_]+)'");
  llvm::Regex frame("([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, "
                    "([0-9]+) bytes spill loads");
  llvm::Regex used("Used ([0-9]+) registers");
  llvm::Regex barriers("used ([0-9]+) barriers");
  llvm::Regex smem("([0-9]+) bytes smem");
  SmallVector<StringRef> lines;
  report.split(lines, '\n');
  auto number = [](StringRef s) {
    unsigned v = 0;
    s.getAsInteger(10, v);
    return v;
  };
  for (StringRef line : lines) {
    SmallVector<StringRef> m;
    if (entry.match(line, &m)) {
      kernels.push_back({m[1].str()});
      continue;
    }
    if (kernels.empty())
      continue;
    KernelResources &k = kernels.back();
    if (frame.match(line, &m)) {
      k.stackBytes = number(m[1]);
      k.spillStores = number(m[2]);
      k.spillLoads = number(m[3]);
    }
    if (used.match(line, &m))
      k.registers = number(m[1]);
    if (barriers.match(line, &m))
      k.barriers = number(m[1]);
    if (smem.match(line, &m))
      k.sharedBytes = number(m[1]);
  }
  return kernels;
}

LogicalResult mlir::hydra::assembleCubin(Operation *anchor, GpuBinary &binary) {
  FailureOr<PtxasOutput> out = runPtxas(anchor, binary.ptx, binary.arch);
  if (failed(out))
    return failure();
  binary.cubin = std::move(out->cubin);
  binary.resources = parsePtxasReport(out->report);
  return success();
}

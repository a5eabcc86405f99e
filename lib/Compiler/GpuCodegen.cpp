//===- GpuCodegen.cpp - GPU kernels → PTX and cubin -----------------------===//
//
// The block kernels become gpu.funcs in one gpu.module, which upstream's
// NVVM lowering and gpu-module-to-binary (LLVM's NVPTX backend, libdevice
// linked from the CUDA toolkit) turn into PTX for each arch. ptxas then
// assembles each arch's PTX into a cubin; its `-v` report is kept as the
// kernels' resource use.
//
//===----------------------------------------------------------------------===//

#include "GpuCodegen.h"

#include "CudaToolkit.h"
#include "hydra/Compiler/PassManagerSetup.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"


using namespace mlir;
using namespace mlir::hydra;

static constexpr StringLiteral kGpuModuleName = "hydra_kernels";

bool mlir::hydra::isCudaArch(StringRef target) {
  if (!target.consume_front("sm_"))
    return false;
  target.consume_back("a");
  unsigned arch;
  return !target.getAsInteger(10, arch) && arch >= 75;
}

/// The kernel as a gpu.func: the same body, shared-memory allocations as
/// workgroup attributions, and the block size as known_block_size.
static LogicalResult toGpuFunc(func::FuncOp kernel, gpu::GPUModuleOp gpuModule) {
  auto blockSize = kernel->getAttrOfType<IntegerAttr>(kBlockSizeAttrName);
  if (!blockSize)
    return kernel.emitOpError()
           << "is not a GPU block kernel (run hydra-outline-kernels{gpu})";
  OpBuilder b = OpBuilder::atBlockEnd(gpuModule.getBody());
  auto func = gpu::GPUFuncOp::create(b, kernel.getLoc(), kernel.getSymName(),
                                     kernel.getFunctionType());
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(blockSize.getInt()), 1, 1}));
  // One resident block an SM is all a kernel needs: without this ptxas
  // caps registers to fit the most blocks an SM can hold, and spills.
  func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                b.getI32IntegerAttr(1));
  Block &entry = func.getBody().front();
  Block &old = kernel.getBody().front();
  for (auto [from, to] : llvm::zip(old.getArguments(), entry.getArguments()))
    from.replaceAllUsesWith(to);
  entry.getOperations().splice(entry.end(), old.getOperations());
  SmallVector<memref::AllocOp> shared;
  func.walk([&](Operation *op) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      OpBuilder rb(ret);
      gpu::ReturnOp::create(rb, ret.getLoc());
      ret.erase();
    } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(alloc.getType()))
        shared.push_back(alloc);
    }
  });
  for (memref::AllocOp alloc : shared) {
    if (!alloc->getParentOfType<gpu::GPUFuncOp>() ||
        !alloc.getDynamicSizes().empty())
      return alloc.emitOpError() << "not supported: a dynamic shared buffer";
    BlockArgument attribution =
        func.addWorkgroupAttribution(alloc.getType(), alloc.getLoc());
    alloc.replaceAllUsesWith(attribution);
    alloc.erase();
  }
  kernel.erase();
  return success();
}

/// Runs `pipeline` (textual, anchored on `op`'s kind) on `op`.
/// nvgpu.mma.sync on bf16 operands as nvvm.mma.sync (upstream's
/// nvgpu-to-nvvm lowering handles f16 but not bf16): each pair of bf16 is
/// one i32 register, as the PTX instruction takes them.
static void lowerBf16Mma(gpu::GPUModuleOp gpuModule) {
  SmallVector<nvgpu::MmaSyncOp> ops;
  gpuModule.walk([&](nvgpu::MmaSyncOp op) {
    if (op.getMatrixA().getType().getElementType().isBF16())
      ops.push_back(op);
  });
  for (nvgpu::MmaSyncOp op : ops) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto packed = [&](Value matrix) {
      SmallVector<Value> registers;
      auto type = cast<VectorType>(matrix.getType());
      for (int64_t i = 0; i < type.getDimSize(0); ++i) {
        Value pair = vector::ExtractOp::create(b, loc, matrix, int64_t(i));
        Value word = vector::BitCastOp::create(
            b, loc, VectorType::get({1}, b.getI32Type()), pair);
        registers.push_back(vector::ExtractOp::create(b, loc, word, int64_t(0)));
      }
      return registers;
    };
    SmallVector<Value> c;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j)
        c.push_back(vector::ExtractOp::create(b, loc, op.getMatrixC(),
                                              ArrayRef<int64_t>{i, j}));
    Type f32 = b.getF32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                       {f32, f32, f32, f32});
    auto mma = NVVM::MmaOp::create(
        b, loc, resultType, packed(op.getMatrixA()), packed(op.getMatrixB()),
        c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    Value d = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(op.getRes().getType(),
                                       b.getF32FloatAttr(0.0f)));
    for (int64_t i = 0; i < 4; ++i)
      d = vector::InsertOp::create(
          b, loc,
          LLVM::ExtractValueOp::create(b, loc, mma, ArrayRef<int64_t>{i}), d,
          ArrayRef<int64_t>{i / 2, i % 2});
    op.replaceAllUsesWith(d);
    op.erase();
  }
}

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
  // Ordinary operators' linalg ops become loops first (on func.func).
  if (failed(runPipeline(*kernels, "hydra-strip-work,"
                                   "func.func(convert-linalg-to-loops),"
                                   "lower-affine,canonicalize")))
    return failure();

  MLIRContext *ctx = module.getContext();
  SmallVector<Attribute> targets;
  for (const std::string &arch : archs) {
    Attribute target = parseAttribute(
        "#nvvm.target<chip = \"" + arch + "\", O = 3>", ctx);
    if (!target)
      return module.emitError() << "no NVVM target for '" << arch << "'",
             failure();
    targets.push_back(target);
  }
  OpBuilder b = OpBuilder::atBlockBegin(kernels->getBody());
  (*kernels)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      b.getUnitAttr());
  auto gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), kGpuModuleName,
                                            b.getArrayAttr(targets));
  for (auto kernel :
       llvm::make_early_inc_range(kernels->getOps<func::FuncOp>()))
    if (failed(toGpuFunc(kernel, gpuModule)))
      return failure();
  lowerBf16Mma(gpuModule);
  if (failed(runPipeline(*kernels,
                         "gpu.module(expand-strided-metadata,lower-affine,"
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
  if (failed(runPipeline(**kernels,
                         "gpu-module-to-binary{format=isa toolkit=" +
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
    return module.emitError() << "GPU code generation gave "
                              << binaries.size() << " objects for "
                              << archs.size() << " archs",
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

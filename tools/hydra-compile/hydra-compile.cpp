//===- hydra-compile.cpp - model → hydra artifact -------------------------===//
//
//   hydra-compile MODEL.{onnx,mlir} -o OUT.hydra [--target=cpu,sm_80,...]
//   hydra-compile MODEL --emit=mlir|hydra|kernels|llvm|gpu-kernels|ptx
//
//===----------------------------------------------------------------------===//

#include "hydra/Compiler/Compiler.h"
#include "hydra/Import/ONNX/ImportONNX.h"
#include "hydra/Import/ONNX/ModelInput.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | model.mlir>"));
static cl::opt<std::string>
    format("format",
           cl::desc("The input's format: onnx, mlir, or auto (by content: "
                    "MLIR is text, ONNX binary protobuf)"),
           cl::init("auto"));
static cl::opt<std::string> outputPath("o", cl::desc("Output artifact"),
                                       cl::value_desc("file"));
static cl::opt<std::string>
    targets("target",
            cl::desc("Comma-separated targets: cpu, CUDA archs (sm_80, sm_90, "
                     "sm_90a, ...), gpu-emulator (the GPU kernels for the "
                     "runtime's CPU emulation of a GPU)"),
            cl::init("cpu"));
static cl::opt<std::string>
    emit("emit",
         cl::desc("Print an intermediate form to stdout instead: mlir (as "
                  "imported), hydra (after raising), kernels (host program "
                  "and kernels), llvm (the kernels' LLVM IR), gpu-kernels "
                  "(host program and GPU block kernels), ptx (the GPU "
                  "kernels' PTX for the --target arch, sm_80 if none)"),
         cl::init(""));
static cl::opt<std::string> cpu("cpu", cl::desc("x86-64 CPU to tune for"),
                                cl::init("native"));
static cl::opt<int64_t> queryTile("query-tile",
                                  cl::init(hydra::kDefaultQueryTile),
                                  cl::desc("FA query rows per tile"));
static cl::opt<int64_t> keyTile("key-tile", cl::init(hydra::kDefaultKeyTile),
                                cl::desc("FA keys per tile"));
static cl::opt<int64_t> chunkSize("chunk-size",
                                  cl::init(hydra::kDefaultChunkSize),
                                  cl::desc("LA steps per chunk"));
static cl::opt<std::string>
    weights("weights", cl::init("f32"),
            cl::desc("Element type of the CPU code's constant weights: f32, "
                     "or bf16 (rounded to nearest even, f32 accumulation)"));

static std::string hexDigest(StringRef bytes) {
  auto hash = llvm::SHA256::hash(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  std::string hex;
  for (uint8_t b : hash)
    hex += llvm::formatv("{0:x-2}", b).str();
  return hex;
}

static int fail(const Twine &message) {
  llvm::errs() << "hydra-compile: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "hydra compiler\n");
  if (emit.empty() && outputPath.empty())
    return fail("give -o OUT.hydra, or --emit=... to print a stage");
  if (!emit.empty() &&
      !llvm::is_contained(SmallVector<StringRef>{"mlir", "hydra", "kernels",
                                                 "llvm", "gpu-kernels", "ptx"},
                          StringRef(emit)))
    return fail("unknown --emit=" + emit +
                " (mlir, hydra, kernels, llvm, gpu-kernels, ptx)");

  auto file = llvm::MemoryBuffer::getFile(inputPath);
  if (!file)
    return fail("cannot read '" + inputPath +
                "': " + file.getError().message());
  StringRef bytes = (*file)->getBuffer();

  DialectRegistry registry;
  hydra::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string formatError;
  FailureOr<hydra::ModelFormat> fmt =
      hydra::modelFormat(bytes, format, formatError);
  if (failed(fmt))
    return fail(formatError);
  bool isOnnx = *fmt == hydra::ModelFormat::onnx;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      hydra::readModel(bytes, inputPath, *fmt, &context, sourceMgr);
  if (!module)
    return 1;
  if (emit == "mlir") {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  if (isOnnx && failed(hydra::raiseONNX(*module)))
    return 1;
  if (emit == "hydra") {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }

  hydra::CompileOptions options;
  options.targets.clear();
  SmallVector<StringRef> parts;
  StringRef(targets).split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef t : parts)
    options.targets.push_back(t.trim().str());
  options.cpu = cpu;
  options.queryTile = queryTile;
  options.keyTile = keyTile;
  options.chunkSize = chunkSize;
  options.weightType = weights;
  options.sourceHash = hexDigest(bytes);

  if (emit == "gpu-kernels" || emit == "ptx") {
    if (failed(hydra::lowerToGpuKernels(*module)))
      return 1;
    if (emit == "gpu-kernels") {
      module->print(llvm::outs());
      llvm::outs() << "\n";
      return 0;
    }
    std::string arch = "sm_80";
    for (const std::string &t : options.targets)
      if (StringRef(t).starts_with("sm_")) {
        arch = t;
        break;
      }
    FailureOr<std::string> ptx = hydra::emitKernelPtx(*module, arch);
    if (failed(ptx))
      return 1;
    llvm::outs() << *ptx;
    return 0;
  }
  if (emit == "kernels" || emit == "llvm") {
    if (failed(hydra::lowerToKernels(*module, options)))
      return 1;
    if (emit == "kernels") {
      module->print(llvm::outs());
      llvm::outs() << "\n";
      return 0;
    }
    FailureOr<std::string> ir = hydra::emitKernelLLVMIR(*module, options);
    if (failed(ir))
      return 1;
    llvm::outs() << *ir;
    return 0;
  }

  FailureOr<std::string> artifact = hydra::compileToArtifact(*module, options);
  if (failed(artifact))
    return 1;
  std::string error;
  auto out = openOutputFile(outputPath, &error);
  if (!out)
    return fail(error);
  out->os() << *artifact;
  out->keep();
  return 0;
}

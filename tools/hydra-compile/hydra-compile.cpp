//===- hydra-compile.cpp - model → hydra artifact -------------------------===//
//
//   hydra-compile MODEL.{onnx,mlir} -o OUT.hydra [--target=cpu,sm_80,...]
//   hydra-compile MODEL --emit=mlir|hydra|kernels|llvm|gpu-kernels|ptx
//
//===----------------------------------------------------------------------===//

#include "hydra/Compiler/Compiler.h"
#include "hydra/Compiler/PassManagerSetup.h"
#include "hydra/Import/ONNX/ImportONNX.h"
#include "hydra/Import/ONNX/ModelInput.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

// --help shows hydra's options first (categories print in name order),
// then MLIR's pass-manager and timing options; the rest of LLVM's stay
// behind --help-hidden.
static cl::OptionCategory hydraOptions("Compile options");
static cl::OptionCategory
    mlirOptions("MLIR options (applied to every pass pipeline of the compile)");

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::cat(hydraOptions),
                                      cl::desc("<model.onnx | model.mlir>"));
static cl::opt<std::string>
    format("format", cl::cat(hydraOptions),
           cl::desc("The input's format: onnx, mlir, or auto (by content: "
                    "MLIR is text, ONNX binary protobuf)"),
           cl::init("auto"));
static cl::opt<std::string> outputPath("o", cl::cat(hydraOptions),
                                       cl::desc("Output artifact"),
                                       cl::value_desc("file"));
static cl::opt<std::string>
    targets("target", cl::cat(hydraOptions),
            cl::desc("Comma-separated targets: cpu, CUDA archs (sm_80, sm_90, "
                     "sm_90a, ...), gpu-emulator (the GPU kernels for the "
                     "runtime's CPU emulation of a GPU)"),
            cl::init("cpu"));
static cl::opt<std::string>
    emit("emit", cl::cat(hydraOptions),
         cl::desc("Print an intermediate form to stdout instead: mlir (as "
                  "imported), hydra (after raising), kernels (host program "
                  "and kernels), llvm (the kernels' LLVM IR), gpu-kernels "
                  "(host program and GPU block kernels), ptx (the GPU "
                  "kernels' PTX for the --target arch, sm_80 if none)"),
         cl::init(""));
static cl::opt<std::string> cpu("cpu", cl::cat(hydraOptions),
                                cl::desc("x86-64 CPU to tune for"),
                                cl::init("native"));
static cl::opt<int64_t> queryTile("query-tile",
                                  cl::init(hydra::kDefaultQueryTile),
                                  cl::cat(hydraOptions),
                                  cl::desc("FA query rows per tile"));
static cl::opt<int64_t> keyTile("key-tile", cl::init(hydra::kDefaultKeyTile),
                                cl::cat(hydraOptions),
                                cl::desc("FA keys per tile"));
static cl::opt<int64_t> chunkSize("chunk-size",
                                  cl::init(hydra::kDefaultChunkSize),
                                  cl::cat(hydraOptions),
                                  cl::desc("LA steps per chunk"));
static cl::opt<std::string>
    weights("weights", cl::init("f32"), cl::cat(hydraOptions),
            cl::desc("Element type of the CPU code's constant weights: f32, "
                     "or bf16 (rounded to nearest even, f32 accumulation)"));

static cl::opt<bool>
    progress("progress", cl::cat(hydraOptions),
             cl::desc("Print each compile stage to stderr as it begins, "
                      "with the seconds elapsed"));

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
  hydra::usePassManagerCLOptions();
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    if (entry.first.starts_with("mlir-") &&
        option->getOptionHiddenFlag() == cl::NotHidden)
      option->addCategory(mlirOptions);
  }
  cl::HideUnrelatedOptions({&hydraOptions, &mlirOptions});
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << hydra::versionText("hydra-compile") << "\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "hydra-compile: an ONNX model or MLIR module -> a hydra artifact\n\n"
      "  hydra-compile MODEL.{onnx,mlir} -o OUT.hydra [--target=cpu,sm_90]\n"
      "  hydra-compile MODEL --emit=hydra      (print a stage instead)\n");
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
  if (progress) {
    auto start = std::chrono::steady_clock::now();
    options.progress = [start](StringRef stage) {
      std::chrono::duration<double> elapsed =
          std::chrono::steady_clock::now() - start;
      llvm::errs() << llvm::formatv("hydra-compile: [{0,6:f1} s] {1}\n",
                                    elapsed.count(), stage);
    };
  }

  if (emit == "gpu-kernels" || emit == "ptx") {
    std::vector<std::string> archs;
    for (const std::string &t : options.targets)
      if (StringRef(t).starts_with("sm_"))
        archs.push_back(t);
    if (failed(hydra::lowerToGpuKernels(*module, archs)))
      return 1;
    if (emit == "gpu-kernels") {
      module->print(llvm::outs());
      llvm::outs() << "\n";
      return 0;
    }
    std::string arch = archs.empty() ? "sm_80" : archs.front();
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

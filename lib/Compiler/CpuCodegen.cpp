//===- CpuCodegen.cpp - kernels → x86-64 shared object --------------------===//
//
// In-process: MLIR LLVM dialect → LLVM IR → O3 → object file. Linking the
// object into a shared object runs LLVM's ld.lld, the one linker we can
// count on being the same everywhere the compiler runs.
//
//===----------------------------------------------------------------------===//

#include "CpuCodegen.h"

#include "cpu_features.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#ifndef HYDRA_LLD_PATH
#define HYDRA_LLD_PATH "/usr/lib/llvm-22/bin/ld.lld"
#endif
#ifndef HYDRA_LIBM_DIR
#define HYDRA_LIBM_DIR "/usr/lib/x86_64-linux-gnu"
#endif

using namespace mlir;
using namespace mlir::hydra;

namespace {
constexpr const char *kTriple = "x86_64-unknown-linux-gnu";

std::unique_ptr<llvm::TargetMachine> createTargetMachine(Operation *anchor,
                                                         StringRef cpu) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  llvm::Triple triple(kTriple);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    anchor->emitError() << "x86-64 code generation is unavailable: " << error;
    return nullptr;
  }
  std::string cpuName =
      cpu == "native" ? llvm::sys::getHostCPUName().str() : cpu.str();
  std::string features;
  if (cpu == "native") {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    for (auto &f : host)
      features += (f.second ? "+" : "-") + f.first().str() + ",";
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    anchor->emitError() << "no x86-64 target machine for CPU '" << cpuName
                        << "'";
  return machine;
}

LogicalResult optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&machine);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(module, mam);
  return success();
}

FailureOr<std::unique_ptr<llvm::Module>>
translate(ModuleOp llvmModule, llvm::LLVMContext &context,
          llvm::TargetMachine &machine) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  llvmModule->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> module =
      translateModuleToLLVMIR(llvmModule, context, "hydra_kernels");
  if (!module) {
    llvmModule.emitError() << "cannot translate the kernels to LLVM IR";
    return failure();
  }
  module->setTargetTriple(machine.getTargetTriple());
  module->setDataLayout(machine.createDataLayout());
  if (failed(optimize(*module, machine)))
    return failure();
  return module;
}
} // namespace

static FailureOr<std::string> linkSharedObject(ModuleOp llvmModule,
                                               llvm::Module &module,
                                               llvm::TargetMachine &machine);

/// Runs `use` on `llvmModule` translated to LLVM IR and optimized for `cpu`.
template <typename T>
static FailureOr<T> withOptimizedModule(
    ModuleOp llvmModule, StringRef cpu,
    function_ref<FailureOr<T>(llvm::Module &, llvm::TargetMachine &)> use) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(llvmModule, cpu);
  if (!machine)
    return failure();
  llvm::LLVMContext context;
  auto module = translate(llvmModule, context, *machine);
  if (failed(module))
    return failure();
  return use(**module, *machine);
}

FailureOr<std::string> mlir::hydra::translateToLLVMIR(ModuleOp llvmModule,
                                                      StringRef cpu) {
  return withOptimizedModule<std::string>(
      llvmModule, cpu,
      [](llvm::Module &module,
         llvm::TargetMachine &) -> FailureOr<std::string> {
        std::string text;
        llvm::raw_string_ostream os(text);
        module.print(os, nullptr);
        return text;
      });
}

/// The extensions of the runtime's table that `machine` generates code
/// with: for "native" the host's, for a named CPU those it implies.
static std::vector<std::string> isaFeatures(llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  std::vector<std::string> enabled;
  for (const ::hydra::artifact::CpuFeature &f : ::hydra::artifact::kCpuFeatures)
    if (sti->checkFeatures(std::string("+") + f.name))
      enabled.push_back(f.name);
  return enabled;
}

FailureOr<CpuObject> mlir::hydra::compileToSharedObject(ModuleOp llvmModule,
                                                        StringRef cpu) {
  return withOptimizedModule<CpuObject>(
      llvmModule, cpu,
      [&](llvm::Module &module,
          llvm::TargetMachine &machine) -> FailureOr<CpuObject> {
        FailureOr<std::string> bytes =
            linkSharedObject(llvmModule, module, machine);
        if (failed(bytes))
          return failure();
        return CpuObject{std::move(*bytes), machine.getTargetCPU().str(),
                         isaFeatures(machine)};
      });
}

/// Emits `module` as an object and links it into a shared object.
static FailureOr<std::string> linkSharedObject(ModuleOp llvmModule,
                                               llvm::Module &module,
                                               llvm::TargetMachine &machine) {
  SmallString<128> objPath, soPath;
  int objFd;
  if (llvm::sys::fs::createTemporaryFile("hydra-kernels", "o", objFd,
                                         objPath) ||
      llvm::sys::fs::createTemporaryFile("hydra-kernels", "so", soPath)) {
    llvmModule.emitError() << "cannot create temporary files for linking";
    return failure();
  }
  llvm::FileRemover removeObj(objPath), removeSo(soPath);
  {
    llvm::raw_fd_ostream os(objFd, /*shouldClose=*/true);
    llvm::legacy::PassManager pm;
    if (machine.addPassesToEmitFile(pm, os, nullptr,
                                    llvm::CodeGenFileType::ObjectFile)) {
      llvmModule.emitError() << "x86-64 object emission is unavailable";
      return failure();
    }
    pm.run(module);
  }
  std::string libmDir = std::string("-L") + HYDRA_LIBM_DIR;
  // Both hash tables: the runtime's object check counts the symbols by the
  // SysV one (runtime/src/elf_check.cc), glibc looks them up by the GNU one.
  SmallVector<StringRef> args = {
      HYDRA_LLD_PATH, "-shared", "--no-undefined", "--hash-style=both",
      "-o",           soPath,    objPath,          libmDir,
      "-lm",          "-lc"};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(HYDRA_LLD_PATH, args, std::nullopt, {}, 0,
                                     0, &error);
  if (rc != 0) {
    llvmModule.emitError() << "linking the kernels with " << HYDRA_LLD_PATH
                           << " failed (exit " << rc << ")"
                           << (error.empty() ? "" : ": ") << error;
    return failure();
  }
  auto bytes = llvm::MemoryBuffer::getFile(soPath);
  if (!bytes) {
    llvmModule.emitError() << "cannot read the linked kernels: "
                           << bytes.getError().message();
    return failure();
  }
  return (*bytes)->getBuffer().str();
}

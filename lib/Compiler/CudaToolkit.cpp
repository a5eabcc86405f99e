//===- CudaToolkit.cpp - the CUDA tools hydra-compile runs ----------------===//

#include "CudaToolkit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

#ifndef HYDRA_CUDA_PATH
#define HYDRA_CUDA_PATH "/usr/local/cuda"
#endif

using namespace mlir;

std::string mlir::hydra::cudaToolkitPath() {
  for (const char *var : {"HYDRA_CUDA_PATH", "CUDA_PATH"})
    if (const char *path = std::getenv(var); path && *path)
      return path;
  return HYDRA_CUDA_PATH;
}

static std::string readFile(StringRef path) {
  auto bytes = llvm::MemoryBuffer::getFile(path);
  return bytes ? (*bytes)->getBuffer().str() : std::string();
}

FailureOr<hydra::PtxasOutput>
mlir::hydra::runPtxas(Operation *anchor, StringRef ptx, StringRef arch) {
  SmallString<128> ptxas(cudaToolkitPath());
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  if (!llvm::sys::fs::can_execute(ptxas))
    return anchor->emitError()
               << "cannot assemble a cubin for " << arch << ": no ptxas at '"
               << ptxas << "' (set HYDRA_CUDA_PATH to a CUDA toolkit)",
           failure();
  SmallString<128> ptxPath, cubinPath, logPath;
  int ptxFd;
  if (llvm::sys::fs::createTemporaryFile("hydra-kernels", "ptx", ptxFd,
                                         ptxPath) ||
      llvm::sys::fs::createTemporaryFile("hydra-kernels", "cubin",
                                         cubinPath) ||
      llvm::sys::fs::createTemporaryFile("hydra-ptxas", "log", logPath))
    return anchor->emitError() << "cannot create temporary files for ptxas",
           failure();
  llvm::FileRemover removePtx(ptxPath), removeCubin(cubinPath),
      removeLog(logPath);
  {
    llvm::raw_fd_ostream os(ptxFd, /*shouldClose=*/true);
    os << ptx;
  }
  std::string archFlag = ("-arch=" + arch).str();
  SmallVector<StringRef> args = {ptxas, archFlag, "-O3", "-v", "-o",
                                 cubinPath, ptxPath};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath),
                                          StringRef(logPath)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0,
                                     0, &error);
  std::string report = readFile(logPath);
  if (rc != 0)
    return anchor->emitError()
               << "ptxas failed for " << arch << " (exit " << rc << ")"
               << (error.empty() ? "" : ": " + error) << "\n"
               << report,
           failure();
  return PtxasOutput{readFile(cubinPath), report};
}

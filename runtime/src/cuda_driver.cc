//===- cuda_driver.cc - the CUDA driver API, loaded at run time -----------===//

#include "cuda_driver.h"
#include "status.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

using namespace hydra;
using namespace hydra::rt;
using namespace hydra::rt::cuda;

hydra_status hydra::rt::cuda::loadDriver(Driver &d) {
  const char *path = std::getenv("HYDRA_LIBCUDA");
  if (!path || !*path)
    path = "libcuda.so.1";
  d.library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!d.library)
    return makeStatus(HYDRA_UNAVAILABLE, "no CUDA driver: cannot load '", path,
                      "': ", dlerror());
  // Each entry point by the driver's symbol name (the _v2 ABI where the
  // driver has one).
  struct Entry {
    const char *name;
    void *slot;
  };
  const Entry entries[] = {
      {"cuInit", &d.cuInit},
      {"cuDeviceGetCount", &d.cuDeviceGetCount},
      {"cuDeviceGet", &d.cuDeviceGet},
      {"cuDeviceGetAttribute", &d.cuDeviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", &d.cuDevicePrimaryCtxRetain},
      {"cuDevicePrimaryCtxRelease_v2", &d.cuDevicePrimaryCtxRelease},
      {"cuCtxSetCurrent", &d.cuCtxSetCurrent},
      {"cuModuleLoadData", &d.cuModuleLoadData},
      {"cuModuleUnload", &d.cuModuleUnload},
      {"cuModuleGetFunction", &d.cuModuleGetFunction},
      {"cuMemAlloc_v2", &d.cuMemAlloc},
      {"cuMemFree_v2", &d.cuMemFree},
      {"cuMemcpyHtoD_v2", &d.cuMemcpyHtoD},
      {"cuMemcpyDtoH_v2", &d.cuMemcpyDtoH},
      {"cuMemsetD8_v2", &d.cuMemsetD8},
      {"cuStreamCreate", &d.cuStreamCreate},
      {"cuStreamDestroy_v2", &d.cuStreamDestroy},
      {"cuStreamSynchronize", &d.cuStreamSynchronize},
      {"cuLaunchKernel", &d.cuLaunchKernel},
      {"cuGetErrorName", &d.cuGetErrorName},
  };
  for (const Entry &e : entries) {
    // Function pointers and void* have one representation on every target
    // the runtime builds for (POSIX requires it of dlsym).
    void *symbol = dlsym(d.library, e.name);
    if (!symbol)
      return makeStatus(HYDRA_UNAVAILABLE, "the CUDA driver '", path,
                        "' lacks ", e.name);
    std::memcpy(e.slot, &symbol, sizeof(symbol));
  }
  return nullptr;
}

/// Names of the results a session is likely to meet, for drivers (the
/// toolkit's stub among them) that do not name their own.
static const char *knownName(CUresult result) {
  switch (result) {
  case 2:
    return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100:
    return "CUDA_ERROR_NO_DEVICE";
  case 200:
    return "CUDA_ERROR_INVALID_IMAGE";
  case 209:
    return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218:
    return "CUDA_ERROR_INVALID_PTX";
  case 222:
    return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case 700:
    return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case 701:
    return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case 719:
    return "CUDA_ERROR_LAUNCH_FAILED";
  default:
    return "CUDA error";
  }
}

std::string hydra::rt::cuda::describe(const Driver &d, CUresult result) {
  const char *name = nullptr;
  if (!d.cuGetErrorName || d.cuGetErrorName(result, &name) != 0 || !name)
    name = knownName(result);
  return std::string(name) + " (" + std::to_string(result) + ")";
}

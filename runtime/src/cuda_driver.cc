//===- cuda_driver.cc - the CUDA driver API, loaded at run time -----------===//

#include "cuda_driver.h"
#include "status.h"

#include <cstdlib>
#include <dlfcn.h>

using namespace hydra;
using namespace hydra::rt;
using namespace hydra::rt::cuda;

template <typename F>
static bool resolve(void *library, const char *name, F &fn) {
  fn = reinterpret_cast<F>(dlsym(library, name));
  return fn != nullptr;
}

hydra_status hydra::rt::cuda::loadDriver(Driver &d) {
  const char *path = std::getenv("HYDRA_LIBCUDA");
  if (!path || !*path)
    path = "libcuda.so.1";
  d.library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!d.library)
    return makeStatus(HYDRA_UNAVAILABLE, "no CUDA driver: cannot load '",
                      path, "': ", dlerror());
  struct Entry {
    const char *name;
    bool ok;
  };
  Entry entries[] = {
      {"cuInit", resolve(d.library, "cuInit", d.cuInit)},
      {"cuDeviceGetCount",
       resolve(d.library, "cuDeviceGetCount", d.cuDeviceGetCount)},
      {"cuDeviceGet", resolve(d.library, "cuDeviceGet", d.cuDeviceGet)},
      {"cuDeviceGetAttribute",
       resolve(d.library, "cuDeviceGetAttribute", d.cuDeviceGetAttribute)},
      {"cuDevicePrimaryCtxRetain",
       resolve(d.library, "cuDevicePrimaryCtxRetain",
               d.cuDevicePrimaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease_v2",
       resolve(d.library, "cuDevicePrimaryCtxRelease_v2",
               d.cuDevicePrimaryCtxRelease)},
      {"cuCtxSetCurrent",
       resolve(d.library, "cuCtxSetCurrent", d.cuCtxSetCurrent)},
      {"cuModuleLoadData",
       resolve(d.library, "cuModuleLoadData", d.cuModuleLoadData)},
      {"cuModuleUnload", resolve(d.library, "cuModuleUnload", d.cuModuleUnload)},
      {"cuModuleGetFunction",
       resolve(d.library, "cuModuleGetFunction", d.cuModuleGetFunction)},
      {"cuMemAlloc_v2", resolve(d.library, "cuMemAlloc_v2", d.cuMemAlloc)},
      {"cuMemFree_v2", resolve(d.library, "cuMemFree_v2", d.cuMemFree)},
      {"cuMemcpyHtoD_v2",
       resolve(d.library, "cuMemcpyHtoD_v2", d.cuMemcpyHtoD)},
      {"cuMemcpyDtoH_v2",
       resolve(d.library, "cuMemcpyDtoH_v2", d.cuMemcpyDtoH)},
      {"cuMemsetD8_v2", resolve(d.library, "cuMemsetD8_v2", d.cuMemsetD8)},
      {"cuStreamCreate", resolve(d.library, "cuStreamCreate", d.cuStreamCreate)},
      {"cuStreamDestroy_v2",
       resolve(d.library, "cuStreamDestroy_v2", d.cuStreamDestroy)},
      {"cuStreamSynchronize",
       resolve(d.library, "cuStreamSynchronize", d.cuStreamSynchronize)},
      {"cuLaunchKernel", resolve(d.library, "cuLaunchKernel", d.cuLaunchKernel)},
      {"cuGetErrorName", resolve(d.library, "cuGetErrorName", d.cuGetErrorName)},
  };
  for (const Entry &e : entries)
    if (!e.ok)
      return makeStatus(HYDRA_UNAVAILABLE, "the CUDA driver '", path,
                        "' lacks ", e.name);
  return nullptr;
}

/// Names of the results a session is likely to meet, for drivers (the
/// toolkit's stub among them) that do not name their own.
static const char *knownName(CUresult result) {
  switch (result) {
  case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3: return "CUDA_ERROR_NOT_INITIALIZED";
  case 34: return "CUDA_ERROR_STUB_LIBRARY";
  case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100: return "CUDA_ERROR_NO_DEVICE";
  case 200: return "CUDA_ERROR_INVALID_IMAGE";
  case 209: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218: return "CUDA_ERROR_INVALID_PTX";
  case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
  case 701: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
  case 719: return "CUDA_ERROR_LAUNCH_FAILED";
  default: return "CUDA error";
  }
}

std::string hydra::rt::cuda::describe(const Driver &d, CUresult result) {
  const char *name = nullptr;
  if (!d.cuGetErrorName || d.cuGetErrorName(result, &name) != 0 || !name)
    name = knownName(result);
  return std::string(name) + " (" + std::to_string(result) + ")";
}

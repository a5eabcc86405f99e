//===- cuda_driver.h - the CUDA driver API, loaded at run time --*- C++ -*-===//
//
// The runtime links no CUDA library: libcuda.so.1 (or $HYDRA_LIBCUDA) is
// opened with dlopen when a CUDA session is created, so the runtime loads
// and runs on the CPU where there is no driver. Only the entry points the
// CUDA device uses are declared, with the driver's C types.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_CUDA_DRIVER_H
#define HYDRA_RUNTIME_CUDA_DRIVER_H

#include "hydra/runtime.h"

#include <cstddef>
#include <string>

namespace hydra::rt::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;

constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

/// The driver's entry points, resolved from the library.
struct Driver {
  void *library = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuGetErrorName)(CUresult, const char **);
};

/// Opens the driver library and resolves every entry point; the error says
/// which library or symbol is missing.
hydra_status loadDriver(Driver &driver);

/// "CUDA_ERROR_X (code)" for a driver result.
std::string describe(const Driver &driver, CUresult result);

} // namespace hydra::rt::cuda

#endif // HYDRA_RUNTIME_CUDA_DRIVER_H

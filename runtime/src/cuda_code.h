//===- cuda_code.h - which of an artifact's GPU code a device runs -*- C++
//-*-===//

#ifndef HYDRA_RUNTIME_CUDA_CODE_H
#define HYDRA_RUNTIME_CUDA_CODE_H

#include "module.h"

#include <string>

namespace hydra::rt {

struct CudaCodeChoice {
  const fb::Executable *executable = nullptr; // null: nothing fits
  std::string why; // what was chosen, or why nothing fits
};

/// The code for a device of compute capability major.minor: a cubin for
/// exactly that arch (sm_XYa included), else a cubin of the same major
/// version and a lower minor (binary compatible; not for 'a' archs), else
/// the PTX of the highest arch the device reaches, for the driver's JIT.
CudaCodeChoice selectCudaCode(const fb::Module &module, int major, int minor);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_CUDA_CODE_H

//===- cuda_code.cc - which of an artifact's GPU code a device runs -------===//

#include "cuda_code.h"

#include <cstdlib>

using namespace hydra;
using namespace hydra::rt;

namespace {
struct Arch {
  int number = -1;       // 80 for sm_80
  bool specific = false; // sm_90a: runs only on 9.0
};

Arch parseArch(std::string_view target) {
  Arch arch;
  if (target.substr(0, 3) != "sm_")
    return arch;
  std::string digits(target.substr(3));
  if (!digits.empty() && digits.back() == 'a') {
    arch.specific = true;
    digits.pop_back();
  }
  if (digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return arch;
  arch.number = std::atoi(digits.c_str());
  return arch;
}
} // namespace

CudaCodeChoice hydra::rt::selectCudaCode(const fb::Module &module, int major,
                                         int minor) {
  int device = major * 10 + minor;
  const fb::Executable *exact = nullptr, *compatible = nullptr, *ptx = nullptr;
  int compatibleArch = -1, ptxArch = -1;
  std::string available;
  for (const fb::Executable *e : *module.executables()) {
    Arch arch = parseArch(e->target()->string_view());
    if (arch.number < 0)
      continue;
    if (e->format() == fb::ExecutableFormat::cubin) {
      available += (available.empty() ? "" : ", ") + e->target()->str();
      if (arch.number == device && (!exact || arch.specific))
        exact = e;
      else if (!arch.specific && arch.number / 10 == major &&
               arch.number < device && arch.number > compatibleArch) {
        compatible = e;
        compatibleArch = arch.number;
      }
    } else if (e->format() == fb::ExecutableFormat::ptx && !arch.specific &&
               arch.number <= device && arch.number > ptxArch) {
      ptx = e;
      ptxArch = arch.number;
    }
  }
  std::string cc = std::to_string(major) + "." + std::to_string(minor);
  if (exact)
    return {exact, "cubin " + exact->target()->str()};
  if (compatible)
    return {compatible, "cubin " + compatible->target()->str() +
                            " (binary compatible with " + cc + ")"};
  if (ptx)
    return {ptx, "PTX " + ptx->target()->str() + " through the driver's JIT"};
  return {nullptr, "the artifact has no GPU code for compute capability " + cc +
                       " (cubins: " + (available.empty() ? "none" : available) +
                       "); compile with --target=sm_" + std::to_string(device)};
}

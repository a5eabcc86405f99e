//===- host_cpu.cc - what the running x86-64 CPU can execute --------------===//

#include "host_cpu.h"

#include "status.h"

#include <cpuid.h>
#include <string>

using namespace hydra;
using namespace hydra::artifact;
using namespace hydra::rt;

namespace {
/// XCR0, the register state the OS saves; 0 without XSAVE enabled.
uint64_t osEnabledState() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27)))
    return 0; // no OSXSAVE: xgetbv would fault
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

bool stateEnabled(OsState state) {
  constexpr uint64_t kAvx = 0x6;            // XMM, YMM
  constexpr uint64_t kAvx512 = 0xe0 | kAvx; // opmask, ZMM_Hi256, Hi16_ZMM
  switch (state) {
  case OsState::none:
    return true;
  case OsState::avx:
    return (osEnabledState() & kAvx) == kAvx;
  case OsState::avx512:
    return (osEnabledState() & kAvx512) == kAvx512;
  }
  return false;
}
} // namespace

bool hydra::rt::hostHasCpuFeature(const CpuFeature &f) {
  unsigned regs[4] = {0, 0, 0, 0};
  // __get_cpuid_count checks the leaf against the highest one supported.
  if (!__get_cpuid_count(f.leaf, f.subleaf, &regs[0], &regs[1], &regs[2],
                         &regs[3]))
    return false;
  if (!(regs[unsigned(f.reg)] >> f.bit & 1u))
    return false;
  return stateEnabled(f.state);
}

hydra_status hydra::rt::checkCpuFeatures(
    const fb::Executable &e,
    const std::function<bool(const CpuFeature &)> &has) {
  std::string missing, unknown;
  if (e.cpu_features())
    for (const flatbuffers::String *name : *e.cpu_features()) {
      const CpuFeature *f = findCpuFeature(name->c_str());
      std::string &list = !f ? unknown : missing;
      if (!f || !has(*f))
        list += (list.empty() ? "" : ", ") + name->str();
    }
  std::string cpu = e.cpu() ? e.cpu()->str() : "?";
  if (!unknown.empty())
    return makeStatus(
        HYDRA_UNAVAILABLE, "the ", e.target()->str(),
        " code (compiled for CPU '", cpu,
        "') needs CPU features this runtime cannot check: ", unknown);
  if (!missing.empty())
    return makeStatus(HYDRA_UNAVAILABLE, "the ", e.target()->str(),
                      " code was compiled for CPU '", cpu,
                      "' and needs CPU features this machine lacks: ", missing,
                      " (recompile with --cpu=native on this machine, or a "
                      "portable --cpu such as x86-64-v2)");
  return nullptr;
}

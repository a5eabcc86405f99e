//===- host_cpu.h - what the running x86-64 CPU can execute -----*- C++ -*-===//

#ifndef HYDRA_RUNTIME_HOST_CPU_H
#define HYDRA_RUNTIME_HOST_CPU_H

#include "cpu_features.h"
#include "module.h"

#include <functional>

namespace hydra::rt {

/// Whether this CPU has `feature` and the OS has enabled the register
/// state its instructions use.
bool hostHasCpuFeature(const artifact::CpuFeature &feature);

/// Refuses x86-64 code that needs ISA extensions this CPU (or its OS)
/// lacks, or that this runtime does not know: run, it would die of SIGILL
/// at the first such instruction. `has` is the host check (tests pass
/// another).
hydra_status
checkCpuFeatures(const fb::Executable &code,
                 const std::function<bool(const artifact::CpuFeature &)> &has =
                     hostHasCpuFeature);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_HOST_CPU_H

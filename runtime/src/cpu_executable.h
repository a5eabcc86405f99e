//===- cpu_executable.h - x86_64 kernels loaded from an artifact -*- C++
//-*-===//

#ifndef HYDRA_RUNTIME_CPU_EXECUTABLE_H
#define HYDRA_RUNTIME_CPU_EXECUTABLE_H

#include "artifact_format.h"
#include "module.h"

#include <vector>

namespace hydra::rt {

/// The executable targets of x86-64 code (see the schema).
using ::hydra::artifact::kCpuTarget;
using ::hydra::artifact::kEmulatorTarget;

/// The packed entry every CPU kernel exports (see the schema).
using KernelEntry = void (*)(void **argv);

/// The shared object of a module's CPU executable, opened without touching
/// the file system (memfd), with one entry per kernel of the module.
class CpuExecutable {
public:
  CpuExecutable() = default;
  CpuExecutable(const CpuExecutable &) = delete;
  CpuExecutable &operator=(const CpuExecutable &) = delete;
  ~CpuExecutable();

  /// Finds the module's x86-64 executable for `target` and resolves
  /// `hydra_entry_<kernel>` for every kernel of `device` (the entries of
  /// other devices' kernels stay null). `hint` says how to get the code.
  hydra_status load(const hydra_module &module, const char *target,
                    fb::Device device, const char *hint);
  KernelEntry entry(size_t kernel) const { return entries_[kernel]; }

private:
  void *handle_ = nullptr;
  // The memfd the code was loaded from, open as long as the code is:
  // dlopen knows libraries by path, and "/proc/self/fd/N" must not name
  // two loaded libraries (a reused N would hand back the first one).
  int fd_ = -1;
  std::vector<KernelEntry> entries_;
};

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_CPU_EXECUTABLE_H

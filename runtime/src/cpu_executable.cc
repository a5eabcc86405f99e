//===- cpu_executable.cc - x86_64 kernels loaded from an artifact ---------===//

#include "cpu_executable.h"
#include "elf_check.h"
#include "host_cpu.h"
#include "status.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

using namespace hydra;
using namespace hydra::rt;

CpuExecutable::~CpuExecutable() {
  if (handle_)
    dlclose(handle_);
  if (fd_ >= 0)
    close(fd_);
}

/// Writes `size` bytes to a fresh anonymous file and returns its fd, or -1.
static int writeMemoryFile(const uint8_t *data, size_t size) {
  int fd = memfd_create("hydra-kernels", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += size_t(n);
  }
  return fd;
}

hydra_status CpuExecutable::load(const hydra_module &module, const char *target,
                                 fb::Device device, const char *hint) {
  const fb::Executable *found = nullptr;
  for (const fb::Executable *e : *module.root->executables())
    if (e->target()->string_view() == target &&
        e->format() == fb::ExecutableFormat::elf_shared_object)
      found = e;
  if (!found)
    return makeStatus(HYDRA_UNAVAILABLE,
                      "the artifact has no code for target '", target, "'; ",
                      hint);
  HYDRA_RETURN_IF_ERROR(checkCpuFeatures(*found));
  HYDRA_RETURN_IF_ERROR(
      checkKernelObject(found->data()->data(), found->data()->size(), target));
  int fd = writeMemoryFile(found->data()->data(), found->data()->size());
  if (fd < 0)
    return makeStatus(HYDRA_INTERNAL,
                      "cannot stage the x86-64 code: ", std::strerror(errno));
  fd_ = fd;
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_)
    return makeStatus(HYDRA_INVALID_ARTIFACT, "invalid artifact: the ", target,
                      " code does not load: ", dlerror());
  for (const fb::Kernel *k : *module.root->kernels()) {
    if (k->device() != device) {
      entries_.push_back(nullptr);
      continue;
    }
    std::string symbol = "hydra_entry_" + k->name()->str();
    void *entry = dlsym(handle_, symbol.c_str());
    if (!entry)
      return makeStatus(HYDRA_INVALID_ARTIFACT, "invalid artifact: the ",
                        target, " code lacks kernel '", k->name()->str(), "'");
    entries_.push_back(reinterpret_cast<KernelEntry>(entry));
  }
  return nullptr;
}

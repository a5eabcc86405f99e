//===- cpu_device.cc - running programs on the host's cores ---------------===//

#include "cpu_executable.h"
#include "device.h"
#include "status.h"
#include "thread_pool.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

using namespace hydra;
using namespace hydra::rt;

namespace {
class CpuDevice : public Device {
public:
  fb::Device programDevice() const override { return fb::Device::cpu; }

  hydra_status load(const hydra_module &module, int numThreads) {
    HYDRA_RETURN_IF_ERROR(code_.load(module, kCpuTarget, fb::Device::cpu,
                                     "compile with --target=cpu"));
    unsigned threads = numThreads ? unsigned(numThreads)
                                  : std::thread::hardware_concurrency();
    // The calling thread is one of the workers.
    pool_ = std::make_unique<ThreadPool>(threads > 1 ? threads - 1 : 0);
    const char *profile = std::getenv("HYDRA_PROFILE");
    profile_ = profile && *profile && std::strcmp(profile, "0") != 0;
    return nullptr;
  }

  hydra_status run(const fb::Module &module, const fb::Program &program,
                   CallBuffers &buffers,
                   const std::vector<int64_t> &symbols) override {
    for (const fb::Launch *launch : *program.launches()) {
      auto start = std::chrono::steady_clock::now();
      std::vector<std::vector<int64_t>> descriptors =
          hostDescriptors(*launch, buffers);
      KernelEntry entry = code_.entry(launch->kernel());
      int64_t total = 0;
      HYDRA_RETURN_IF_ERROR(gridSize(*launch, symbols, &total));
      pool_->parallelFor(total, [&](int64_t begin, int64_t end) {
        std::vector<void *> argv;
        for (auto &d : descriptors)
          argv.push_back(d.data());
        argv.push_back(&begin);
        argv.push_back(&end);
        entry(argv.data());
      });
      if (profile_) {
        std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        std::fprintf(stderr, "hydra profile: %s grid %lld: %.4f ms\n",
                     module.kernels()->Get(launch->kernel())->name()->c_str(),
                     static_cast<long long>(total), took.count());
      }
    }
    return nullptr;
  }

private:
  CpuExecutable code_;
  std::unique_ptr<ThreadPool> pool_;
  // HYDRA_PROFILE set (and not 0): each launch's time on stderr.
  bool profile_ = false;
};
} // namespace

hydra_status hydra::rt::createCpuDevice(const hydra_module &module,
                                        int numThreads,
                                        std::unique_ptr<Device> *out) {
  auto device = std::make_unique<CpuDevice>();
  HYDRA_RETURN_IF_ERROR(device->load(module, numThreads));
  *out = std::move(device);
  return nullptr;
}

//===- cpu_device.cc - running programs on the host's cores ---------------===//

#include "cpu_executable.h"
#include "device.h"
#include "status.h"
#include "thread_pool.h"

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
    return nullptr;
  }

  hydra_status run(const fb::Module &, const fb::Program &program,
                   CallBuffers &buffers,
                   const std::vector<int64_t> &symbols) override {
    for (const fb::Launch *launch : *program.launches()) {
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
    }
    return nullptr;
  }

private:
  CpuExecutable code_;
  std::unique_ptr<ThreadPool> pool_;
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

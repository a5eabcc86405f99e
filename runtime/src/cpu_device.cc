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
    unsigned threads =
        numThreads ? unsigned(numThreads) : std::thread::hardware_concurrency();
    // The calling thread is one of the workers.
    pool_ = std::make_unique<ThreadPool>(threads > 1 ? threads - 1 : 0);
    const char *profile = std::getenv("HYDRA_PROFILE");
    profile_ = profile && *profile && std::strcmp(profile, "0") != 0;
    return nullptr;
  }

  hydra_status dispatch(const fb::Module &module,
                        const LaunchArgs &args) override {
    std::chrono::steady_clock::time_point start;
    if (profile_)
      start = std::chrono::steady_clock::now();
    KernelEntry entry = code_.entry(args.launch->kernel());
    int64_t total = args.total;
    auto body = [&](int64_t begin, int64_t end) {
      constexpr size_t kOnStack = 64;
      size_t n = args.offsets.size();
      void *onStack[kOnStack];
      std::vector<void *> onHeap(n + 2 > kOnStack ? n + 2 : 0);
      void **argv = onHeap.empty() ? onStack : onHeap.data();
      for (size_t i = 0; i < n; ++i)
        argv[i] = const_cast<int64_t *>(args.words.data() + args.offsets[i]);
      argv[n] = &begin;
      argv[n + 1] = &end;
      entry(argv);
    };
    bool split = total > 1 && pool_->size() > 0 && worthSplitting(args);
    if (split)
      pool_->parallelFor(total, body);
    else
      body(0, total);
    if (profile_) {
      std::chrono::duration<double, std::milli> took =
          std::chrono::steady_clock::now() - start;
      std::fprintf(stderr, "hydra profile: %s grid %lld: %.4f ms%s\n",
                   args.kernel->name()->c_str(), static_cast<long long>(total),
                   took.count(), split ? " split" : "");
    }
    return nullptr;
  }

private:
  /// Whether a launch's work pays for handing part of it to other cores
  /// (about a µs there and back); a small model's launches mostly do not.
  /// Its time on one core from the compiler's estimate: bytes at 16 B/ns
  /// (L2), FLOPs at 32 a ns (one core's vector FMAs, half the time busy).
  /// Without an estimate, from the bytes of the buffers it names at 4 B/ns
  /// (an upper bound on what it moves, slowly: it may compute much).
  static bool worthSplitting(const LaunchArgs &args) {
    if (args.cost.flops >= 0 && args.cost.bytes >= 0)
      return args.cost.bytes / 16 + args.cost.flops / 32 > kSplitNanoseconds;
    return args.namedBytes / 4 > kSplitNanoseconds;
  }
  static constexpr double kSplitNanoseconds = 4000;

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

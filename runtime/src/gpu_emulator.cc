//===- gpu_emulator.cc - GPU kernels run on the host ----------------------===//

#include "gpu_emulator.h"

#include "cpu_executable.h"
#include "device.h"
#include "fiber.h"
#include "status.h"
#include "thread_pool.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

using namespace hydra;
using namespace hydra::rt;

namespace {
constexpr int64_t kWarpSize = 32;
constexpr size_t kStackBytes = 256 * 1024;

enum class ThreadState { ready, atBarrier, atShuffle, done };

struct Thread {
  EmuThreadContext ctx;
  std::unique_ptr<FiberStack> stack;
  void *sp = nullptr;
  ThreadState state = ThreadState::ready;
  int64_t posted = 0; // shuffles posted so far
};

/// One block being run on this CPU thread.
struct BlockRun {
  std::vector<Thread> threads;
  void *schedulerSp = nullptr;
  Thread *current = nullptr;
  KernelEntry entry = nullptr;
  std::vector<void *> argv; // the last slot is the thread's context
  // Two sets of shuffle slots: a lane can be one shuffle ahead of the
  // slowest lane of its warp, never two.
  std::vector<float> slots[2];
  std::vector<float> fragments[2]; // kFragment floats a thread
};

constexpr int64_t kFragment = 16; // a0..a7, b0..b3, c0..c3

thread_local BlockRun *currentBlock = nullptr;

void yieldToScheduler(Thread &t) {
  hydra_fiber_switch(&t.sp, currentBlock->schedulerSp);
}

/// Posts a warp-collective operation and waits for the warp; returns the
/// slot set the lanes posted into.
int64_t postAndWait(Thread &t) {
  int64_t set = t.posted % 2;
  ++t.posted;
  t.state = ThreadState::atShuffle;
  yieldToScheduler(t);
  return set;
}

void emuBarrier(EmuThreadContext *ctx) {
  Thread &t = currentBlock->threads[ctx->threadId];
  t.state = ThreadState::atBarrier;
  yieldToScheduler(t);
}

float emuShuffle(EmuThreadContext *ctx, float value, int32_t offset,
                 int32_t mode) {
  BlockRun &block = *currentBlock;
  Thread &t = block.threads[ctx->threadId];
  block.slots[t.posted % 2][ctx->threadId] = value;
  int64_t set = postAndWait(t);
  int64_t lane = ctx->threadId % kWarpSize;
  int64_t src;
  switch (mode) {
  case 0:
    src = lane ^ offset;
    break;
  case 1:
    src = lane + offset;
    break;
  case 2:
    src = lane - offset;
    break;
  default:
    src = offset;
    break;
  }
  int64_t thread = ctx->threadId - lane + src;
  if (src < 0 || src >= kWarpSize || thread >= int64_t(block.threads.size()))
    return value; // out of the warp: the lane's own value, as on a GPU
  return block.slots[set][thread];
}

void emuMma(EmuThreadContext *ctx, float *fragment) {
  BlockRun &block = *currentBlock;
  Thread &t = block.threads[ctx->threadId];
  int64_t set = t.posted % 2;
  float *mine = &block.fragments[set][ctx->threadId * kFragment];
  std::copy(fragment, fragment + kFragment, mine);
  postAndWait(t);
  // The warp's A (16 × 16) and B (16 × 8) from every lane's fragments.
  float a[16][16], b[16][8];
  int64_t base = ctx->threadId - ctx->threadId % 32;
  for (int64_t lane = 0; lane < 32; ++lane) {
    const float *f = &block.fragments[set][(base + lane) * kFragment];
    int64_t group = lane / 4, inGroup = lane % 4;
    for (int64_t i = 0; i < 8; ++i) {
      int64_t row = group + ((i / 2) % 2) * 8;
      int64_t col = inGroup * 2 + (i % 2) + (i / 4) * 8;
      a[row][col] = f[i];
    }
    for (int64_t i = 0; i < 4; ++i)
      b[inGroup * 2 + (i % 2) + (i / 2) * 8][group] = f[8 + i];
  }
  int64_t lane = ctx->threadId % 32, group = lane / 4, inGroup = lane % 4;
  for (int64_t i = 0; i < 4; ++i) {
    int64_t row = group + (i / 2) * 8, col = inGroup * 2 + i % 2;
    float d = mine[12 + i];
    for (int64_t k = 0; k < 16; ++k)
      d += a[row][k] * b[k][col];
    fragment[12 + i] = d;
  }
}

void threadMain() {
  BlockRun &block = *currentBlock;
  Thread &t = *block.current;
  std::vector<void *> argv = block.argv;
  argv.back() = &t.ctx;
  block.entry(argv.data());
  t.state = ThreadState::done;
  hydra_fiber_switch(&t.sp, block.schedulerSp);
  __builtin_unreachable();
}

/// Whether every lane of t's warp has posted t's latest shuffle. Sets
/// `diverged` if one of them exited without posting it.
bool shuffleReady(const BlockRun &block, size_t index, bool &diverged) {
  const Thread &t = block.threads[index];
  size_t first = index - index % kWarpSize;
  size_t last = std::min(first + kWarpSize, block.threads.size());
  for (size_t i = first; i < last; ++i) {
    const Thread &other = block.threads[i];
    if (other.posted >= t.posted)
      continue;
    // A lane that exited before posting this shuffle never will.
    diverged |= other.state == ThreadState::done;
    return false;
  }
  return true;
}

class GpuEmulator : public Device {
public:
  fb::Device programDevice() const override { return fb::Device::cuda; }

  hydra_status load(const hydra_module &module, int numThreads) {
    HYDRA_RETURN_IF_ERROR(code_.load(module, kEmulatorTarget, fb::Device::cuda,
                                     "compile with --target=gpu-emulator"));
    unsigned threads =
        numThreads ? unsigned(numThreads) : std::thread::hardware_concurrency();
    pool_ = std::make_unique<ThreadPool>(threads > 1 ? threads - 1 : 0);
    return nullptr;
  }

  hydra_status dispatch(const fb::Module &module,
                        const LaunchArgs &args) override {
    const fb::Kernel &kernel = *args.kernel;
    std::vector<int64_t> words = args.words; // kernels may not write them
    std::vector<int64_t *> descriptors;
    for (size_t offset : args.offsets)
      descriptors.push_back(words.data() + offset);
    std::mutex errorMutex;
    std::string error;
    pool_->parallelFor(args.total, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        std::string e = runBlock(kernel, code_.entry(args.launch->kernel()),
                                 descriptors, b, args.total);
        if (!e.empty()) {
          std::lock_guard<std::mutex> lock(errorMutex);
          if (error.empty())
            error = e;
        }
      }
    });
    if (!error.empty())
      return makeStatus(HYDRA_INTERNAL, "GPU emulator: kernel '",
                        kernel.name()->str(), "': ", error);
    return nullptr;
  }

private:
  /// Runs block `blockId` of a launch of `total` blocks; returns an error
  /// message, or "" on success.
  static std::string runBlock(const fb::Kernel &kernel, KernelEntry entry,
                              const std::vector<int64_t *> &descriptors,
                              int64_t blockId, int64_t total) {
    // Stacks are reused by every block this CPU thread runs.
    thread_local std::vector<std::unique_ptr<FiberStack>> stacks;
    size_t numThreads = kernel.block_size();
    while (stacks.size() < numThreads) {
      stacks.push_back(std::make_unique<FiberStack>(kStackBytes));
      if (!stacks.back()->ok()) {
        stacks.pop_back();
        return "cannot map fiber stacks";
      }
    }
    std::vector<uint8_t> shared(kernel.shared_bytes(), 0xff);
    std::vector<int64_t> sharedDescriptor = {
        reinterpret_cast<intptr_t>(shared.data()),
        reinterpret_cast<intptr_t>(shared.data()), 0, int64_t(shared.size()),
        1};
    int64_t begin = 0, end = total;

    BlockRun block;
    block.entry = entry;
    for (int64_t *d : descriptors)
      block.argv.push_back(d);
    block.argv.push_back(&begin);
    block.argv.push_back(&end);
    block.argv.push_back(sharedDescriptor.data());
    block.argv.push_back(nullptr); // the context, per thread
    for (int64_t s = 0; s < 2; ++s) {
      block.slots[s].assign(numThreads, 0.0f);
      block.fragments[s].assign(numThreads * kFragment, 0.0f);
    }
    block.threads.resize(numThreads);
    for (size_t i = 0; i < numThreads; ++i) {
      Thread &t = block.threads[i];
      t.ctx = {int64_t(i), blockId, &block, emuBarrier, emuShuffle, emuMma};
      t.sp = stacks[i]->prepare(threadMain);
    }

    BlockRun *outer = currentBlock;
    currentBlock = &block;
    std::string error;
    while (error.empty()) {
      size_t waiting = 0, done = 0;
      for (const Thread &t : block.threads) {
        waiting += t.state == ThreadState::atBarrier;
        done += t.state == ThreadState::done;
      }
      if (done == numThreads)
        break;
      if (waiting && waiting + done == numThreads) {
        if (done) {
          error = "some threads exited while others wait at a barrier";
          break;
        }
        for (Thread &t : block.threads)
          t.state = ThreadState::ready;
      }
      bool progressed = false;
      for (size_t i = 0; i < numThreads && error.empty(); ++i) {
        Thread &t = block.threads[i];
        bool diverged = false;
        bool ready = t.state == ThreadState::ready ||
                     (t.state == ThreadState::atShuffle &&
                      shuffleReady(block, i, diverged));
        if (diverged)
          error = "some lanes exited while others wait at a shuffle";
        if (!ready)
          continue;
        block.current = &t;
        t.state = ThreadState::ready;
        hydra_fiber_switch(&block.schedulerSp, t.sp);
        progressed = true;
      }
      if (!progressed && error.empty())
        error = "threads wait at different synchronization points";
    }
    currentBlock = outer;
    if (!error.empty())
      return "block " + std::to_string(blockId) + ": " + error;
    return "";
  }

  CpuExecutable code_;
  std::unique_ptr<ThreadPool> pool_;
};
} // namespace

hydra_status hydra::rt::createGpuEmulator(const hydra_module &module,
                                          int numThreads,
                                          std::unique_ptr<Device> *out) {
  auto device = std::make_unique<GpuEmulator>();
  HYDRA_RETURN_IF_ERROR(device->load(module, numThreads));
  *out = std::move(device);
  return nullptr;
}

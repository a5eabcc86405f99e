//===- thread_pool.cc - workers for kernel grids --------------------------===//

#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

using namespace hydra::rt;

namespace {
/// How long a thread spins for the next job (workers) or for the others to
/// finish (the caller) before it blocks. A model is a chain of launches a
/// few µs apart, and calls from Python come tens of µs apart; waking a
/// blocked thread costs tens to hundreds of µs on virtual machines (a
/// halted vCPU), more than a small model's whole call. Timed rather than
/// counted: a `pause` lasts 10 to 140 cycles depending on the core.
constexpr std::chrono::microseconds kSpinTime{500};

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

/// Spins until `ready()` or kSpinTime has passed; whether it became ready.
template <typename Ready> bool spinFor(Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (ready())
        return true;
      relax();
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return ready();
  }
}
} // namespace

ThreadPool::ThreadPool(unsigned workers) {
  try {
    for (unsigned i = 0; i < workers; ++i)
      threads_.emplace_back([this] { workerLoop(); });
  } catch (...) {
    // The threads that did start must be joined before the pool goes.
    stop();
    throw;
  }
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    stopRequested_.store(true, std::memory_order_relaxed);
  }
  wake_.notify_all();
  for (std::thread &t : threads_)
    t.join();
  threads_.clear();
}

void ThreadPool::runChunks() {
  // Guided: each claim takes a share of what is left, so the ranges shrink
  // towards the end and the threads finish together (equal ranges of a
  // quarter per thread left one thread idle for up to a whole range).
  int64_t parts = 2 * int64_t(threads_.size() + 1);
  int64_t begin = next_.load(std::memory_order_relaxed);
  for (;;) {
    if (begin >= total_)
      return;
    int64_t end = begin + std::max<int64_t>(1, (total_ - begin) / parts);
    if (next_.compare_exchange_weak(begin, end, std::memory_order_relaxed)) {
      (*body_)(begin, end);
      begin = next_.load(std::memory_order_relaxed);
    }
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    spinFor([&] {
      return published_.load(std::memory_order_acquire) != seen ||
             stopRequested_.load(std::memory_order_relaxed);
    });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
    }
    runChunks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_;
      finishedCount_.store(finished_, std::memory_order_release);
    }
    done_.notify_all();
  }
}

void ThreadPool::parallelFor(
    int64_t total, const std::function<void(int64_t, int64_t)> &body) {
  if (total <= 0)
    return;
  if (threads_.empty() || total == 1) {
    body(0, total);
    return;
  }
  std::lock_guard<std::mutex> job(jobMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    total_ = total;
    next_.store(0);
    finished_ = 0;
    finishedCount_.store(0, std::memory_order_relaxed);
    ++generation_;
    published_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  runChunks();
  spinFor([&] {
    return finishedCount_.load(std::memory_order_acquire) >= threads_.size();
  });
  std::unique_lock<std::mutex> lock(mutex_);
  // Every worker takes part in every job, so none can still hold this
  // job's body (or claim a range of the next) once all have finished.
  done_.wait(lock, [&] { return finished_ == threads_.size(); });
}

//===- thread_pool.h - workers for kernel grids -----------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_THREAD_POOL_H
#define HYDRA_RUNTIME_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hydra::rt {

/// A fixed set of threads that run the iterations of one grid at a time.
/// The calling thread works too, so a pool of n threads uses n + 1 cores'
/// worth of callers at most; `ThreadPool(0)` runs everything inline.
/// parallelFor may be called from several threads: the grids then run one
/// after the other (the pool holds one job's state).
class ThreadPool {
public:
  explicit ThreadPool(unsigned workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return threads_.size(); }

  /// Runs body(begin, end) over disjoint ranges covering [0, total) and
  /// returns when all are done. Ranges are handed out dynamically so
  /// uneven iterations (causal tiles) balance out.
  void parallelFor(int64_t total,
                   const std::function<void(int64_t, int64_t)> &body);

private:
  void stop();
  void workerLoop();
  void runChunks();

  std::vector<std::thread> threads_;
  std::mutex jobMutex_; // held by the caller whose grid runs
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  size_t finished_ = 0;
  // Mirrors of generation_, finished_ and stopping_ that spinning threads
  // read without the mutex; the mutex-guarded fields decide.
  std::atomic<uint64_t> published_{0};
  std::atomic<size_t> finishedCount_{0};
  std::atomic<bool> stopRequested_{false};
  // The current job.
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t total_ = 0;
  std::atomic<int64_t> next_{0};
};

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_THREAD_POOL_H

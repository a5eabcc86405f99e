#include "thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using hydra::rt::ThreadPool;

// Every iteration runs exactly once, for sizes around the chunking
// boundaries and for pools of several sizes, many jobs in a row.
TEST(ThreadPool, CoversEveryIterationOnce) {
  for (unsigned workers : {0u, 1u, 3u}) {
    ThreadPool pool(workers);
    for (int64_t total : {1, 2, 7, 16, 17, 100, 1000}) {
      std::vector<std::atomic<int>> hits(total);
      pool.parallelFor(total, [&](int64_t begin, int64_t end) {
        ASSERT_LE(0, begin);
        ASSERT_LT(begin, end);
        ASSERT_LE(end, total);
        for (int64_t i = begin; i < end; ++i)
          hits[i].fetch_add(1);
      });
      for (int64_t i = 0; i < total; ++i)
        EXPECT_EQ(hits[i].load(), 1) << "total " << total << " index " << i;
    }
  }
}

TEST(ThreadPool, EmptyGridRunsNothing) {
  ThreadPool pool(2);
  bool ran = false;
  pool.parallelFor(0, [&](int64_t, int64_t) { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(ThreadPool, UsesWorkerThreads) {
  ThreadPool pool(3);
  std::atomic<int> distinct{0};
  std::mutex m;
  std::set<std::thread::id> ids;
  pool.parallelFor(4000, [&](int64_t begin, int64_t end) {
    volatile double x = 0;
    for (int64_t i = begin; i < end; ++i)
      for (int j = 0; j < 2000; ++j)
        x = x + j;
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  distinct = ids.size();
  EXPECT_GE(distinct.load(), 2);
}

// Several callers share one pool (one session run from several threads):
// each caller's grid covers its own iterations exactly once, with its own
// body, however the calls interleave.
TEST(ThreadPool, ConcurrentCallersEachGetTheirOwnGrid) {
  ThreadPool pool(3);
  constexpr int kCallers = 8, kRounds = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&, c] {
      for (int round = 0; round < kRounds; ++round) {
        int64_t total = 50 + 13 * c + round;
        std::vector<std::atomic<int>> hits(total);
        pool.parallelFor(total, [&](int64_t begin, int64_t end) {
          if (begin < 0 || end > total || begin >= end) {
            wrong.fetch_add(1);
            return;
          }
          for (int64_t i = begin; i < end; ++i)
            hits[i].fetch_add(1);
        });
        for (int64_t i = 0; i < total; ++i)
          if (hits[i].load() != 1)
            wrong.fetch_add(1);
      }
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(wrong.load(), 0);
}

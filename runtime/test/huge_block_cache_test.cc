//===- huge_block_cache_test.cc - HugeBlockCache --------------------------===//

#include "aligned_buffer.h"
#include "huge_block_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

using hydra::rt::AlignedBuffer;
using hydra::rt::HugeBlockCache;

namespace {
constexpr size_t kMiB = size_t(1) << 20;

uint8_t *block(size_t size) {
  return static_cast<uint8_t *>(std::malloc(size));
}
} // namespace

TEST(HugeBlockCache, GivesBackOnlyABlockOfTheSameCapacity) {
  HugeBlockCache cache(64 * kMiB);
  EXPECT_EQ(cache.take(4 * kMiB), nullptr);
  uint8_t *four = block(4 * kMiB), *six = block(6 * kMiB);
  cache.give(four, 4 * kMiB);
  cache.give(six, 6 * kMiB);
  EXPECT_EQ(cache.keptBytes(), 10 * kMiB);
  EXPECT_EQ(cache.take(8 * kMiB), nullptr);
  EXPECT_EQ(cache.take(6 * kMiB), six);
  EXPECT_EQ(cache.take(6 * kMiB), nullptr);
  EXPECT_EQ(cache.keptBytes(), 4 * kMiB);
  std::free(six);
}

TEST(HugeBlockCache, StaysWithinItsLimitByFreeingTheOldest) {
  HugeBlockCache cache(10 * kMiB);
  uint8_t *first = block(4 * kMiB), *second = block(4 * kMiB);
  cache.give(first, 4 * kMiB);
  cache.give(second, 4 * kMiB);
  // A third 4 MiB block would make 12: the first goes.
  uint8_t *third = block(4 * kMiB);
  cache.give(third, 4 * kMiB);
  EXPECT_EQ(cache.keptBytes(), 8 * kMiB);
  // Newest first.
  EXPECT_EQ(cache.take(4 * kMiB), third);
  EXPECT_EQ(cache.take(4 * kMiB), second);
  EXPECT_EQ(cache.take(4 * kMiB), nullptr);
  std::free(third);
  std::free(second);
  // A block over the limit on its own is freed, not kept (ASan would
  // report it otherwise leaked).
  cache.give(block(12 * kMiB), 12 * kMiB);
  EXPECT_EQ(cache.keptBytes(), 0u);
  cache.give(nullptr, 4 * kMiB);
  EXPECT_EQ(cache.keptBytes(), 0u);
}

TEST(HugeBlockCache, TheLimitComesFromTheEnvironmentInMiB) {
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment(nullptr), 1024 * kMiB);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment(""), 1024 * kMiB);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment("0"), 0u);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment("300"), 300 * kMiB);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment("12abc"), 1024 * kMiB);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment("-5"), 1024 * kMiB);
  EXPECT_EQ(HugeBlockCache::limitFromEnvironment("99999999999999999999"),
            1024 * kMiB);
  // A cache with no room keeps nothing.
  HugeBlockCache none(0);
  none.give(block(4 * kMiB), 4 * kMiB);
  EXPECT_EQ(none.keptBytes(), 0u);
}

TEST(HugeBlockCache, ALargeBufferReusesTheBlockOfOneFreedBefore) {
  // What a model called twice does with its outputs: the second call's
  // buffer is the first's block, with no new pages to fault in.
  size_t size = 5 * kMiB + 3;
  uint8_t *first;
  {
    AlignedBuffer a(size, AlignedBuffer::Init::unset);
    ASSERT_TRUE(a.ok());
    first = a.data();
  }
  AlignedBuffer b(size, AlignedBuffer::Init::unset);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.data(), first);
  // Another size in the same 2 MiB pages (6 MiB) takes the same block.
  uint8_t *second = b.data();
  b = AlignedBuffer();
  AlignedBuffer c(6 * kMiB, AlignedBuffer::Init::unset);
  EXPECT_EQ(c.data(), second);
  // Zeroed buffers never come from the cache.
  AlignedBuffer z(6 * kMiB);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z.data()[6 * kMiB - 1], 0);
}

TEST(HugeBlockCache, ThreadsFreeingAndAllocatingNeverShareABlock) {
  // Outputs are freed on whatever thread drops them while other threads
  // run: no block may be handed to two live buffers.
  std::vector<std::thread> threads;
  std::atomic<int> clashes{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &clashes] {
      for (int i = 0; i < 40; ++i) {
        AlignedBuffer a(4 * kMiB + size_t(i % 2) * 2 * kMiB,
                        AlignedBuffer::Init::unset);
        ASSERT_TRUE(a.ok());
        auto mark = static_cast<uint8_t>(t * 40 + i + 1);
        a.data()[0] = mark;
        a.data()[a.size() - 1] = mark;
        std::this_thread::yield();
        if (a.data()[0] != mark || a.data()[a.size() - 1] != mark)
          ++clashes;
      }
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(clashes.load(), 0);
}

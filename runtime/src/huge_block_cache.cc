//===- huge_block_cache.cc - freed huge-page blocks kept for reuse --------===//

#include "huge_block_cache.h"

#include <cstdlib>
#include <vector>

using namespace hydra::rt;

HugeBlockCache::~HugeBlockCache() {
  for (const Block &b : kept_)
    std::free(b.data);
}

uint8_t *HugeBlockCache::take(size_t capacity) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Newest first: its pages are the likeliest still in cache and TLB.
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it)
    if (it->capacity == capacity) {
      uint8_t *data = it->data;
      keptBytes_ -= capacity;
      kept_.erase(std::next(it).base());
      return data;
    }
  return nullptr;
}

void HugeBlockCache::give(uint8_t *block, size_t capacity) {
  if (!block)
    return;
  if (capacity > limit_) {
    std::free(block);
    return;
  }
  std::vector<uint8_t *> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (keptBytes_ + capacity > limit_) {
      evicted.push_back(kept_.front().data);
      keptBytes_ -= kept_.front().capacity;
      kept_.pop_front();
    }
    kept_.push_back({block, capacity});
    keptBytes_ += capacity;
  }
  // Given back to the allocator outside the lock.
  for (uint8_t *p : evicted)
    std::free(p);
}

size_t HugeBlockCache::keptBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keptBytes_;
}

size_t HugeBlockCache::limitFromEnvironment(const char *value) {
  constexpr size_t kDefaultMiB = 1024;
  if (!value || !*value)
    return kDefaultMiB << 20;
  char *end = nullptr;
  unsigned long long mib = std::strtoull(value, &end, 10);
  // Anything but a plain number of MiB (or one past 2^40 MiB) keeps the
  // default rather than guessing.
  if (*end || value[0] == '-' || mib > (1ull << 40))
    return kDefaultMiB << 20;
  return size_t(mib) << 20;
}

HugeBlockCache &HugeBlockCache::process() {
  // Never destroyed: outputs may be freed by static destructors of the
  // embedding program after this translation unit's.
  static HugeBlockCache *cache = new HugeBlockCache(
      limitFromEnvironment(std::getenv("HYDRA_BUFFER_CACHE_MIB")));
  return *cache;
}

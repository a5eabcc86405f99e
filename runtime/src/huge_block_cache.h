//===- huge_block_cache.h - freed huge-page blocks, reused ------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_HUGE_BLOCK_CACHE_H
#define HYDRA_RUNTIME_HUGE_BLOCK_CACHE_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

namespace hydra::rt {

/// Large blocks (2 MiB aligned, advised into huge pages) that outputs and
/// temporaries gave back, kept for the next allocation of the same
/// capacity. A model called again and again asks for the same output sizes
/// every call; a fresh block is zero-filled page by page by the kernel on
/// first touch (LinearAttention-27 at 1K tokens, 32 heads: a 16 MiB output
/// a call, clear_page a tenth of the run), a kept one is not. Bounded in
/// bytes, oldest given back first; thread-safe (outputs are freed on any
/// thread).
class HugeBlockCache {
public:
  explicit HugeBlockCache(size_t capacityBytes) : limit_(capacityBytes) {}
  ~HugeBlockCache();
  HugeBlockCache(const HugeBlockCache &) = delete;
  HugeBlockCache &operator=(const HugeBlockCache &) = delete;

  /// A kept block of exactly `capacity` bytes, or null.
  uint8_t *take(size_t capacity);
  /// Keeps `block` (`capacity` bytes, from posix_memalign), freeing the
  /// oldest kept blocks to stay within the limit, or frees it when it
  /// alone is over the limit.
  void give(uint8_t *block, size_t capacity);
  /// Bytes kept now.
  size_t keptBytes() const;

  /// The process's cache, shared by every session: at most
  /// HYDRA_BUFFER_CACHE_MIB MiB (read once; 0 keeps nothing), 1 GiB
  /// without it — a decode step on a 32K cache returns two 130 MiB
  /// presents a call.
  static HugeBlockCache &process();
  /// The limit an HYDRA_BUFFER_CACHE_MIB value names (null or malformed:
  /// the default).
  static size_t limitFromEnvironment(const char *value);

private:
  struct Block {
    uint8_t *data;
    size_t capacity;
  };
  mutable std::mutex mutex_;
  std::deque<Block> kept_; // oldest first
  size_t keptBytes_ = 0;
  const size_t limit_;
};

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_HUGE_BLOCK_CACHE_H

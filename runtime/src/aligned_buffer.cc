//===- aligned_buffer.cc - 64-byte aligned heap memory --------------------===//

#include "aligned_buffer.h"
#include "huge_block_cache.h"

using namespace hydra::rt;

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace {
/// Unset buffers from this size on go in transparent huge pages: an
/// output or temporary of a long sequence (128 MiB for LinearAttention at
/// 64K tokens, 4 heads) is fresh memory on every call, and faulting it in
/// 4 KiB at a time took a fifth of the call; 2 MiB pages take 512× fewer
/// faults. Freed, such a block waits in the HugeBlockCache for the next
/// call's buffer of its size, which then takes no fault at all.
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHugeFrom = 2 * kHugePage;

size_t hugeCapacity(size_t size) {
  size_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
  return rounded < size ? 0 : rounded;
}

uint8_t *hugePageBlock(size_t rounded) {
  if (uint8_t *kept = HugeBlockCache::process().take(rounded))
    return kept;
  void *p = nullptr;
  if (posix_memalign(&p, kHugePage, rounded) != 0)
    return nullptr;
#if defined(__linux__)
  // Advice only: where the kernel has no huge pages to give, the block is
  // ordinary memory.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return static_cast<uint8_t *>(p);
}
} // namespace

AlignedBuffer::AlignedBuffer(size_t size, Init init) : size_(size) {
  if (size == 0)
    return;
  if (init == Init::unset && size >= kHugeFrom) {
    size_t capacity = hugeCapacity(size);
    if (capacity == 0)
      return; // overflow: leave empty, ok() reports it
    block_ =
        std::unique_ptr<uint8_t, Free>(hugePageBlock(capacity), Free{capacity});
    data_ = block_.get(); // 2 MiB aligned
    return;
  }
  size_t padded = size + 63;
  if (padded < size)
    return; // overflow: leave empty, ok() reports it
  block_.reset(static_cast<uint8_t *>(
      init == Init::zeros ? std::calloc(padded, 1) : std::malloc(padded)));
  if (!block_)
    return;
  auto address = reinterpret_cast<uintptr_t>(block_.get());
  data_ = block_.get() + ((64 - address % 64) % 64);
}

void AlignedBuffer::Free::operator()(uint8_t *p) const {
  if (hugeCapacity)
    HugeBlockCache::process().give(p, hugeCapacity);
  else
    std::free(p);
}

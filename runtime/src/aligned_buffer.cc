//===- aligned_buffer.cc - 64-byte aligned heap memory --------------------===//

#include "aligned_buffer.h"

using namespace hydra::rt;

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace {
/// Unset buffers from this size on go in transparent huge pages: an
/// output or temporary of a long sequence (128 MiB for LinearAttention at
/// 64K tokens, 4 heads) is fresh memory on every call, and faulting it in
/// 4 KiB at a time took a fifth of the call; 2 MiB pages take 512× fewer
/// faults.
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHugeFrom = 2 * kHugePage;

uint8_t *hugePageBlock(size_t size) {
#if defined(__linux__)
  size_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
  if (rounded < size)
    return nullptr;
  void *p = nullptr;
  if (posix_memalign(&p, kHugePage, rounded) != 0)
    return nullptr;
  // Advice only: where the kernel has no huge pages to give, the block is
  // ordinary memory.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
  return static_cast<uint8_t *>(p);
#else
  return static_cast<uint8_t *>(std::malloc(size));
#endif
}
} // namespace

AlignedBuffer::AlignedBuffer(size_t size, Init init) : size_(size) {
  if (size == 0)
    return;
  if (init == Init::unset && size >= kHugeFrom) {
    block_.reset(hugePageBlock(size));
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

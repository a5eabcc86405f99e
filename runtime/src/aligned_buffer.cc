//===- aligned_buffer.cc - 64-byte aligned heap memory --------------------===//

#include "aligned_buffer.h"

using namespace hydra::rt;

AlignedBuffer::AlignedBuffer(size_t size, Init init) : size_(size) {
  if (size == 0)
    return;
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

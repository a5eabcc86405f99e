//===- aligned_buffer.cc - 64-byte aligned heap memory --------------------===//

#include "aligned_buffer.h"

#include <cstring>

using namespace hydra::rt;

AlignedBuffer::AlignedBuffer(size_t size) : size_(size) {
  if (size == 0)
    return;
  size_t rounded = (size + 63) / 64 * 64;
  if (rounded < size)
    return; // overflow: leave empty, ok() reports it
  data_.reset(static_cast<uint8_t *>(std::aligned_alloc(64, rounded)));
  if (data_)
    std::memset(data_.get(), 0, rounded);
}

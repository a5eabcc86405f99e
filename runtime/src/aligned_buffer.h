//===- aligned_buffer.h - 64-byte aligned heap memory -----------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_ALIGNED_BUFFER_H
#define HYDRA_RUNTIME_ALIGNED_BUFFER_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>

namespace hydra::rt {

/// Owned bytes at a 64-byte aligned address (cache lines, AVX-512 rows).
class AlignedBuffer {
public:
  /// What new bytes hold: zeros, or whatever the allocator left (for
  /// buffers a program writes whole before anything reads them).
  enum class Init { zeros, unset };
  AlignedBuffer() = default;
  /// Allocates `size` bytes; `ok()` tells whether it worked.
  explicit AlignedBuffer(size_t size, Init init = Init::zeros);
  AlignedBuffer(AlignedBuffer &&other) noexcept { *this = std::move(other); }
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept {
    block_ = std::move(other.block_); // the deleter (and its capacity) too
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
    return *this;
  }
  bool ok() const { return size_ == 0 || data_ != nullptr; }
  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  /// Frees a block, or gives a huge-page block (`hugeCapacity` bytes) to
  /// the process's HugeBlockCache for the next buffer of its size.
  struct Free {
    size_t hugeCapacity; // 0: an ordinary block (value-initialized)
    void operator()(uint8_t *p) const;
  };
  // calloc'ed (large blocks come zeroed from the OS with no pass over
  // them), malloc'ed, or a huge-page block (new or kept from an earlier
  // buffer); data_ is the first 64-byte aligned address inside.
  std::unique_ptr<uint8_t, Free> block_;
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_ALIGNED_BUFFER_H

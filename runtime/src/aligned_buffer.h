//===- aligned_buffer.h - 64-byte aligned heap memory -----------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_ALIGNED_BUFFER_H
#define HYDRA_RUNTIME_ALIGNED_BUFFER_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace hydra::rt {

/// Owned bytes at a 64-byte aligned address (cache lines, AVX-512 rows).
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  /// Allocates `size` zeroed bytes; `ok()` tells whether it worked.
  explicit AlignedBuffer(size_t size);
  bool ok() const { return size_ == 0 || data_ != nullptr; }
  uint8_t *data() const { return data_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_ALIGNED_BUFFER_H

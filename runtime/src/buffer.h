//===- buffer.h - tensors a session keeps between calls ---------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_BUFFER_H
#define HYDRA_RUNTIME_BUFFER_H

#include "aligned_buffer.h"
#include "hydra/runtime.h"

#include <vector>

struct hydra_buffer_s {
  ~hydra_buffer_s();
  hydra_session *session = nullptr;
  hydra_dtype dtype = HYDRA_DTYPE_INVALID;
  // The logical shape, and the room the storage has in each dimension
  // (row-major over `capacity`).
  std::vector<int64_t> shape, capacity;
  hydra::rt::AlignedBuffer storage; // host memory (CPU, GPU emulator)
  void *deviceMemory = nullptr;     // or the device's (CUDA)
  size_t deviceBytes = 0;
  hydra_tensor view{}; // refreshed by tensor()

  /// Where the kernels find the elements.
  uint8_t *data() const {
    return deviceMemory ? static_cast<uint8_t *>(deviceMemory) : storage.data();
  }
  /// Bytes the storage holds.
  size_t storageBytes() const {
    return deviceMemory ? deviceBytes : storage.size();
  }

  /// Element strides of the capacity layout.
  std::vector<int64_t> strides() const;
  /// Whether the shape fills the capacity (a dense row-major tensor).
  bool dense() const { return shape == capacity; }
  /// Bytes of the shape, dense.
  size_t shapeBytes() const;
  const hydra_tensor &tensor();
};

namespace hydra::rt {

/// `bytes` of storage for the buffer on its session's device.
hydra_status allocateStorage(hydra_buffer &buffer, size_t bytes);

/// Makes `shape` (and capacity, dense) the buffer's, reusing the storage
/// when it holds the bytes; an error when the memory cannot be had.
hydra_status reshapeDense(hydra_buffer &buffer,
                          const std::vector<int64_t> &shape);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_BUFFER_H

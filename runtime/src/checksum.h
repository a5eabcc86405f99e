//===- checksum.h - the artifact's whole-buffer checksum --------*- C++ -*-===//
//
// Shared by the runtime (which checks it) and the compiler (which sets it):
// header-only so the compiler does not link the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_CHECKSUM_H
#define HYDRA_RUNTIME_CHECKSUM_H

#include <cstddef>
#include <cstdint>

namespace hydra::artifact {

/// FNV-1a 64 of `data[0, size)`, reading the 8 bytes at `hole` (if inside)
/// as zero.
inline uint64_t checksum(const uint8_t *data, size_t size,
                         const uint8_t *hole) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    uint8_t byte = data + i >= hole && data + i < hole + 8 ? 0 : data[i];
    h = (h ^ byte) * 0x100000001b3ull;
  }
  return h;
}

} // namespace hydra::artifact

#endif // HYDRA_RUNTIME_CHECKSUM_H

//===- device.h - where a session runs its programs -------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_DEVICE_H
#define HYDRA_RUNTIME_DEVICE_H

#include "module.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace hydra::rt {

/// One buffer of a call, in host memory.
struct HostBuffer {
  void *data = nullptr;
  std::vector<int64_t> shape;
  size_t bytes = 0;
  /// Element strides when the buffer has room beyond its shape (a cache
  /// updated in place, hydra_buffer's capacity); empty when dense.
  std::vector<int64_t> strides;
};

/// Every buffer a program's launches can name, in host memory: the
/// caller's inputs, the outputs (zeroed), the constants (in the artifact)
/// and, where the device asked for them, the temporaries.
struct CallBuffers {
  std::vector<HostBuffer> inputs, outputs, temporaries;
  /// The session's, built once: they never change.
  const std::vector<HostBuffer> *constants = nullptr;
  const HostBuffer &get(const fb::BufferRef &ref) const;
};

/// A memref descriptor {allocated, aligned, offset, sizes[r], strides[r]}
/// as 64-bit words: of a dense row-major buffer, or with `strides` when
/// given (non-empty).
std::vector<int64_t> makeDescriptor(void *data,
                                    const std::vector<int64_t> &shape,
                                    const std::vector<int64_t> &strides = {});
/// The same words appended to `words`.
void appendDescriptor(std::vector<int64_t> &words, void *data,
                      const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &strides = {});

/// The descriptor of each of `launch`'s buffers, in host memory.
std::vector<std::vector<int64_t>> hostDescriptors(const fb::Launch &launch,
                                                  const CallBuffers &buffers);

/// The number of flat iterations of `launch` once `symbols` are bound;
/// an error if the product leaves int64 (sizes from a crafted artifact or
/// absurd inputs).
hydra_status gridSize(const fb::Launch &launch,
                      const std::vector<int64_t> &symbols, int64_t *total);

/// What `launch` computes and moves once `symbols` are bound: FLOPs and
/// bytes from the compiler's estimate; negative when it gave none.
struct LaunchCost {
  double flops = -1, bytes = -1;
};
LaunchCost launchCost(const fb::Launch &launch,
                      const std::vector<int64_t> &symbols);

class Device {
public:
  virtual ~Device() = default;
  /// The artifact device whose programs this runs.
  virtual fb::Device programDevice() const = 0;
  /// Whether the temporaries must be allocated in host memory.
  virtual bool usesHostTemporaries() const { return true; }
  /// Runs `program`'s launches; on return the outputs hold the results.
  virtual hydra_status run(const fb::Module &module, const fb::Program &program,
                           CallBuffers &buffers,
                           const std::vector<int64_t> &symbols) = 0;
};

hydra_status createCpuDevice(const hydra_module &module, int numThreads,
                             std::unique_ptr<Device> *out);
hydra_status createGpuEmulator(const hydra_module &module, int numThreads,
                               std::unique_ptr<Device> *out);
hydra_status createCudaDevice(const hydra_module &module, int ordinal,
                              std::unique_ptr<Device> *out);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_DEVICE_H

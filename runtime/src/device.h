//===- device.h - where a session runs its programs -------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_DEVICE_H
#define HYDRA_RUNTIME_DEVICE_H

#include "module.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace hydra::rt {

/// One buffer of a call: where the device's kernels find it (a host
/// address on the CPU and the emulator; a device address on CUDA once
/// `onDevice`), its shape and bytes.
struct HostBuffer {
  void *data = nullptr;
  std::vector<int64_t> shape;
  size_t bytes = 0;
  /// Element strides when the buffer has room beyond its shape (a cache
  /// updated in place, hydra_buffer's capacity); empty when dense.
  std::vector<int64_t> strides;
  /// Whether `data` is already the device's (a session buffer on CUDA);
  /// otherwise host memory the session copies in or out.
  bool onDevice = false;
};

/// Every buffer a program's launches can name: the caller's inputs, the
/// outputs, the constants (in the artifact) and the temporaries.
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

/// One launch of a program, as the session hands it to a device: every
/// buffer's descriptor words (buffer i's from offsets[i]) and the number
/// of iterations (CPU) or blocks (GPU) to run.
struct LaunchArgs {
  const fb::Launch *launch = nullptr;
  const fb::Kernel *kernel = nullptr;
  int64_t total = 0;
  std::vector<int64_t> words;
  std::vector<size_t> offsets;
  /// The compiler's estimate, and the bytes of the buffers the launch
  /// names (an upper bound on what it moves).
  LaunchCost cost;
  double namedBytes = 0;
};

/// Where a session's kernels run. The session walks the launch program
/// (descriptors, grid sizes) once for every device; a device provides its
/// memory and runs one launch at a time.
class Device {
public:
  virtual ~Device() = default;
  /// The artifact device whose programs this runs.
  virtual fb::Device programDevice() const = 0;
  /// Whether its kernels read host memory (the CPU, the GPU emulator):
  /// the session's buffers are then host memory, and no copies are made.
  virtual bool hostMemory() const { return true; }
  /// Device memory (devices whose memory is not the host's).
  virtual hydra_status allocate(size_t bytes, void **address);
  virtual void release(void *address);
  virtual hydra_status upload(void *to, const void *from, size_t bytes);
  virtual hydra_status download(void *to, const void *from, size_t bytes);
  /// Where the kernels find constant `index` (host data at `host`).
  virtual void *constant(size_t index, void *host) { return host; }
  /// Runs one launch (it may still be running on return: see finish).
  virtual hydra_status dispatch(const fb::Module &module,
                                const LaunchArgs &args) = 0;
  /// Waits until every launch dispatched so far has finished.
  virtual hydra_status finish() { return nullptr; }
};

hydra_status createCpuDevice(const hydra_module &module, int numThreads,
                             std::unique_ptr<Device> *out);
hydra_status createGpuEmulator(const hydra_module &module, int numThreads,
                               std::unique_ptr<Device> *out);
hydra_status createCudaDevice(const hydra_module &module, int ordinal,
                              std::unique_ptr<Device> *out);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_DEVICE_H

//===- session.h - running a module's functions -----------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_SESSION_H
#define HYDRA_RUNTIME_SESSION_H

#include "aligned_buffer.h"
#include "device.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct hydra_session_s {
  hydra_module *module = nullptr;
  std::unique_ptr<hydra::rt::Device> device;
  // Devices keep per-session state (the thread pool's job, the CUDA stream
  // and its buffers): one call runs on the device at a time. Checking
  // inputs and allocating outputs happen outside it.
  std::mutex runMutex;
  // Host temporaries, kept from call to call (guarded by runMutex): a
  // model's intermediate tensors are allocated and faulted in once, not on
  // every call. Slot i holds temporary i's bytes, grown when a call needs
  // more.
  std::vector<hydra::rt::AlignedBuffer> temporaries;
  // The module's constants as buffers, built when the session is.
  std::vector<hydra::rt::HostBuffer> constants;
  // HYDRA_POISON_BUFFERS set (not 0) when the session was created: every
  // call fills the outputs and host temporaries with 0xff bytes first (NaN
  // in every float), so a program that reads or returns a byte it did not
  // write shows it. The tests run with it.
  bool poison = false;
};

struct hydra_outputs_s {
  /// The function that made them (for its cache pairs).
  const hydra::fb::Function *function = nullptr;
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<hydra::rt::AlignedBuffer> data;
  std::vector<hydra_tensor> views;
};

namespace hydra::rt {

/// Checks `inputs` against `function`'s signature and binds its size
/// symbols from them; the error names the input and what is wrong.
hydra_status bindInputs(const fb::Function &function,
                        const hydra_tensor *inputs, size_t numInputs,
                        std::vector<int64_t> &symbols);

/// The shape of `sig` once `symbols` are bound.
std::vector<int64_t> resolveShape(const fb::TensorSignature &sig,
                                  const std::vector<int64_t> &symbols);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_SESSION_H

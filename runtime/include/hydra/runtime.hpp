//===- hydra/runtime.hpp - the hydra runtime for C++17 ----------*- C++ -*-===//
//
// A header-only RAII wrapper over the C API (hydra/runtime.h): failures
// throw hydra::Error carrying the status code and message; every handle
// frees itself. Lifetimes the C API leaves to the caller are kept here by
// shared ownership: a Session keeps its Module alive, a Buffer its Session.
//
//   hydra::Module module = hydra::Module::load("model.hydra");
//   hydra::Session session(module);
//   hydra::Outputs out = session.run("main", {q, k, v});  // hydra_tensor
//   const hydra_tensor &y = out[0];
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_HPP
#define HYDRA_RUNTIME_HPP

#include "hydra/runtime.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hydra {

/// A failed call: the C API's status code and message.
class Error : public std::runtime_error {
public:
  Error(hydra_status_code code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  hydra_status_code code() const noexcept { return code_; }

private:
  hydra_status_code code_;
};

namespace detail {
/// Throws the status as an Error (and frees it); nothing for success.
inline void check(hydra_status status) {
  if (!status)
    return;
  Error error(hydra_status_get_code(status), hydra_status_message(status));
  hydra_status_free(status);
  throw error;
}
} // namespace detail

/// The runtime library's version, and the headers' for comparison.
inline std::string version() { return hydra_version(); }
inline constexpr const char *kHeaderVersion = HYDRA_VERSION_STRING;

/// One input or output of a function's signature; -1 for a dynamic size.
struct Arg {
  std::string name;
  hydra_dtype dtype = HYDRA_DTYPE_INVALID;
  std::vector<int64_t> shape;
};

/// An output fed back as an input on the next call (hydra_module_cache).
struct CachePair {
  size_t input = 0;
  size_t output = 0;
  hydra_cache_kind kind = HYDRA_CACHE_APPEND;
  int32_t axis = 0;
  bool inPlace = false;
};

/// A loaded, verified artifact; copies share it. Read-only: any threads
/// may use one Module.
class Module {
public:
  static Module load(const std::string &path) {
    hydra_module *raw = nullptr;
    detail::check(hydra_module_load_file(path.c_str(), &raw));
    return Module(raw);
  }
  static Module fromMemory(const void *data, size_t size) {
    hydra_module *raw = nullptr;
    detail::check(hydra_module_load_memory(data, size, &raw));
    return Module(raw);
  }

  size_t functionCount() const { return hydra_module_function_count(get()); }
  std::string functionName(size_t function) const {
    return hydra_module_function_name(get(), function);
  }
  /// The index of the function called `name`; throws HYDRA_NOT_FOUND.
  size_t function(const std::string &name) const {
    for (size_t f = 0, e = functionCount(); f < e; ++f)
      if (functionName(f) == name)
        return f;
    throw Error(HYDRA_NOT_FOUND, "no function '" + name + "' in the module");
  }

  std::vector<Arg> inputs(size_t function) const {
    return signature(function, 1);
  }
  std::vector<Arg> outputs(size_t function) const {
    return signature(function, 0);
  }
  std::vector<CachePair> caches(size_t function) const {
    std::vector<CachePair> pairs(hydra_module_cache_count(get(), function));
    for (size_t i = 0; i < pairs.size(); ++i) {
      CachePair &p = pairs[i];
      int inPlace = 0;
      detail::check(hydra_module_cache(get(), function, i, &p.input, &p.output,
                                       &p.kind, &p.axis, &inPlace));
      p.inPlace = inPlace != 0;
    }
    return pairs;
  }

  hydra_module *get() const { return module_.get(); }

private:
  struct Free {
    void operator()(hydra_module *m) const { hydra_module_free(m); }
  };
  explicit Module(hydra_module *raw) : module_(raw, Free()) {}

  std::vector<Arg> signature(size_t function, int input) const {
    std::vector<Arg> args(hydra_module_signature_count(get(), function, input));
    for (size_t i = 0; i < args.size(); ++i) {
      const char *name = nullptr;
      int32_t rank = 0;
      int64_t shape[8];
      detail::check(hydra_module_signature(get(), function, input, i, &name,
                                           &args[i].dtype, &rank, shape, 8));
      args[i].name = name ? name : "";
      args[i].shape.assign(shape, shape + rank);
    }
    return args;
  }

  std::shared_ptr<hydra_module> module_;
  friend class Session;
};

/// What one hydra_session_run returned; the tensors live as long as it.
class Outputs {
public:
  size_t size() const { return hydra_outputs_count(outputs_.get()); }
  const hydra_tensor &operator[](size_t i) const {
    const hydra_tensor *t = hydra_outputs_get(outputs_.get(), i);
    if (!t)
      throw Error(HYDRA_INVALID_ARGUMENT, "output " + std::to_string(i) +
                                              " of " + std::to_string(size()));
    return *t;
  }
  /// Bytes of the outputs that are caches: {appended, states}.
  std::pair<uint64_t, uint64_t> cacheBytes() const {
    uint64_t append = 0, state = 0;
    hydra_outputs_cache_bytes(outputs_.get(), &append, &state);
    return {append, state};
  }
  hydra_outputs *get() const { return outputs_.get(); }

private:
  struct Free {
    void operator()(hydra_outputs *o) const { hydra_outputs_free(o); }
  };
  explicit Outputs(hydra_outputs *raw) : outputs_(raw) {}
  std::unique_ptr<hydra_outputs, Free> outputs_;
  friend class Session;
};

class Buffer;

/// A module prepared on a device. Calls may come from several threads
/// (see hydra_session_run); Buffers made by a session keep it alive.
class Session {
public:
  explicit Session(const Module &module,
                   hydra_session_options options = {HYDRA_DEVICE_CPU, 0, 0}) {
    hydra_session *raw = nullptr;
    detail::check(hydra_session_create(module.get(), &options, &raw));
    // The session holds the module's handle so that the module outlives it.
    std::shared_ptr<hydra_module> keep = module.module_;
    session_ = std::shared_ptr<hydra_session>(
        raw, [keep](hydra_session *s) { hydra_session_free(s); });
  }

  /// Runs `function` on `inputs` (signature order).
  Outputs run(const std::string &function,
              const std::vector<hydra_tensor> &inputs) const {
    hydra_outputs *raw = nullptr;
    detail::check(hydra_session_run(get(), function.c_str(), inputs.data(),
                                    inputs.size(), &raw));
    return Outputs(raw);
  }

  /// A buffer on the session's device (hydra_buffer_create).
  inline Buffer buffer(hydra_dtype dtype, const std::vector<int64_t> &shape,
                       const std::vector<int64_t> &capacity = {}) const;

  /// Runs `function` on buffers: outputs[o] is filled, a new Buffer made
  /// where it is empty. One buffer as a pair's input and output appends in
  /// place (CachePair::inPlace).
  inline void runBuffers(const std::string &function,
                         const std::vector<const Buffer *> &inputs,
                         std::vector<Buffer> &outputs) const;

  hydra_session *get() const { return session_.get(); }

private:
  std::shared_ptr<hydra_session> session_;
  friend class Buffer;
};

/// A tensor a session keeps between calls (hydra_buffer); move-only.
class Buffer {
public:
  Buffer() = default;
  Buffer(Buffer &&) noexcept = default;
  Buffer &operator=(Buffer &&other) noexcept {
    buffer_.reset(); // before the session it may be the last to hold
    session_ = std::move(other.session_);
    buffer_ = std::move(other.buffer_);
    return *this;
  }
  explicit operator bool() const { return buffer_ != nullptr; }

  /// Copies exactly the shape's bytes in or out.
  void upload(const void *data, size_t bytes) {
    detail::check(hydra_buffer_upload(get(), data, bytes));
  }
  void download(void *data, size_t bytes) const {
    detail::check(hydra_buffer_download(get(), data, bytes));
  }
  /// The dtype, current shape and data (a device address on CUDA).
  const hydra_tensor &tensor() const { return *hydra_buffer_tensor(get()); }
  std::vector<int64_t> shape() const {
    const hydra_tensor &t = tensor();
    return std::vector<int64_t>(t.shape, t.shape + t.rank);
  }
  std::vector<int64_t> strides() const {
    std::vector<int64_t> s(tensor().rank);
    hydra_buffer_strides(get(), s.data());
    return s;
  }
  void setShape(const std::vector<int64_t> &shape) {
    detail::check(hydra_buffer_set_shape(
        get(), static_cast<int32_t>(shape.size()), shape.data()));
  }
  hydra_buffer *get() const {
    if (!buffer_)
      throw Error(HYDRA_INVALID_ARGUMENT, "an empty hydra::Buffer was used");
    return buffer_.get();
  }

private:
  struct Free {
    void operator()(hydra_buffer *b) const { hydra_buffer_free(b); }
  };
  Buffer(hydra_buffer *raw, std::shared_ptr<hydra_session> session)
      : session_(std::move(session)), buffer_(raw) {}
  // Declared first so that it is destroyed last: the buffer before its
  // session.
  std::shared_ptr<hydra_session> session_;
  std::unique_ptr<hydra_buffer, Free> buffer_;
  friend class Session;
};

inline Buffer Session::buffer(hydra_dtype dtype,
                              const std::vector<int64_t> &shape,
                              const std::vector<int64_t> &capacity) const {
  if (!capacity.empty() && capacity.size() != shape.size())
    throw Error(HYDRA_INVALID_ARGUMENT,
                "a buffer's capacity needs one size per dimension of its "
                "shape (" +
                    std::to_string(shape.size()) + "), not " +
                    std::to_string(capacity.size()));
  hydra_buffer *raw = nullptr;
  detail::check(hydra_buffer_create(
      get(), dtype, static_cast<int32_t>(shape.size()), shape.data(),
      capacity.empty() ? nullptr : capacity.data(), &raw));
  return Buffer(raw, session_);
}

inline void Session::runBuffers(const std::string &function,
                                const std::vector<const Buffer *> &inputs,
                                std::vector<Buffer> &outputs) const {
  std::vector<hydra_buffer *> in;
  in.reserve(inputs.size());
  for (const Buffer *b : inputs) {
    if (!b)
      throw Error(HYDRA_INVALID_ARGUMENT, "a null input buffer");
    in.push_back(b->get());
  }
  std::vector<hydra_buffer *> out;
  out.reserve(outputs.size());
  for (const Buffer &b : outputs)
    out.push_back(b ? b.get() : nullptr);
  detail::check(hydra_session_run_buffers(get(), function.c_str(), in.data(),
                                          in.size(), out.data(), out.size()));
  // Adopt the buffers the call made for the empty slots.
  for (size_t o = 0; o < outputs.size(); ++o)
    if (!outputs[o])
      outputs[o] = Buffer(out[o], session_);
}

} // namespace hydra

#endif // HYDRA_RUNTIME_HPP

//===- session.cc - running a module's functions on the CPU ---------------===//

#include "session.h"
#include "buffer.h"
#include "status.h"

#include <cstdlib>
#include <cstring>

using namespace hydra;
using namespace hydra::rt;

namespace {
/// The shape of `sig` once `symbols` are bound, and its size in bytes.
hydra_status describe(const fb::TensorSignature &sig,
                      const std::vector<int64_t> &symbols, HostBuffer &b) {
  b.shape = resolveShape(sig, symbols);
  uint64_t bytes = hydra_dtype_size(static_cast<hydra_dtype>(sig.dtype()));
  for (int64_t d : b.shape) {
    // A derived size (a difference, say) can come out negative for inputs
    // whose sizes do not fit together.
    if (d < 0)
      return makeStatus(HYDRA_INVALID_ARGUMENT, "buffer '", sig.name()->str(),
                        "' would have a negative size (", d,
                        "): the input sizes do not fit together");
    if (d > 0 && bytes > UINT64_MAX / uint64_t(d))
      return makeStatus(HYDRA_INVALID_ARGUMENT, "buffer '", sig.name()->str(),
                        "' would be too large");
    bytes *= uint64_t(d);
  }
  b.bytes = bytes;
  return nullptr;
}

/// A 64-byte aligned host buffer for `b`, which then points at it. Not
/// zeroed: a program writes every byte of its outputs and temporaries
/// before it reads them (they are allocations in the compiler's IR, whose
/// contents start undefined; temporaries already keep the last call's
/// bytes), and zeroing a decode step's 16 MiB of present keys and values
/// took 15% of the step.
hydra_status allocate(const fb::TensorSignature &sig, HostBuffer &b,
                      AlignedBuffer &buffer) {
  buffer = AlignedBuffer(b.bytes, AlignedBuffer::Init::unset);
  if (!buffer.ok())
    return makeStatus(HYDRA_INTERNAL, "out of memory for buffer '",
                      sig.name()->str(), "' (", b.bytes, " bytes)");
  b.data = buffer.data();
  return nullptr;
}

/// Points each temporary at the session's buffer for it, growing the
/// buffers a call needs more of. A temporary's bytes are what the previous
/// call left (kernels write every temporary before reading it).
hydra_status reuseTemporaries(const fb::Program &program,
                              std::vector<HostBuffer> &temporaries,
                              std::vector<AlignedBuffer> &kept) {
  if (kept.size() < temporaries.size())
    kept.resize(temporaries.size());
  for (size_t i = 0; i < temporaries.size(); ++i) {
    HostBuffer &b = temporaries[i];
    if (kept[i].size() < b.bytes || !kept[i].data()) {
      kept[i] = AlignedBuffer();
      HYDRA_RETURN_IF_ERROR(
          allocate(*program.temporaries()->Get(i), b, kept[i]));
    }
    b.data = kept[i].data();
  }
  return nullptr;
}

const fb::Program *programFor(const fb::Function &function, fb::Device device) {
  for (const fb::Program *p : *function.programs())
    if (p->device() == device)
      return p;
  return nullptr;
}

/// More threads than any machine hydra runs on has cores.
constexpr int32_t kMaxThreads = 1024;

hydra_status createSession(hydra_module *module,
                           const hydra_session_options *options,
                           hydra_session **out) {
  if (!module || !out)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_session_create: null argument");
  *out = nullptr;
  hydra_session_options opts = options ? *options : hydra_session_options{};
  if (opts.num_threads < 0 || opts.num_threads > kMaxThreads)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "num_threads must be in [0, ",
                      kMaxThreads, "] (0: every core), got ", opts.num_threads);
  auto session = std::make_unique<hydra_session_s>();
  session->module = module;
  switch (opts.device) {
  case HYDRA_DEVICE_CPU:
    HYDRA_RETURN_IF_ERROR(
        createCpuDevice(*module, opts.num_threads, &session->device));
    break;
  case HYDRA_DEVICE_CUDA:
    HYDRA_RETURN_IF_ERROR(
        createCudaDevice(*module, opts.device_ordinal, &session->device));
    break;
  case HYDRA_DEVICE_GPU_EMULATOR:
    HYDRA_RETURN_IF_ERROR(
        createGpuEmulator(*module, opts.num_threads, &session->device));
    break;
  default:
    return makeStatus(HYDRA_INVALID_ARGUMENT, "unknown device kind ",
                      int(opts.device));
  }
  const char *poison = std::getenv("HYDRA_POISON_BUFFERS");
  session->poison = poison && *poison && std::strcmp(poison, "0") != 0;
  if (const auto *constants = module->root->constants())
    for (const fb::Constant *c : *constants)
      session->constants.push_back(
          {const_cast<uint8_t *>(c->data()->data()),
           std::vector<int64_t>(c->shape()->begin(), c->shape()->end()),
           c->data()->size()});
  *out = session.release();
  return nullptr;
}

/// The function named `functionName` and its program for the session's
/// device.
hydra_status findProgram(hydra_session *session, const char *functionName,
                         const fb::Function **function,
                         const fb::Program **program) {
  *function = session->module->findFunction(functionName);
  if (!*function)
    return makeStatus(HYDRA_NOT_FOUND, "no function '",
                      functionName ? functionName : "(null)",
                      "' in the module");
  fb::Device device = session->device->programDevice();
  *program = programFor(**function, device);
  if (!*program)
    return makeStatus(HYDRA_UNAVAILABLE, "function '", functionName,
                      "' was not compiled for ", fb::EnumNameDevice(device),
                      device == fb::Device::cpu
                          ? " (compile with --target=cpu)"
                          : " (compile with --target=sm_NN or gpu-emulator)");
  return nullptr;
}

/// Device memory a call allocated, freed however the call ends.
struct CallMemory {
  explicit CallMemory(Device &d) : device(d) {}
  ~CallMemory() {
    for (void *p : owned)
      device.release(p);
  }
  hydra_status allocate(HostBuffer &b) {
    void *p = nullptr;
    HYDRA_RETURN_IF_ERROR(device.allocate(b.bytes, &p));
    owned.push_back(p);
    b.data = p;
    b.onDevice = true;
    return nullptr;
  }
  Device &device;
  std::vector<void *> owned;
};

/// Walks the launch program once for any device: each launch's buffer
/// descriptors and grid, dispatched in order.
hydra_status dispatchLaunches(Device &device, const fb::Module &module,
                              const fb::Program &program,
                              const CallBuffers &buffers,
                              const std::vector<int64_t> &symbols) {
  for (const fb::Launch *launch : *program.launches()) {
    LaunchArgs args;
    args.launch = launch;
    args.kernel = module.kernels()->Get(launch->kernel());
    HYDRA_RETURN_IF_ERROR(gridSize(*launch, symbols, &args.total));
    for (const fb::BufferRef *ref : *launch->buffers()) {
      const HostBuffer &b = buffers.get(*ref);
      void *address = ref->kind() == fb::BufferKind::constant
                          ? device.constant(ref->index(), b.data)
                          : b.data;
      args.offsets.push_back(args.words.size());
      appendDescriptor(args.words, address, b.shape, b.strides);
      args.namedBytes += double(b.bytes);
    }
    args.cost = launchCost(*launch, symbols);
    HYDRA_RETURN_IF_ERROR(device.dispatch(module, args));
  }
  return device.finish();
}

/// Describes the program's temporaries, then runs it on the session's
/// device (one call at a time). On a device with its own memory, host
/// inputs are copied in and host outputs back, and the temporaries live
/// for the call. Outputs marked in `keep` hold bytes the call reads (a
/// cache appended in place) and are not poisoned.
hydra_status runProgram(hydra_session *session, const fb::Program &program,
                        CallBuffers &buffers,
                        const std::vector<int64_t> &symbols,
                        const std::vector<bool> &keep = {}) {
  if (program.temporaries())
    for (const fb::TensorSignature *sig : *program.temporaries()) {
      HostBuffer b;
      HYDRA_RETURN_IF_ERROR(describe(*sig, symbols, b));
      buffers.temporaries.push_back(std::move(b));
    }
  buffers.constants = &session->constants;
  Device &device = *session->device;
  std::lock_guard<std::mutex> lock(session->runMutex);
  if (device.hostMemory()) {
    HYDRA_RETURN_IF_ERROR(
        reuseTemporaries(program, buffers.temporaries, session->temporaries));
    if (session->poison) {
      for (size_t i = 0; i < buffers.outputs.size(); ++i)
        if (buffers.outputs[i].data && (keep.empty() || !keep[i]))
          std::memset(buffers.outputs[i].data, 0xff, buffers.outputs[i].bytes);
      for (HostBuffer &b : buffers.temporaries)
        if (b.data)
          std::memset(b.data, 0xff, b.bytes);
    }
    return dispatchLaunches(device, *session->module->root, program, buffers,
                            symbols);
  }
  CallMemory memory(device);
  std::vector<void *> hostOutputs(buffers.outputs.size(), nullptr);
  for (HostBuffer &b : buffers.inputs)
    if (!b.onDevice) {
      const void *host = b.data;
      HYDRA_RETURN_IF_ERROR(memory.allocate(b));
      HYDRA_RETURN_IF_ERROR(device.upload(b.data, host, b.bytes));
    }
  for (size_t i = 0; i < buffers.outputs.size(); ++i)
    if (!buffers.outputs[i].onDevice) {
      hostOutputs[i] = buffers.outputs[i].data;
      HYDRA_RETURN_IF_ERROR(memory.allocate(buffers.outputs[i]));
    }
  for (HostBuffer &b : buffers.temporaries)
    HYDRA_RETURN_IF_ERROR(memory.allocate(b));
  HYDRA_RETURN_IF_ERROR(dispatchLaunches(device, *session->module->root,
                                         program, buffers, symbols));
  for (size_t i = 0; i < buffers.outputs.size(); ++i)
    if (hostOutputs[i])
      HYDRA_RETURN_IF_ERROR(device.download(
          hostOutputs[i], buffers.outputs[i].data, buffers.outputs[i].bytes));
  return nullptr;
}

hydra_status runSession(hydra_session *session, const char *functionName,
                        const hydra_tensor *inputs, size_t numInputs,
                        hydra_outputs **out) {
  if (!session || !out)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_session_run: null argument");
  *out = nullptr;
  const fb::Function *function;
  const fb::Program *program;
  HYDRA_RETURN_IF_ERROR(
      findProgram(session, functionName, &function, &program));
  std::vector<int64_t> symbols;
  HYDRA_RETURN_IF_ERROR(bindInputs(*function, inputs, numInputs, symbols));

  CallBuffers buffers;
  for (size_t i = 0; i < numInputs; ++i) {
    HostBuffer b;
    HYDRA_RETURN_IF_ERROR(describe(*function->inputs()->Get(i), symbols, b));
    b.data = inputs[i].data;
    buffers.inputs.push_back(std::move(b));
  }
  auto outputs = std::make_unique<hydra_outputs_s>();
  outputs->function = function;
  for (const fb::TensorSignature *sig : *function->outputs()) {
    HostBuffer b;
    AlignedBuffer buffer;
    HYDRA_RETURN_IF_ERROR(describe(*sig, symbols, b));
    HYDRA_RETURN_IF_ERROR(allocate(*sig, b, buffer));
    outputs->names.push_back(sig->name()->str());
    outputs->shapes.push_back(b.shape);
    outputs->data.push_back(std::move(buffer));
    buffers.outputs.push_back(std::move(b));
  }
  HYDRA_RETURN_IF_ERROR(runProgram(session, *program, buffers, symbols));

  for (size_t i = 0; i < outputs->names.size(); ++i) {
    const fb::TensorSignature *sig = function->outputs()->Get(i);
    outputs->views.push_back(hydra_tensor{
        outputs->names[i].c_str(), static_cast<hydra_dtype>(sig->dtype()),
        int32_t(outputs->shapes[i].size()), outputs->shapes[i].data(),
        outputs->data[i].data()});
  }
  *out = outputs.release();
  return nullptr;
}

/// The in-place cache pair of input `input` and output `output`, or null.
const fb::CachePair *inPlacePair(const fb::Function &function, size_t input,
                                 size_t output) {
  if (function.caches())
    for (const fb::CachePair *c : *function.caches())
      if (c->input() == input && c->output() == output && c->in_place())
        return c;
  return nullptr;
}

hydra_status runBuffers(hydra_session *session, const char *functionName,
                        hydra_buffer *const *inputs, size_t numInputs,
                        hydra_buffer **outputs, size_t numOutputs) {
  if (!session || (numInputs && !inputs) || (numOutputs && !outputs))
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_session_run_buffers: null argument");
  const fb::Function *function;
  const fb::Program *program;
  HYDRA_RETURN_IF_ERROR(
      findProgram(session, functionName, &function, &program));
  size_t wantOutputs = function->outputs()->size();
  if (numOutputs != wantOutputs)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "function '", functionName,
                      "' has ", wantOutputs, " outputs, not ", numOutputs);
  std::vector<hydra_tensor> tensors;
  for (size_t i = 0; i < numInputs; ++i) {
    if (!inputs[i] || inputs[i]->session != session)
      return makeStatus(HYDRA_INVALID_ARGUMENT, "input ", i, ": ",
                        inputs[i] ? "a buffer of another session"
                                  : "no buffer");
    tensors.push_back(inputs[i]->tensor());
  }
  std::vector<int64_t> symbols;
  HYDRA_RETURN_IF_ERROR(
      bindInputs(*function, tensors.data(), numInputs, symbols));

  // Which outputs write into an input's buffer: only an in-place cache
  // pair's, which then may (and only then) have room to spare.
  std::vector<const fb::CachePair *> appended(wantOutputs, nullptr);
  for (size_t o = 0; o < wantOutputs; ++o) {
    if (!outputs[o])
      continue;
    if (outputs[o]->session != session)
      return makeStatus(HYDRA_INVALID_ARGUMENT, "output ", o,
                        ": a buffer of another session");
    for (size_t i = 0; i < numInputs; ++i) {
      if (inputs[i] != outputs[o])
        continue;
      appended[o] = inPlacePair(*function, i, o);
      if (!appended[o])
        return makeStatus(
            HYDRA_INVALID_ARGUMENT, "output ", o, " '",
            function->outputs()->Get(o)->name()->str(), "' is input ", i, " '",
            function->inputs()->Get(i)->name()->str(),
            "''s buffer, which is not a cache the function appends to in "
            "place (hydra_module_cache)");
    }
    for (size_t p = 0; p < o; ++p)
      if (outputs[p] == outputs[o])
        return makeStatus(HYDRA_INVALID_ARGUMENT, "outputs ", p, " and ", o,
                          " are one buffer");
  }
  for (size_t i = 0; i < numInputs; ++i) {
    bool inPlace = false;
    for (size_t o = 0; o < wantOutputs; ++o)
      inPlace |= appended[o] && appended[o]->input() == i;
    if (!inputs[i]->dense() && !inPlace)
      return makeStatus(
          HYDRA_INVALID_ARGUMENT, "input ", i, " '",
          function->inputs()->Get(i)->name()->str(),
          "': a buffer with room beyond its shape is read only as a cache "
          "appended to in place (pass it as its output too)");
  }

  CallBuffers buffers;
  for (size_t i = 0; i < numInputs; ++i) {
    HostBuffer b;
    HYDRA_RETURN_IF_ERROR(describe(*function->inputs()->Get(i), symbols, b));
    b.data = inputs[i]->data();
    b.onDevice = !session->device->hostMemory();
    if (!inputs[i]->dense())
      b.strides = inputs[i]->strides();
    buffers.inputs.push_back(std::move(b));
  }
  // Outputs: new buffers where none is given, given ones reshaped, and an
  // appended cache's buffer grown along its axis within its room.
  std::vector<std::unique_ptr<hydra_buffer_s>> created(wantOutputs);
  std::vector<bool> keep(wantOutputs, false);
  for (size_t o = 0; o < wantOutputs; ++o) {
    const fb::TensorSignature *sig = function->outputs()->Get(o);
    HostBuffer b;
    HYDRA_RETURN_IF_ERROR(describe(*sig, symbols, b));
    hydra_buffer *target = outputs[o];
    if (!target) {
      created[o] = std::make_unique<hydra_buffer_s>();
      target = created[o].get();
      target->session = session;
      target->dtype = static_cast<hydra_dtype>(sig->dtype());
    } else if (target->dtype != static_cast<hydra_dtype>(sig->dtype()) ||
               target->shape.size() != b.shape.size()) {
      return makeStatus(
          HYDRA_INVALID_ARGUMENT, "output ", o, " '", sig->name()->str(),
          "' is ", hydra_dtype_name(static_cast<hydra_dtype>(sig->dtype())),
          " of rank ", b.shape.size(), "; the buffer given is ",
          hydra_dtype_name(target->dtype), " of rank ", target->shape.size());
    }
    if (const fb::CachePair *c = appended[o]) {
      for (size_t d = 0; d < b.shape.size(); ++d)
        if (d == size_t(c->axis()) ? b.shape[d] > target->capacity[d]
                                   : b.shape[d] != target->capacity[d])
          return makeStatus(
              HYDRA_INVALID_ARGUMENT, "cache '", sig->name()->str(), "' needs ",
              b.shape[d], " in dimension ", d, " but its buffer has room for ",
              target->capacity[d],
              d == size_t(c->axis()) ? " (create it with more capacity)"
                                     : " (room only along the cache's axis)");
      b.strides = target->strides();
      keep[o] = true;
    } else {
      HYDRA_RETURN_IF_ERROR(reshapeDense(*target, b.shape));
    }
    b.data = target->data();
    b.onDevice = !session->device->hostMemory();
    buffers.outputs.push_back(std::move(b));
  }
  HYDRA_RETURN_IF_ERROR(runProgram(session, *program, buffers, symbols, keep));
  for (size_t o = 0; o < wantOutputs; ++o) {
    hydra_buffer *target = outputs[o] ? outputs[o] : created[o].get();
    target->shape = buffers.outputs[o].shape;
    if (created[o])
      outputs[o] = created[o].release();
  }
  return nullptr;
}

} // namespace

extern "C" hydra_status
hydra_session_create(hydra_module *module, const hydra_session_options *options,
                     hydra_session **out) {
  return guarded("hydra_session_create",
                 [&] { return createSession(module, options, out); });
}

extern "C" void hydra_session_free(hydra_session *session) { delete session; }

extern "C" hydra_status hydra_session_run(hydra_session *session,
                                          const char *function,
                                          const hydra_tensor *inputs,
                                          size_t numInputs,
                                          hydra_outputs **out) {
  return guarded("hydra_session_run", [&] {
    return runSession(session, function, inputs, numInputs, out);
  });
}

extern "C" hydra_status
hydra_session_run_buffers(hydra_session *session, const char *function,
                          hydra_buffer *const *inputs, size_t numInputs,
                          hydra_buffer **outputs, size_t numOutputs) {
  return guarded("hydra_session_run_buffers", [&] {
    return runBuffers(session, function, inputs, numInputs, outputs,
                      numOutputs);
  });
}

extern "C" size_t hydra_outputs_count(const hydra_outputs *outputs) {
  return outputs ? outputs->views.size() : 0;
}

extern "C" const hydra_tensor *hydra_outputs_get(const hydra_outputs *outputs,
                                                 size_t i) {
  if (!outputs || i >= outputs->views.size())
    return nullptr;
  return &outputs->views[i];
}

extern "C" void hydra_outputs_free(hydra_outputs *outputs) { delete outputs; }

extern "C" void hydra_outputs_cache_bytes(const hydra_outputs *outputs,
                                          uint64_t *append_bytes,
                                          uint64_t *state_bytes) {
  uint64_t sums[2] = {0, 0};
  if (outputs && outputs->function && outputs->function->caches())
    for (const fb::CachePair *c : *outputs->function->caches()) {
      const hydra_tensor &t = outputs->views[c->output()];
      uint64_t bytes = hydra_dtype_size(t.dtype);
      for (int32_t d = 0; d < t.rank; ++d)
        bytes *= uint64_t(t.shape[d]);
      sums[c->kind() == fb::CacheKind::append ? 0 : 1] += bytes;
    }
  if (append_bytes)
    *append_bytes = sums[0];
  if (state_bytes)
    *state_bytes = sums[1];
}

//===- session.cc - running a module's functions on the CPU ---------------===//

#include "session.h"
#include "status.h"

#include <cstring>
#include <thread>

using namespace hydra;
using namespace hydra::rt;

namespace {
/// A memref descriptor {allocated, aligned, offset, sizes[r], strides[r]}
/// for a dense row-major buffer, as 8-byte words.
std::vector<int64_t> makeDescriptor(void *data,
                                    const std::vector<int64_t> &shape) {
  size_t rank = shape.size();
  std::vector<int64_t> words(3 + 2 * rank);
  words[0] = words[1] = reinterpret_cast<intptr_t>(data);
  words[2] = 0;
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    words[3 + d] = shape[d];
    words[3 + rank + d] = stride;
    stride *= shape[d];
  }
  return words;
}

struct BoundBuffer {
  void *data;
  std::vector<int64_t> shape;
};

/// Allocates a zeroed buffer for `sig` once its sizes are bound.
hydra_status allocate(const fb::TensorSignature &sig,
                      const std::vector<int64_t> &symbols,
                      std::vector<int64_t> &shape, AlignedBuffer &buffer) {
  shape = resolveShape(sig, symbols);
  uint64_t bytes = hydra_dtype_size(static_cast<hydra_dtype>(sig.dtype()));
  for (int64_t d : shape) {
    if (d > 0 && bytes > UINT64_MAX / uint64_t(d))
      return makeStatus(HYDRA_INVALID_ARGUMENT, "buffer '", sig.name()->str(),
                        "' would be too large");
    bytes *= uint64_t(d);
  }
  buffer = AlignedBuffer(bytes);
  if (!buffer.ok())
    return makeStatus(HYDRA_INTERNAL, "out of memory for buffer '",
                      sig.name()->str(), "' (", bytes, " bytes)");
  return nullptr;
}
} // namespace

extern "C" hydra_status
hydra_session_create(hydra_module *module, const hydra_session_options *options,
                     hydra_session **out) {
  if (!module || !out)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_session_create: null argument");
  *out = nullptr;
  hydra_session_options opts = options ? *options : hydra_session_options{};
  if (opts.device != HYDRA_DEVICE_CPU)
    return makeStatus(HYDRA_UNAVAILABLE, "device kind ", int(opts.device),
                      " is not available in this runtime");
  if (opts.num_threads < 0)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "num_threads must be >= 0, got ",
                      opts.num_threads);
  auto session = std::make_unique<hydra_session_s>();
  session->module = module;
  HYDRA_RETURN_IF_ERROR(session->cpu.load(*module));
  unsigned threads = opts.num_threads ? unsigned(opts.num_threads)
                                      : std::thread::hardware_concurrency();
  // The calling thread is one of the workers.
  session->pool = std::make_unique<ThreadPool>(threads > 1 ? threads - 1 : 0);
  *out = session.release();
  return nullptr;
}

extern "C" void hydra_session_free(hydra_session *session) { delete session; }

extern "C" hydra_status hydra_session_run(hydra_session *session,
                                          const char *functionName,
                                          const hydra_tensor *inputs,
                                          size_t numInputs,
                                          hydra_outputs **out) {
  if (!session || !out)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_session_run: null argument");
  *out = nullptr;
  const fb::Function *function = session->module->findFunction(functionName);
  if (!function)
    return makeStatus(HYDRA_NOT_FOUND, "no function '",
                      functionName ? functionName : "(null)",
                      "' in the module");
  std::vector<int64_t> symbols;
  HYDRA_RETURN_IF_ERROR(bindInputs(*function, inputs, numInputs, symbols));

  auto outputs = std::make_unique<hydra_outputs_s>();
  for (const fb::TensorSignature *sig : *function->outputs()) {
    std::vector<int64_t> shape;
    AlignedBuffer buffer;
    HYDRA_RETURN_IF_ERROR(allocate(*sig, symbols, shape, buffer));
    outputs->names.push_back(sig->name()->str());
    outputs->shapes.push_back(std::move(shape));
    outputs->data.push_back(std::move(buffer));
  }
  std::vector<std::vector<int64_t>> tempShapes;
  std::vector<AlignedBuffer> temps;
  if (function->temporaries())
    for (const fb::TensorSignature *sig : *function->temporaries()) {
      tempShapes.emplace_back();
      temps.emplace_back();
      HYDRA_RETURN_IF_ERROR(
          allocate(*sig, symbols, tempShapes.back(), temps.back()));
    }

  const fb::Module &root = *session->module->root;
  for (const fb::Launch *launch : *function->launches()) {
    std::vector<std::vector<int64_t>> descriptors;
    for (const fb::BufferRef *ref : *launch->buffers()) {
      BoundBuffer b;
      switch (ref->kind()) {
      case fb::BufferKind::input:
        b.data = inputs[ref->index()].data;
        b.shape.assign(inputs[ref->index()].shape,
                       inputs[ref->index()].shape + inputs[ref->index()].rank);
        break;
      case fb::BufferKind::output:
        b.data = outputs->data[ref->index()].data();
        b.shape = outputs->shapes[ref->index()];
        break;
      case fb::BufferKind::temporary:
        b.data = temps[ref->index()].data();
        b.shape = tempShapes[ref->index()];
        break;
      default: {
        const fb::Constant *c = root.constants()->Get(ref->index());
        b.data = const_cast<uint8_t *>(c->data()->data());
        b.shape.assign(c->shape()->begin(), c->shape()->end());
      }
      }
      descriptors.push_back(makeDescriptor(b.data, b.shape));
    }
    int64_t total = 1;
    for (const fb::GridDim *g : *launch->grid()) {
      int64_t n = g->symbol() < 0
                      ? g->value()
                      : (symbols[g->symbol()] + g->value() - 1) / g->value();
      total *= n;
    }
    KernelEntry entry = session->cpu.entry(launch->kernel());
    session->pool->parallelFor(total, [&](int64_t begin, int64_t end) {
      std::vector<void *> argv;
      for (auto &d : descriptors)
        argv.push_back(d.data());
      argv.push_back(&begin);
      argv.push_back(&end);
      entry(argv.data());
    });
  }

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

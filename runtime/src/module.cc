//===- module.cc - loading artifacts --------------------------------------===//

#include "module.h"
#include "status.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

using namespace hydra;
using namespace hydra::rt;

const fb::Function *hydra_module_s::findFunction(const char *name) const {
  if (!name)
    return nullptr;
  for (const fb::Function *f : *root->functions())
    if (f->name()->string_view() == name)
      return f;
  return nullptr;
}

namespace {
hydra_status loadMemory(const void *data, size_t size, hydra_module **out) {
  if (!out)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "hydra_module_load_memory: null "
                                              "output pointer");
  *out = nullptr;
  if (!data && size)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_module_load_memory: null data");
  auto module = std::make_unique<hydra_module_s>();
  module->bytes = AlignedBuffer(size);
  if (!module->bytes.ok())
    return makeStatus(HYDRA_INTERNAL, "out of memory reading a ", size,
                      "-byte artifact");
  if (size)
    std::memcpy(module->bytes.data(), data, size);
  HYDRA_RETURN_IF_ERROR(
      verifyArtifact(module->bytes.data(), size, &module->root));
  *out = module.release();
  return nullptr;
}

hydra_status loadFile(const char *path, hydra_module **out) {
  if (!path || !out)
    return makeStatus(HYDRA_INVALID_ARGUMENT,
                      "hydra_module_load_file: null argument");
  *out = nullptr;
  FILE *file = std::fopen(path, "rb");
  if (!file)
    return makeStatus(HYDRA_NOT_FOUND, "cannot open artifact '", path,
                      "': ", std::strerror(errno));
  std::string bytes;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.append(chunk, n);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return makeStatus(HYDRA_NOT_FOUND, "cannot read artifact '", path, "'");
  hydra_status status = loadMemory(bytes.data(), bytes.size(), out);
  if (status && status != outOfMemoryStatus())
    status->message = std::string(path) + ": " + status->message;
  return status;
}
} // namespace

extern "C" hydra_status hydra_module_load_memory(const void *data, size_t size,
                                                 hydra_module **out) {
  return guarded("hydra_module_load_memory",
                 [&] { return loadMemory(data, size, out); });
}

extern "C" hydra_status hydra_module_load_file(const char *path,
                                               hydra_module **out) {
  return guarded("hydra_module_load_file", [&] { return loadFile(path, out); });
}

extern "C" void hydra_module_free(hydra_module *module) { delete module; }

extern "C" size_t hydra_module_function_count(const hydra_module *module) {
  return module ? module->root->functions()->size() : 0;
}

extern "C" const char *hydra_module_function_name(const hydra_module *module,
                                                  size_t function) {
  if (!module || function >= hydra_module_function_count(module))
    return nullptr;
  return module->function(function)->name()->c_str();
}

static const flatbuffers::Vector<flatbuffers::Offset<fb::TensorSignature>> *
signatures(const hydra_module *module, size_t function, int input) {
  if (!module || function >= hydra_module_function_count(module))
    return nullptr;
  const fb::Function *f = module->function(function);
  return input ? f->inputs() : f->outputs();
}

extern "C" size_t hydra_module_signature_count(const hydra_module *module,
                                               size_t function, int input) {
  auto *sigs = signatures(module, function, input);
  return sigs ? sigs->size() : 0;
}

extern "C" hydra_status
hydra_module_signature(const hydra_module *module, size_t function, int input,
                       size_t index, const char **name, hydra_dtype *dtype,
                       int32_t *rank, int64_t *shape, int32_t max_rank) {
  auto *sigs = signatures(module, function, input);
  if (!sigs || index >= sigs->size())
    return makeStatus(HYDRA_NOT_FOUND, "no ", input ? "input " : "output ",
                      index, " in function ", function);
  const fb::TensorSignature *sig = sigs->Get(index);
  if (name)
    *name = sig->name()->c_str();
  if (dtype)
    *dtype = static_cast<hydra_dtype>(sig->dtype());
  if (rank)
    *rank = sig->shape()->size();
  if (shape) {
    if (int32_t(sig->shape()->size()) > max_rank)
      return makeStatus(HYDRA_INVALID_ARGUMENT, "shape of rank ",
                        sig->shape()->size(), " does not fit ", max_rank);
    for (size_t i = 0; i < sig->shape()->size(); ++i)
      shape[i] = sig->shape()->Get(i) < 0 ? -1 : sig->shape()->Get(i);
  }
  return nullptr;
}

/// The cache pairs of function `function`, or null.
static const flatbuffers::Vector<const fb::CachePair *> *
cachePairs(const hydra_module *module, size_t function) {
  if (!module || function >= module->root->functions()->size())
    return nullptr;
  return module->root->functions()->Get(function)->caches();
}

extern "C" size_t hydra_module_cache_count(const hydra_module *module,
                                           size_t function) {
  auto *pairs = cachePairs(module, function);
  return pairs ? pairs->size() : 0;
}

extern "C" hydra_status hydra_module_cache(const hydra_module *module,
                                           size_t function, size_t index,
                                           size_t *input, size_t *output,
                                           hydra_cache_kind *kind,
                                           int32_t *axis, int *in_place) {
  auto *pairs = cachePairs(module, function);
  if (!pairs || index >= pairs->size())
    return makeStatus(HYDRA_NOT_FOUND, "no cache pair ", index, " in function ",
                      function);
  const fb::CachePair *c = pairs->Get(index);
  if (input)
    *input = c->input();
  if (output)
    *output = c->output();
  if (kind)
    *kind = static_cast<hydra_cache_kind>(c->kind());
  if (axis)
    *axis = c->axis();
  if (in_place)
    *in_place = c->in_place();
  return nullptr;
}

static_assert(int(HYDRA_CACHE_APPEND) == int(fb::CacheKind::append) &&
                  int(HYDRA_CACHE_STATE) == int(fb::CacheKind::state),
              "the C API's cache kinds are the artifact's");

//===- artifact_fuzzer.cc - libFuzzer target: the artifact loader ---------===//
//
// Loads the input as an artifact, lists its functions and signatures, and
// creates a CPU session on it. Nothing may crash, hang or read outside the
// buffer: malformed input ends in a status.
//
// Mutated artifacts almost never keep a valid whole-buffer checksum, which
// would stop every input at the first check. Where the bytes are a
// verifiable FlatBuffer, the target also loads a copy with the checksum
// recomputed, so that mutations reach the checks behind it.
//
//===----------------------------------------------------------------------===//

#include "hydra/runtime.h"

#include "checksum.h"
#include "hydra_artifact_generated.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace fb = hydra_artifact;

namespace {
void exercise(const uint8_t *data, size_t size) {
  hydra_module *module = nullptr;
  hydra_status status = hydra_module_load_memory(data, size, &module);
  if (status) {
    (void)hydra_status_message(status);
    hydra_status_free(status);
    return;
  }
  for (size_t f = 0; f < hydra_module_function_count(module); ++f) {
    (void)hydra_module_function_name(module, f);
    for (int input : {0, 1})
      for (size_t i = 0; i < hydra_module_signature_count(module, f, input);
           ++i) {
        const char *name;
        hydra_dtype dtype;
        int32_t rank;
        int64_t shape[8];
        hydra_status_free(hydra_module_signature(module, f, input, i, &name,
                                                 &dtype, &rank, shape, 8));
      }
  }
  hydra_session_options options = {HYDRA_DEVICE_CPU, 1, 0};
  hydra_session *session = nullptr;
  hydra_status_free(hydra_session_create(module, &options, &session));
  hydra_session_free(session);
  hydra_module_free(module);
}

/// A copy of `data` with its checksum field set to the checksum of the
/// bytes, or nothing if the bytes are not a verifiable artifact buffer.
bool withChecksum(const uint8_t *data, size_t size,
                  std::vector<uint8_t> &copy) {
  if (size < 8 || !fb::ModuleBufferHasIdentifier(data))
    return false;
  copy.assign(data, data + size);
  flatbuffers::Verifier verifier(copy.data(), copy.size());
  if (!fb::VerifyModuleBuffer(verifier))
    return false;
  auto *root = fb::GetMutableModule(copy.data());
  const uint8_t *hole =
      reinterpret_cast<const flatbuffers::Table *>(root)->GetAddressOf(
          fb::Module::VT_CHECKSUM);
  if (!hole)
    return false;
  uint64_t sum = hydra::artifact::checksum(copy.data(), copy.size(), hole);
  std::memcpy(const_cast<uint8_t *>(hole), &sum, sizeof(sum));
  return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise(data, size);
  std::vector<uint8_t> fixed;
  if (withChecksum(data, size, fixed))
    exercise(fixed.data(), fixed.size());
  return 0;
}

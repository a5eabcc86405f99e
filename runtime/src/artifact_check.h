//===- artifact_check.h - verify an artifact before use ---------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_ARTIFACT_CHECK_H
#define HYDRA_RUNTIME_ARTIFACT_CHECK_H

#include "artifact_format.h"
#include "hydra/runtime.h"
#include "hydra_artifact_generated.h"

#include <cstddef>
#include <cstdint>

namespace hydra {
namespace fb = ::hydra_artifact;
}

namespace hydra::rt {

/// The largest tensor rank and grid rank an artifact may use.
using ::hydra::artifact::kMaxRank;

/// Checks `data` as a hydra artifact: the FlatBuffers verifier (every
/// offset and vector inside the buffer), then hydra's own rules (versions,
/// indices, symbols, sizes, alignment, names). On success `*root` points
/// into `data`. `data` must be 64-byte aligned.
hydra_status verifyArtifact(const uint8_t *data, size_t size,
                            const fb::Module **root);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_ARTIFACT_CHECK_H

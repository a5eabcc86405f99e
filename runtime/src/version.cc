//===- version.cc - hydra_version and the artifact format version ---------===//

#include "hydra/runtime.h"

#include "artifact_format.h"

extern "C" {

const char *hydra_version(void) { return HYDRA_VERSION_STRING; }

uint32_t hydra_artifact_format_version(void) {
  return hydra::artifact::kFormatVersion;
}

} // extern "C"

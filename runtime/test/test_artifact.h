//===- test_artifact.h - the artifact the runtime's tests load --*- C++ -*-===//

#ifndef HYDRA_RUNTIME_TEST_TEST_ARTIFACT_H
#define HYDRA_RUNTIME_TEST_TEST_ARTIFACT_H

#include <cstdlib>
#include <string>

namespace hydra::test {
/// $HYDRA_TEST_ARTIFACT, else the one the build compiled (the example
/// layer, for the CPU and the GPU emulator).
inline std::string artifactPath() {
  if (const char *p = std::getenv("HYDRA_TEST_ARTIFACT"))
    return p;
  return HYDRA_TEST_ARTIFACT;
}
} // namespace hydra::test

#endif // HYDRA_RUNTIME_TEST_TEST_ARTIFACT_H

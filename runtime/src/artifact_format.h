//===- artifact_format.h - the artifact format version ----------*- C++ -*-===//
//
// Written by the compiler, checked by the runtime: one definition, shared
// by both sides like checksum.h.
//   2: a program per device (cpu, cuda), kernel block sizes and resources.
//   3: x86-64 executables record their CPU and ISA extensions.
//   4: derived size symbols (expressions of the symbols inputs bind).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_ARTIFACT_FORMAT_H
#define HYDRA_RUNTIME_ARTIFACT_FORMAT_H

#include <cstdint>

namespace hydra::artifact {
inline constexpr uint32_t kFormatVersion = 4;
} // namespace hydra::artifact

#endif // HYDRA_RUNTIME_ARTIFACT_FORMAT_H

//===- artifact_format.h - what the compiler and the runtime agree on -*- C++
//-*-===//
//
// One definition of everything both sides of an artifact must agree on,
// included by the compiler (the artifact writer, target selection,
// hydra-emulate-gpu) and the runtime, so that nothing is written twice.
// Where a second representation exists (the C API's enums, the
// emulator's context struct, the schema's DType), static_asserts next to
// it tie the two together (dtype.cc, gpu_emulator.h).
//
// Format versions:
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

/// Executable targets besides the CUDA archs ("sm_80", "sm_90a", ...): the
/// host CPU's code, and the GPU kernels compiled for the emulator.
inline constexpr const char *kCpuTarget = "x86_64";
inline constexpr const char *kEmulatorTarget = "gpu-emulator";

/// Limits the runtime enforces when it verifies an artifact, and so the
/// most the compiler may write.
inline constexpr unsigned kMaxRank = 8;
inline constexpr uint32_t kMaxBlockSize = 1024;         // threads a block
inline constexpr uint32_t kMaxSharedBytes = 227 * 1024; // sm_90's opt-in
inline constexpr uint32_t kMaxSymbols = 1024;           // size symbols

/// The emulator's per-thread context (hydra::rt::EmuThreadContext): field
/// i is 8 bytes at offset 8·i; hydra-emulate-gpu loads them by index.
enum EmuContextField : int32_t {
  kEmuThreadId = 0,
  kEmuBlockId = 1,
  kEmuBlockState = 2,
  kEmuBarrierFn = 3,
  kEmuShuffleFn = 4,
  kEmuMmaFn = 5,
  kEmuContextFields = 6,
};
/// Floats in one lane's mma.sync fragment as the emulator's mma reads it:
/// a0..a7, b0..b3, c0..c3 (m16n8k16, f32), d written over c.
inline constexpr int64_t kEmuMmaFragment = 16;

} // namespace hydra::artifact

#endif // HYDRA_RUNTIME_ARTIFACT_FORMAT_H

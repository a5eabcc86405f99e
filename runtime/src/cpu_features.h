//===- cpu_features.h - x86-64 ISA extensions an artifact may need -*- C++
//-*-===//
//
// The contract between the compiler, which records in each x86-64
// executable the extensions its code was generated with (LLVM's feature
// names), and the runtime, which checks them against the running CPU
// before it loads the code: the table says where CPUID reports each one
// and which register state (XCR0) the OS must have enabled for it.
// Header-only, shared by both sides like checksum.h.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_CPU_FEATURES_H
#define HYDRA_RUNTIME_CPU_FEATURES_H

#include <cstdint>
#include <cstring>

namespace hydra::artifact {

enum class CpuidRegister : uint8_t { eax, ebx, ecx, edx };

/// Register state the OS must save for a feature's instructions (XCR0).
enum class OsState : uint8_t {
  none,
  avx,    // XMM and YMM (XCR0 bits 1, 2)
  avx512, // and opmask, ZMM_Hi256, Hi16_ZMM (bits 5, 6, 7)
};

struct CpuFeature {
  const char *name; // LLVM's x86 feature name
  uint32_t leaf, subleaf;
  CpuidRegister reg;
  uint8_t bit;
  OsState state;
};

/// The ISA extensions LLVM's x86-64 code generator may emit without
/// intrinsics. The compiler records those of them its target enables.
inline constexpr CpuFeature kCpuFeatures[] = {
    {"sse3", 1, 0, CpuidRegister::ecx, 0, OsState::none},
    {"pclmul", 1, 0, CpuidRegister::ecx, 1, OsState::none},
    {"ssse3", 1, 0, CpuidRegister::ecx, 9, OsState::none},
    {"fma", 1, 0, CpuidRegister::ecx, 12, OsState::avx},
    {"cx16", 1, 0, CpuidRegister::ecx, 13, OsState::none},
    {"sse4.1", 1, 0, CpuidRegister::ecx, 19, OsState::none},
    {"sse4.2", 1, 0, CpuidRegister::ecx, 20, OsState::none},
    {"movbe", 1, 0, CpuidRegister::ecx, 22, OsState::none},
    {"popcnt", 1, 0, CpuidRegister::ecx, 23, OsState::none},
    {"aes", 1, 0, CpuidRegister::ecx, 25, OsState::none},
    {"avx", 1, 0, CpuidRegister::ecx, 28, OsState::avx},
    {"f16c", 1, 0, CpuidRegister::ecx, 29, OsState::avx},
    {"bmi", 7, 0, CpuidRegister::ebx, 3, OsState::none},
    {"avx2", 7, 0, CpuidRegister::ebx, 5, OsState::avx},
    {"bmi2", 7, 0, CpuidRegister::ebx, 8, OsState::none},
    {"avx512f", 7, 0, CpuidRegister::ebx, 16, OsState::avx512},
    {"avx512dq", 7, 0, CpuidRegister::ebx, 17, OsState::avx512},
    {"adx", 7, 0, CpuidRegister::ebx, 19, OsState::none},
    {"avx512ifma", 7, 0, CpuidRegister::ebx, 21, OsState::avx512},
    {"avx512cd", 7, 0, CpuidRegister::ebx, 28, OsState::avx512},
    {"avx512bw", 7, 0, CpuidRegister::ebx, 30, OsState::avx512},
    {"avx512vl", 7, 0, CpuidRegister::ebx, 31, OsState::avx512},
    {"avx512vbmi", 7, 0, CpuidRegister::ecx, 1, OsState::avx512},
    {"avx512vbmi2", 7, 0, CpuidRegister::ecx, 6, OsState::avx512},
    {"gfni", 7, 0, CpuidRegister::ecx, 8, OsState::none},
    {"vaes", 7, 0, CpuidRegister::ecx, 9, OsState::avx},
    {"vpclmulqdq", 7, 0, CpuidRegister::ecx, 10, OsState::avx},
    {"avx512vnni", 7, 0, CpuidRegister::ecx, 11, OsState::avx512},
    {"avx512bitalg", 7, 0, CpuidRegister::ecx, 12, OsState::avx512},
    {"avx512vpopcntdq", 7, 0, CpuidRegister::ecx, 14, OsState::avx512},
    {"avx512fp16", 7, 0, CpuidRegister::edx, 23, OsState::avx512},
    {"avxvnni", 7, 1, CpuidRegister::eax, 4, OsState::avx},
    {"avx512bf16", 7, 1, CpuidRegister::eax, 5, OsState::avx512},
    {"lzcnt", 0x80000001, 0, CpuidRegister::ecx, 5, OsState::none},
};

/// The table entry named `name`, or null.
inline const CpuFeature *findCpuFeature(const char *name) {
  for (const CpuFeature &f : kCpuFeatures)
    if (std::strcmp(f.name, name) == 0)
      return &f;
  return nullptr;
}

} // namespace hydra::artifact

#endif // HYDRA_RUNTIME_CPU_FEATURES_H

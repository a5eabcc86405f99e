#include "checksum.h"
#include "cuda_code.h"

#include <gtest/gtest.h>

using namespace hydra;

namespace {
/// A module with the given (target, format) executables; nothing else is
/// read by the code choice.
struct Module {
  flatbuffers::FlatBufferBuilder fbb;
  const fb::Module *root = nullptr;
  explicit Module(std::vector<std::pair<const char *, fb::ExecutableFormat>>
                      executables) {
    std::vector<flatbuffers::Offset<fb::Executable>> list;
    std::vector<uint8_t> code(64, 1);
    for (auto [target, format] : executables)
      list.push_back(fb::CreateExecutable(fbb, fbb.CreateString(target),
                                          format, fbb.CreateVector(code)));
    std::vector<flatbuffers::Offset<fb::Function>> functions;
    std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
    auto m = fb::CreateModule(fbb, 0, 2, 0, 0, fbb.CreateVector(functions),
                              fbb.CreateVector(kernels),
                              fbb.CreateVector(list));
    fbb.Finish(m);
    root = fb::GetModule(fbb.GetBufferPointer());
  }
};

std::string choose(const Module &m, int major, int minor) {
  rt::CudaCodeChoice c = rt::selectCudaCode(*m.root, major, minor);
  return (c.executable ? "" : "none: ") + c.why;
}

constexpr auto kCubin = fb::ExecutableFormat::cubin;
constexpr auto kPtx = fb::ExecutableFormat::ptx;
} // namespace

TEST(CudaCode, PrefersTheExactCubin) {
  Module m({{"sm_80", kPtx}, {"sm_80", kCubin}, {"sm_90a", kCubin},
            {"sm_90", kCubin}, {"sm_90", kPtx}});
  EXPECT_EQ(choose(m, 8, 0), "cubin sm_80");
  EXPECT_EQ(choose(m, 9, 0), "cubin sm_90a");
}

TEST(CudaCode, UsesABinaryCompatibleCubinOfTheSameMajor) {
  Module m({{"sm_80", kCubin}, {"sm_80", kPtx}});
  EXPECT_EQ(choose(m, 8, 6),
            "cubin sm_80 (binary compatible with 8.6)");
}

TEST(CudaCode, NeverRunsAnArchSpecificCubinElsewhere) {
  Module m({{"sm_90a", kCubin}, {"sm_80", kPtx}});
  EXPECT_EQ(choose(m, 9, 1), "PTX sm_80 through the driver's JIT");
}

TEST(CudaCode, FallsBackToTheNewestReachablePtx) {
  Module m({{"sm_80", kCubin}, {"sm_80", kPtx}, {"sm_90", kPtx}});
  EXPECT_EQ(choose(m, 10, 0), "PTX sm_90 through the driver's JIT");
}

TEST(CudaCode, SaysWhatIsMissing) {
  Module m({{"sm_90", kCubin}, {"sm_90", kPtx}, {"x86_64", kCubin}});
  EXPECT_EQ(choose(m, 8, 0),
            "none: the artifact has no GPU code for compute capability 8.0 "
            "(cubins: sm_90); compile with --target=sm_80");
}

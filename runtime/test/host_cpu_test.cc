#include "host_cpu.h"
#include "status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace hydra;

namespace {
/// An x86_64 executable that records `features`, checked against a CPU
/// that has exactly `host`.
std::string check(std::vector<std::string> features,
                  std::set<std::string> host) {
  flatbuffers::FlatBufferBuilder fbb;
  auto e = fb::CreateExecutable(
      fbb, fbb.CreateString("x86_64"), fb::ExecutableFormat::elf_shared_object,
      fbb.CreateVector(std::vector<uint8_t>(64)), 0,
      fbb.CreateString("sapphirerapids"), fbb.CreateVectorOfStrings(features));
  fbb.Finish(e);
  auto *code = flatbuffers::GetRoot<fb::Executable>(fbb.GetBufferPointer());
  hydra_status s = rt::checkCpuFeatures(
      *code, [&](const artifact::CpuFeature &f) { return host.count(f.name); });
  std::string m = s ? s->message : "ok";
  if (s)
    EXPECT_EQ(hydra_status_get_code(s), HYDRA_UNAVAILABLE);
  hydra_status_free(s);
  return m;
}
} // namespace

TEST(HostCpu, CodeNeedingWhatTheCpuHasLoads) {
  EXPECT_EQ(check({"avx2", "fma"}, {"avx", "avx2", "fma"}), "ok");
  EXPECT_EQ(check({}, {}), "ok");
}

TEST(HostCpu, MissingFeaturesAreNamed) {
  std::string m = check({"avx2", "avx512f", "avx512bw"}, {"avx2"});
  EXPECT_NE(m.find("compiled for CPU 'sapphirerapids'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("lacks: avx512f, avx512bw"), std::string::npos) << m;
}

TEST(HostCpu, UnknownFeaturesAreRefused) {
  std::string m = check({"avx2", "avx10.9"}, {"avx2"});
  EXPECT_NE(m.find("cannot check: avx10.9"), std::string::npos) << m;
}

// The real host check agrees with the compiler's baseline: every x86-64
// CPU has SSE2-era features, and a feature's OS state is part of it.
TEST(HostCpu, TheHostHasTheBasics) {
  const artifact::CpuFeature *sse3 = artifact::findCpuFeature("sse3");
  ASSERT_NE(sse3, nullptr);
  EXPECT_TRUE(rt::hostHasCpuFeature(*sse3));
  EXPECT_EQ(artifact::findCpuFeature("no-such-feature"), nullptr);
}

#include "aligned_buffer.h"
#include "artifact_check.h"

#include "checksum.h"
#include "status.h"
#include <cstring>

#include <gtest/gtest.h>

using namespace hydra;

namespace {
/// A minimal valid artifact: one function with one input and output, one
/// kernel launch, and an executable that looks like an ELF file.
struct Shape {
  int64_t gridSymbol = 0;
  uint32_t kernelIndex = 0;
  fb::Device programDevice = fb::Device::cpu;
  fb::Device kernelDevice = fb::Device::cpu;
  uint32_t blockSize = 0;
  int programs = 1;
};

std::vector<uint8_t> buildArtifact(Shape s = {}) {
  int64_t gridSymbol = s.gridSymbol;
  uint32_t kernelIndex = s.kernelIndex;
  flatbuffers::FlatBufferBuilder fbb;
  auto sig = [&](const char *name) {
    std::vector<int64_t> shape = {-1, 4};
    return fb::CreateTensorSignature(fbb, fbb.CreateString(name),
                                     fb::DType::f32, fbb.CreateVector(shape));
  };
  std::vector<flatbuffers::Offset<fb::TensorSignature>> ins = {sig("x")},
                                                        outs = {sig("y")};
  std::vector<fb::BufferRef> buffers = {{fb::BufferKind::input, 0},
                                        {fb::BufferKind::output, 0}};
  std::vector<fb::GridDim> grid = {{int32_t(gridSymbol), 1}};
  auto launch =
      fb::CreateLaunch(fbb, kernelIndex, fbb.CreateVectorOfStructs(buffers),
                       fbb.CreateVectorOfStructs(grid));
  std::vector<flatbuffers::Offset<fb::Launch>> launches = {launch};
  auto launchVector = fbb.CreateVector(launches);
  std::vector<flatbuffers::Offset<fb::Program>> programs;
  for (int i = 0; i < s.programs; ++i)
    programs.push_back(fb::CreateProgram(fbb, s.programDevice, launchVector));
  auto function =
      fb::CreateFunction(fbb, fbb.CreateString("f"), 1, fbb.CreateVector(ins),
                         fbb.CreateVector(outs), fbb.CreateVector(programs));
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels = {fb::CreateKernel(
      fbb, fbb.CreateString("k"), 2, s.kernelDevice, s.blockSize)};
  std::vector<uint8_t> elf(64, 0);
  elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
  fbb.ForceVectorAlignment(elf.size(), 1, 64);
  auto code = fbb.CreateVector(elf);
  std::vector<flatbuffers::Offset<fb::Executable>> executables = {
      fb::CreateExecutable(fbb, fbb.CreateString("x86_64"),
                           fb::ExecutableFormat::elf_shared_object, code)};
  std::vector<flatbuffers::Offset<fb::Function>> functions = {function};
  auto module = fb::CreateModule(
      fbb, ~0ull, 2, fbb.CreateString("test"), fbb.CreateString(""),
      fbb.CreateVector(functions), fbb.CreateVector(kernels),
      fbb.CreateVector(executables));
  fb::FinishModuleBuffer(fbb, module);
  uint8_t *buf = fbb.GetBufferPointer();
  fb::Module *root = fb::GetMutableModule(buf);
  const uint8_t *hole =
      reinterpret_cast<flatbuffers::Table *>(root)->GetAddressOf(
          fb::Module::VT_CHECKSUM);
  root->mutate_checksum(artifact::checksum(buf, fbb.GetSize(), hole));
  return std::vector<uint8_t>(buf, buf + fbb.GetSize());
}

std::string verifyMessage(std::vector<uint8_t> bytes) {
  rt::AlignedBuffer aligned(bytes.size());
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  const fb::Module *root = nullptr;
  hydra_status s = rt::verifyArtifact(aligned.data(), bytes.size(), &root);
  std::string message = s ? s->message : "ok";
  hydra_status_free(s);
  return message;
}
} // namespace

TEST(ArtifactCheck, AcceptsAValidArtifact) {
  EXPECT_EQ(verifyMessage(buildArtifact()), "ok");
}

TEST(ArtifactCheck, RejectsTruncationAndGarbage) {
  std::vector<uint8_t> bytes = buildArtifact();
  for (size_t cut :
       {size_t(0), size_t(3), size_t(8), bytes.size() / 2, bytes.size() - 1})
    EXPECT_NE(verifyMessage({bytes.begin(), bytes.begin() + cut}), "ok")
        << "cut at " << cut;
  EXPECT_NE(verifyMessage(std::vector<uint8_t>(256, 0xab)), "ok");
}

TEST(ArtifactCheck, EveryFlippedByteIsCaught) {
  std::vector<uint8_t> bytes = buildArtifact();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> bad = bytes;
    bad[i] ^= 0x10;
    EXPECT_NE(verifyMessage(bad), "ok") << "byte " << i;
  }
}

TEST(ArtifactCheck, RejectsBadIndicesAndSymbols) {
  EXPECT_NE(verifyMessage(buildArtifact({.gridSymbol = 5}))
                .find("grid symbol out of range"),
            std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.kernelIndex = 3}))
                .find("kernel index 3 out of range"),
            std::string::npos);
}

TEST(ArtifactCheck, AcceptsACudaProgram) {
  EXPECT_EQ(verifyMessage(buildArtifact({.programDevice = fb::Device::cuda,
                                         .kernelDevice = fb::Device::cuda,
                                         .blockSize = 128})),
            "ok");
}

TEST(ArtifactCheck, RejectsMismatchedDevicesAndBlockSizes) {
  EXPECT_NE(verifyMessage(buildArtifact({.programDevice = fb::Device::cpu,
                                         .kernelDevice = fb::Device::cuda,
                                         .blockSize = 128}))
                .find("launches a kernel of another device"),
            std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.programDevice = fb::Device::cuda,
                                         .kernelDevice = fb::Device::cuda,
                                         .blockSize = 0}))
                .find("block size 0 not in [1, 1024]"),
            std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.programDevice = fb::Device::cuda,
                                         .kernelDevice = fb::Device::cuda,
                                         .blockSize = 2048}))
                .find("block size 2048"),
            std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.blockSize = 32}))
                .find("on a cpu kernel"),
            std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.programs = 2}))
                .find("a second program for device cpu"),
            std::string::npos);
}

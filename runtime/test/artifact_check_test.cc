#include "aligned_buffer.h"
#include "artifact_check.h"
#include "artifact_format.h"

#include "checksum.h"
#include "size_symbols.h"
#include "status.h"
#include <cmath>
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
  int64_t gridDivisor = 1;
  // Pads before the input's shape vector so that its int64 elements start
  // 4 bytes off an 8-byte boundary (a crafted file; our writer never does).
  bool misalignShape = false;
  // Symbols beyond the input's s0, and the output's first size.
  std::vector<fb::DerivedSymbol> derived;
  std::vector<fb::SizeCheck> checks;
  std::vector<std::string> notes; // written when non-empty
  int64_t outputSize = -1;
  fb::DType inputType = fb::DType::f32;
  std::vector<fb::CachePair> caches; // written when non-empty
  // Attention layers (heads, kv heads), written when non-empty.
  std::vector<std::pair<std::string, uint32_t>> layers;
};

std::vector<uint8_t> buildArtifact(Shape s = {}) {
  int64_t gridSymbol = s.gridSymbol;
  uint32_t kernelIndex = s.kernelIndex;
  flatbuffers::FlatBufferBuilder fbb;
  auto sig = [&](const char *name) {
    std::vector<int64_t> shape = {name[0] == 'y' ? s.outputSize : -1, 4};
    auto nameOffset = fbb.CreateString(name);
    flatbuffers::Offset<flatbuffers::Vector<int64_t>> shapeOffset;
    if (s.misalignShape) {
      // The vector's bytes by hand: elements, then the length prefix, so
      // that the elements end up at 4 mod 8.
      fbb.StartVector(shape.size(), sizeof(int64_t));
      fbb.PushElement(uint32_t(0)); // 4 bytes of padding after the data
      for (size_t i = shape.size(); i-- > 0;) {
        uint32_t lo = uint32_t(uint64_t(shape[i])),
                 hi = uint32_t(uint64_t(shape[i]) >> 32);
        fbb.PushElement(hi);
        fbb.PushElement(lo);
      }
      shapeOffset = flatbuffers::Offset<flatbuffers::Vector<int64_t>>(
          fbb.EndVector(shape.size()));
    } else {
      shapeOffset = fbb.CreateVector(shape);
    }
    return fb::CreateTensorSignature(
        fbb, nameOffset, name[0] == 'x' ? s.inputType : fb::DType::f32,
        shapeOffset);
  };
  std::vector<flatbuffers::Offset<fb::TensorSignature>> ins = {sig("x")},
                                                        outs = {sig("y")};
  std::vector<fb::BufferRef> buffers = {{fb::BufferKind::input, 0},
                                        {fb::BufferKind::output, 0}};
  std::vector<fb::GridDim> grid = {{int32_t(gridSymbol), s.gridDivisor}};
  auto launch =
      fb::CreateLaunch(fbb, kernelIndex, fbb.CreateVectorOfStructs(buffers),
                       fbb.CreateVectorOfStructs(grid));
  std::vector<flatbuffers::Offset<fb::Launch>> launches = {launch};
  auto launchVector = fbb.CreateVector(launches);
  std::vector<flatbuffers::Offset<fb::Program>> programs;
  for (int i = 0; i < s.programs; ++i)
    programs.push_back(fb::CreateProgram(fbb, s.programDevice, launchVector));
  std::vector<flatbuffers::Offset<fb::AttentionLayer>> layers;
  for (const auto &[heads, kvHeads] : s.layers)
    layers.push_back(fb::CreateAttentionLayer(fbb, fbb.CreateString("layer"),
                                              fbb.CreateString(heads), kvHeads,
                                              8, 8, fbb.CreateString("gated")));
  auto function = fb::CreateFunction(
      fbb, fbb.CreateString("f"), 1 + s.derived.size(), fbb.CreateVector(ins),
      fbb.CreateVector(outs), fbb.CreateVector(programs),
      s.derived.empty() ? 0 : fbb.CreateVectorOfStructs(s.derived),
      s.checks.empty() ? 0 : fbb.CreateVectorOfStructs(s.checks),
      s.notes.empty() ? 0 : fbb.CreateVectorOfStrings(s.notes),
      s.caches.empty() ? 0 : fbb.CreateVectorOfStructs(s.caches),
      layers.empty() ? 0 : fbb.CreateVector(layers));
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels = {fb::CreateKernel(
      fbb, fbb.CreateString("k"), 2, s.kernelDevice, s.blockSize)};
  std::vector<uint8_t> elf(64, 0);
  elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
  fbb.ForceVectorAlignment(elf.size(), 1, 64);
  auto code = fbb.CreateVector(elf);
  std::vector<flatbuffers::Offset<fb::Executable>> executables = {
      fb::CreateExecutable(
          fbb, fbb.CreateString("x86_64"),
          fb::ExecutableFormat::elf_shared_object, code, 0,
          fbb.CreateString("x86-64"),
          fbb.CreateVectorOfStrings(std::vector<std::string>{"sse3"}))};
  std::vector<flatbuffers::Offset<fb::Function>> functions = {function};
  auto module = fb::CreateModule(
      fbb, ~0ull, artifact::kFormatVersion, fbb.CreateString("test"),
      fbb.CreateString(""), fbb.CreateVector(functions),
      fbb.CreateVector(kernels), fbb.CreateVector(executables));
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
  EXPECT_NE(
      verifyMessage(buildArtifact({.blockSize = 32})).find("on a cpu kernel"),
      std::string::npos);
  EXPECT_NE(verifyMessage(buildArtifact({.programs = 2}))
                .find("a second program for device cpu"),
            std::string::npos);
}

// FlatBuffers 2.0.8 aligns a vector's length prefix only: a crafted shape
// vector at 4 mod 8 must be refused, not read with misaligned loads.
TEST(ArtifactCheck, RejectsMisalignedShapeVectors) {
  Shape s;
  s.misalignShape = true;
  std::string m = verifyMessage(buildArtifact(s));
  EXPECT_NE(m.find("input 0: shape not 8-byte aligned"), std::string::npos)
      << m;
  EXPECT_EQ(verifyMessage(buildArtifact()), "ok");
}

namespace {
fb::SizeOperand sym(int32_t s) { return fb::SizeOperand(s, 0); }
fb::SizeOperand num(int64_t v) { return fb::SizeOperand(-1, v); }
} // namespace

TEST(ArtifactCheck, AcceptsDerivedSymbolsOverBoundOnes) {
  Shape s;
  // s1 = s0 + 16, s2 = ceildiv(s1, 64); the output is s2 long.
  s.derived = {{fb::SizeOp::add, sym(0), num(16)},
               {fb::SizeOp::ceildiv, sym(1), num(64)}};
  s.checks = {{sym(1), sym(1)}};
  s.outputSize = -3;
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
}

TEST(ArtifactCheck, RejectsDerivedSymbolsThatReadLaterOnes) {
  Shape s;
  s.derived = {{fb::SizeOp::add, sym(2), num(1)},
               {fb::SizeOp::mul, sym(0), num(2)}};
  EXPECT_NE(
      verifyMessage(buildArtifact(s))
          .find("derived symbol s1: reads s2, which is not an earlier bound"),
      std::string::npos);
  s.derived = {{fb::SizeOp::add, sym(1), num(1)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("reads s1"),
            std::string::npos);
}

TEST(ArtifactCheck, RejectsUnknownSizeOpsAndUnboundChecks) {
  Shape s;
  s.derived = {{fb::SizeOp(200), sym(0), num(1)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("unknown operation"),
            std::string::npos);
  s.derived = {};
  s.checks = {{sym(0), sym(7)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("a size check reads s7"),
            std::string::npos);
}

TEST(ArtifactCheck, AcceptsElementReadsOfIntegerInputs) {
  Shape s;
  s.inputType = fb::DType::i64;
  // s1 = element 3 of input 0; the output is s1 long.
  s.derived = {{fb::SizeOp::element, num(0), num(3)}};
  s.checks = {{sym(1), num(4)}};
  s.notes = {"node 'r' (Reshape): the shape does not fit"};
  s.outputSize = -2;
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
}

TEST(ArtifactCheck, RejectsBadElementReads) {
  Shape s;
  s.derived = {{fb::SizeOp::element, num(0), num(0)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("not an integer tensor"),
            std::string::npos);
  s.inputType = fb::DType::i32;
  s.derived = {{fb::SizeOp::element, num(1), num(0)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("reads input 1 of 1"),
            std::string::npos);
  s.derived = {{fb::SizeOp::element, num(0), num(-1)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("negative element index"),
            std::string::npos);
  s.derived = {{fb::SizeOp::element, sym(0), num(0)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("not a constant"),
            std::string::npos);
  s.derived = {{fb::SizeOp::element, num(0), num(0)}};
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok"); // x is [s0, 4]
}

TEST(ArtifactCheck, AcceptsFloatSizesOfFloatInputs) {
  Shape s; // x: f32[s0, 4]
  // s3 = ceil((x[1] - x[0]) / x[0]) sizes the output.
  s.derived = {{fb::SizeOp::float_element, num(0), num(0)},
               {fb::SizeOp::float_element, num(0), num(1)},
               {fb::SizeOp::float_sub, sym(2), sym(1)},
               {fb::SizeOp::float_ceildiv, sym(3), sym(1)}};
  s.outputSize = -5;
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
}

TEST(ArtifactCheck, RejectsFloatValuesUsedAsSizesAndSizesAsFloats) {
  Shape s;
  s.derived = {{fb::SizeOp::float_element, num(0), num(0)}};
  s.outputSize = -2; // a float value as the output's size
  EXPECT_NE(verifyMessage(buildArtifact(s))
                .find("size symbol 1 is not given by any input"),
            std::string::npos);
  s.outputSize = -1;
  s.derived = {{fb::SizeOp::float_element, num(0), num(0)},
               {fb::SizeOp::add, sym(1), num(1)}};
  EXPECT_NE(verifyMessage(buildArtifact(s))
                .find("reads s1, which is not an earlier bound size"),
            std::string::npos);
  s.derived = {{fb::SizeOp::float_sub, sym(0), sym(0)}};
  EXPECT_NE(verifyMessage(buildArtifact(s))
                .find("s0 as an operand of float_sub, which takes earlier "
                      "float symbols"),
            std::string::npos);
  s.derived = {{fb::SizeOp::float_element, num(0), num(0)},
               {fb::SizeOp::float_ceildiv, sym(1), num(2)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("a constant as an operand"),
            std::string::npos);
  s.derived = {{fb::SizeOp::float_element, num(0), num(0)}};
  s.checks = {{sym(1), num(4)}};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("a size check reads s1"),
            std::string::npos);
  s.checks = {};
  s.inputType = fb::DType::i64;
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("not a float tensor"),
            std::string::npos);
}

TEST(ArtifactCheck, RejectsNotesThatAreNotOnePerCheck) {
  Shape s;
  s.checks = {{sym(0), sym(0)}};
  s.notes = {"a", "b"};
  EXPECT_NE(verifyMessage(buildArtifact(s)).find("not one per check"),
            std::string::npos);
}

TEST(ArtifactCheck, AcceptsCachePairs) {
  Shape s;
  s.caches = {fb::CachePair(0, 0, fb::CacheKind::state, false, 0)};
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
  // An append may change the size along its axis only.
  s.outputSize = 7;
  s.caches = {fb::CachePair(0, 0, fb::CacheKind::append, false, 0)};
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
}

TEST(ArtifactCheck, RejectsBadCachePairs) {
  auto message = [](fb::CachePair pair, Shape s = {}) {
    s.caches = {pair};
    return verifyMessage(buildArtifact(s));
  };
  auto has = [](const std::string &m, const char *what) {
    return m.find(what) != std::string::npos;
  };
  EXPECT_TRUE(has(message(fb::CachePair(1, 0, fb::CacheKind::state, false, 0)),
                  "names input 1 and output 0 of 1 and 1"));
  EXPECT_TRUE(has(message(fb::CachePair(0, 0, fb::CacheKind::append, false, 2)),
                  "axis 2 is not one of the rank-2 tensors'"));
  EXPECT_TRUE(has(message(fb::CachePair(0, 0, fb::CacheKind::state, false, 1)),
                  "(0 for a state)"));
  EXPECT_TRUE(has(message(fb::CachePair(0, 0, fb::CacheKind(7), false, 0)),
                  "unknown kind"));
  EXPECT_TRUE(has(message(fb::CachePair(0, 0, fb::CacheKind::state, true, 0)),
                  "only appends may be"));
  Shape longer;
  longer.outputSize = 7; // the output's dim 0 is not the input's
  EXPECT_TRUE(
      has(message(fb::CachePair(0, 0, fb::CacheKind::state, false, 0), longer),
          "whose size 0 differs"));
  EXPECT_TRUE(
      has(message(fb::CachePair(0, 0, fb::CacheKind::append, false, 1), longer),
          "whose size 0 differs"));
  Shape ints;
  ints.inputType = fb::DType::i64;
  EXPECT_TRUE(
      has(message(fb::CachePair(0, 0, fb::CacheKind::state, false, 0), ints),
          "different dtypes or ranks"));
  Shape twice;
  twice.caches = {fb::CachePair(0, 0, fb::CacheKind::state, false, 0),
                  fb::CachePair(0, 0, fb::CacheKind::state, false, 0)};
  EXPECT_TRUE(has(verifyMessage(buildArtifact(twice)), "a second time"));
}

TEST(ArtifactCheck, AcceptsAttentionLayers) {
  Shape s;
  s.layers = {{"FLLLLLLL", 2}, {"LLLF", 0}}; // 0: kv heads not known
  EXPECT_EQ(verifyMessage(buildArtifact(s)), "ok");
}

TEST(ArtifactCheck, RejectsBadHeadMaps) {
  auto message = [](std::string heads, uint32_t kvHeads) {
    Shape s;
    s.layers = {{"FL", 1}, {std::move(heads), kvHeads}};
    return verifyMessage(buildArtifact(s));
  };
  EXPECT_NE(message("", 1).find("attention layer 1: has 0 heads"),
            std::string::npos);
  EXPECT_NE(message("FXL", 1).find("a letter other than F and L"),
            std::string::npos);
  EXPECT_NE(message(std::string("F\0L", 3), 1).find("other than F and L"),
            std::string::npos);
  EXPECT_NE(message("FLL", 2).find("2 kv heads do not divide its 3"),
            std::string::npos);
  EXPECT_NE(message(std::string(70000, 'F'), 1).find("70000 heads"),
            std::string::npos);
}

TEST(SizeSymbols, OperationsAreExactAndRefuseOverflow) {
  using rt::applySizeOp;
  EXPECT_EQ(applySizeOp(fb::SizeOp::floordiv, -7, 2), -4);
  EXPECT_EQ(applySizeOp(fb::SizeOp::ceildiv, 7, 2), 4);
  EXPECT_EQ(applySizeOp(fb::SizeOp::ceildiv, -7, 2), -3);
  EXPECT_EQ(applySizeOp(fb::SizeOp::mod, -7, 3), 2);
  EXPECT_EQ(applySizeOp(fb::SizeOp::sub, 3, 5), -2);
  EXPECT_EQ(applySizeOp(fb::SizeOp::mul, INT64_MAX, 2), std::nullopt);
  EXPECT_EQ(applySizeOp(fb::SizeOp::add, INT64_MAX, 1), std::nullopt);
  EXPECT_EQ(applySizeOp(fb::SizeOp::floordiv, 5, 0), std::nullopt);
  EXPECT_EQ(applySizeOp(fb::SizeOp::mod, 5, -1), std::nullopt);
  EXPECT_EQ(applySizeOp(fb::SizeOp::min, 5, -1), -1);
  EXPECT_EQ(applySizeOp(fb::SizeOp::max, 5, -1), 5);
  EXPECT_EQ(applySizeOp(fb::SizeOp::float_sub, 5, 1), std::nullopt);
}

TEST(SizeSymbols, FloatCeilDivRefusesWhatIsNoInt64) {
  using rt::floatCeilDiv;
  EXPECT_EQ(floatCeilDiv(4.0, 2.0), 2);
  EXPECT_EQ(floatCeilDiv(4.5, 2.0), 3);
  EXPECT_EQ(floatCeilDiv(-4.5, 2.0), -2);
  EXPECT_EQ(floatCeilDiv(1.0, 0.0), std::nullopt);
  EXPECT_EQ(floatCeilDiv(0.0, 0.0), std::nullopt);
  EXPECT_EQ(floatCeilDiv(NAN, 1.0), std::nullopt);
  EXPECT_EQ(floatCeilDiv(0x1p63, 1.0), std::nullopt);
  EXPECT_EQ(floatCeilDiv(-0x1p63, 1.0), INT64_MIN);
  EXPECT_EQ(rt::floatSymbol(rt::floatSlot(-0.1)), -0.1);
}

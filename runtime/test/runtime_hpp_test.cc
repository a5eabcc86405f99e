// hydra/runtime.hpp, the C++17 wrapper: its results are the C API's, its
// errors are exceptions carrying the C API's codes, and the lifetimes the C
// API leaves to the caller (a session's module, a buffer's session) are
// kept by the wrapper.

#include "hydra/runtime.hpp"

#include "artifact_format.h"

#include "test_artifact.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {
using hydra::test::artifactPath;

/// Deterministic inputs in (0, 0.5) for every input of `function`: valid
/// for the example layer (a positive beta, a small negative decay below).
struct Inputs {
  std::vector<std::vector<float>> data;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<hydra_tensor> tensors;
  Inputs(const hydra::Module &module, size_t function) {
    std::vector<hydra::Arg> args = module.inputs(function);
    data.resize(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      shapes.push_back(args[i].shape);
      size_t n = 1;
      for (int64_t d : args[i].shape)
        n *= size_t(d);
      data[i].resize(n);
      for (size_t e = 0; e < n; ++e)
        data[i][e] = 0.5f * float((e * 7919 + i * 104729) % 1000) / 1000.0f;
      if (args[i].name == "decay")
        for (float &v : data[i])
          v = -0.2f * v;
    }
    for (size_t i = 0; i < args.size(); ++i)
      tensors.push_back({nullptr, HYDRA_DTYPE_F32, int32_t(shapes[i].size()),
                         shapes[i].data(), data[i].data()});
  }
};

TEST(RuntimeHpp, VersionsAreTheBuildsAndTheFormatTheChecksOne) {
  EXPECT_EQ(hydra::version(), HYDRA_VERSION_STRING);
  EXPECT_STREQ(hydra::kHeaderVersion, HYDRA_VERSION_STRING);
  EXPECT_EQ(hydra_artifact_format_version(), hydra::artifact::kFormatVersion);
  std::string text = std::to_string(HYDRA_VERSION_MAJOR) + "." +
                     std::to_string(HYDRA_VERSION_MINOR) + "." +
                     std::to_string(HYDRA_VERSION_PATCH);
  EXPECT_EQ(text, HYDRA_VERSION_STRING);
}

TEST(RuntimeHpp, FailuresThrowTheCApisCodeAndMessage) {
  try {
    hydra::Module::load("/nonexistent/model.hydra");
    FAIL() << "no exception";
  } catch (const hydra::Error &e) {
    EXPECT_EQ(e.code(), HYDRA_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.hydra"),
              std::string::npos)
        << e.what();
  }
  const char junk[] = "not an artifact at all";
  try {
    hydra::Module::fromMemory(junk, sizeof junk);
    FAIL() << "no exception";
  } catch (const hydra::Error &e) {
    EXPECT_EQ(e.code(), HYDRA_INVALID_ARTIFACT) << e.what();
  }
  hydra::Module module = hydra::Module::load(artifactPath());
  EXPECT_THROW(module.function("no_such_function"), hydra::Error);
  hydra::Session session(module);
  try {
    session.run(module.functionName(0), {});
    FAIL() << "no exception";
  } catch (const hydra::Error &e) {
    EXPECT_EQ(e.code(), HYDRA_INVALID_ARGUMENT) << e.what();
  }
  EXPECT_THROW(session.buffer(HYDRA_DTYPE_F32, {2, 3}, {4}), hydra::Error);
  hydra::Buffer empty;
  EXPECT_FALSE(empty);
  EXPECT_THROW(empty.get(), hydra::Error);
}

TEST(RuntimeHpp, RunGivesTheCApisOutputs) {
  hydra::Module module = hydra::Module::load(artifactPath());
  ASSERT_GE(module.functionCount(), 1u);
  std::string name = module.functionName(0);
  EXPECT_EQ(module.function(name), 0u);
  Inputs inputs(module, 0);
  hydra::Session session(module);
  hydra::Outputs out = session.run(name, inputs.tensors);
  std::vector<hydra::Arg> sig = module.outputs(0);
  ASSERT_EQ(out.size(), sig.size());
  EXPECT_THROW(out[out.size()], hydra::Error);

  hydra_outputs *raw = nullptr;
  ASSERT_EQ(hydra_session_run(session.get(), name.c_str(),
                              inputs.tensors.data(), inputs.tensors.size(),
                              &raw),
            nullptr);
  for (size_t o = 0; o < out.size(); ++o) {
    const hydra_tensor &a = out[o];
    const hydra_tensor *b = hydra_outputs_get(raw, o);
    ASSERT_EQ(a.rank, b->rank);
    size_t n = 1;
    for (int32_t d = 0; d < a.rank; ++d) {
      EXPECT_EQ(a.shape[d], sig[o].shape[d]);
      n *= size_t(a.shape[d]);
    }
    EXPECT_EQ(std::memcmp(a.data, b->data, n * hydra_dtype_size(a.dtype)), 0);
  }
  hydra_outputs_free(raw);
}

TEST(RuntimeHpp, ASessionKeepsItsModuleAndABufferItsSession) {
  std::optional<hydra::Buffer> buffer;
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  {
    std::optional<hydra::Session> session;
    {
      hydra::Module module = hydra::Module::load(artifactPath());
      session.emplace(module);
    } // the module's last handle is the session's
    Inputs inputs(hydra::Module::load(artifactPath()), 0);
    EXPECT_NO_THROW(session->run(
        hydra::Module::load(artifactPath()).functionName(0), inputs.tensors));
    buffer = session->buffer(HYDRA_DTYPE_F32, {2, 3}, {4, 3});
    buffer->upload(values.data(), values.size() * sizeof(float));
  } // the session's last handle is the buffer's
  EXPECT_EQ(buffer->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(buffer->strides(), (std::vector<int64_t>{3, 1}));
  std::vector<float> back(6);
  buffer->download(back.data(), back.size() * sizeof(float));
  EXPECT_EQ(back, values);
  buffer->setShape({4, 3});
  EXPECT_EQ(buffer->tensor().shape[0], 4);
  EXPECT_THROW(buffer->setShape({5, 3}), hydra::Error);
  // Reassigning frees the old buffer before the session it alone holds.
  *buffer = hydra::Buffer();
  EXPECT_FALSE(*buffer);
}
} // namespace

// Sessions on a real artifact (the example 7:1 layer, compiled at build
// time): many threads running one session get exactly the outputs of a
// lone call, and bad options get an error rather than an exception.

#include "hydra/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {
/// The artifact's path: $HYDRA_TEST_ARTIFACT, else the one the build made.
std::string artifactPath() {
  if (const char *p = std::getenv("HYDRA_TEST_ARTIFACT"))
    return p;
  return HYDRA_TEST_ARTIFACT;
}

std::string takeMessage(hydra_status s) {
  std::string m = hydra_status_message(s);
  hydra_status_free(s);
  return m;
}

struct ModuleDeleter {
  void operator()(hydra_module *m) const { hydra_module_free(m); }
};
struct SessionDeleter {
  void operator()(hydra_session *s) const { hydra_session_free(s); }
};
struct OutputsDeleter {
  void operator()(hydra_outputs *o) const { hydra_outputs_free(o); }
};
using ModulePtr = std::unique_ptr<hydra_module, ModuleDeleter>;
using SessionPtr = std::unique_ptr<hydra_session, SessionDeleter>;
using OutputsPtr = std::unique_ptr<hydra_outputs, OutputsDeleter>;

ModulePtr loadModule() {
  hydra_module *m = nullptr;
  hydra_status s = hydra_module_load_file(artifactPath().c_str(), &m);
  EXPECT_EQ(s, nullptr) << hydra_status_message(s);
  hydra_status_free(s);
  return ModulePtr(m);
}

/// Deterministic inputs for every input of function 0.
struct Inputs {
  std::vector<std::vector<float>> data;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<hydra_tensor> tensors;
  explicit Inputs(const hydra_module *m) {
    size_t n = hydra_module_signature_count(m, 0, 1);
    data.resize(n);
    shapes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const char *name;
      hydra_dtype dtype;
      int32_t rank;
      shapes[i].resize(8);
      hydra_status_free(hydra_module_signature(m, 0, 1, i, &name, &dtype, &rank,
                                               shapes[i].data(), 8));
      shapes[i].resize(rank);
      size_t count = 1;
      for (int64_t d : shapes[i])
        count *= size_t(d);
      data[i].resize(count);
      // Small values in (-0.5, 0.5), negative for the log decay.
      uint32_t x = 12345u + 977u * uint32_t(i);
      for (float &v : data[i]) {
        x = x * 1664525u + 1013904223u;
        v = float(x >> 8) / float(1 << 24) - 0.5f;
        if (std::strcmp(name, "decay") == 0)
          v = -0.2f * (v + 0.5f);
        if (std::strcmp(name, "beta") == 0)
          v = v + 0.5f;
      }
      tensors.push_back({name, dtype, rank, shapes[i].data(), data[i].data()});
    }
  }
};

/// The bytes of every output of one run.
std::vector<std::string> run(hydra_session *session, const hydra_module *m,
                             const Inputs &in, std::string *error) {
  hydra_outputs *raw = nullptr;
  hydra_status s =
      hydra_session_run(session, hydra_module_function_name(m, 0),
                        in.tensors.data(), in.tensors.size(), &raw);
  OutputsPtr outputs(raw);
  if (s) {
    *error = takeMessage(s);
    return {};
  }
  std::vector<std::string> bytes;
  for (size_t i = 0; i < hydra_outputs_count(outputs.get()); ++i) {
    const hydra_tensor *t = hydra_outputs_get(outputs.get(), i);
    size_t n = hydra_dtype_size(t->dtype);
    for (int32_t d = 0; d < t->rank; ++d)
      n *= size_t(t->shape[d]);
    bytes.emplace_back(static_cast<const char *>(t->data), n);
  }
  return bytes;
}

/// `threads` callers × `rounds` runs on one session, each compared bit for
/// bit with a lone run; the number that differ or fail.
int concurrentMismatches(hydra_device_kind device, int threads, int rounds) {
  ModulePtr module = loadModule();
  if (!module)
    return -1;
  hydra_session_options options = {device, 2, 0};
  hydra_session *raw = nullptr;
  hydra_status s = hydra_session_create(module.get(), &options, &raw);
  EXPECT_EQ(s, nullptr) << hydra_status_message(s);
  hydra_status_free(s);
  SessionPtr session(raw);
  if (!session)
    return -1;
  Inputs inputs(module.get());
  std::string error;
  std::vector<std::string> lone =
      run(session.get(), module.get(), inputs, &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_FALSE(lone.empty());
  std::vector<int> wrong(threads, 0);
  std::vector<std::thread> callers;
  for (int c = 0; c < threads; ++c)
    callers.emplace_back([&, c] {
      for (int r = 0; r < rounds; ++r) {
        std::string e;
        if (run(session.get(), module.get(), inputs, &e) != lone)
          ++wrong[c];
      }
    });
  for (std::thread &t : callers)
    t.join();
  int total = 0;
  for (int w : wrong)
    total += w;
  return total;
}
} // namespace

TEST(Session, ConcurrentRunsMatchALoneRunBitForBit) {
  EXPECT_EQ(concurrentMismatches(HYDRA_DEVICE_CPU, 8, 40), 0);
}

TEST(Session, ConcurrentRunsOnTheGpuEmulatorMatchALoneRun) {
  EXPECT_EQ(concurrentMismatches(HYDRA_DEVICE_GPU_EMULATOR, 2, 1), 0);
}

TEST(Session, AbsurdThreadCountsAreRefused) {
  ModulePtr module = loadModule();
  ASSERT_TRUE(module);
  for (int32_t threads : {-1, 1025, 1 << 30}) {
    hydra_session_options options = {HYDRA_DEVICE_CPU, threads, 0};
    hydra_session *session = nullptr;
    hydra_status s = hydra_session_create(module.get(), &options, &session);
    ASSERT_NE(s, nullptr) << threads;
    EXPECT_EQ(hydra_status_get_code(s), HYDRA_INVALID_ARGUMENT);
    EXPECT_NE(takeMessage(s).find("num_threads must be in [0, 1024]"),
              std::string::npos);
    EXPECT_EQ(session, nullptr);
  }
}

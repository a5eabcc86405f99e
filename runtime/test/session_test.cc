// Sessions on a real artifact (the example 7:1 layer, compiled at build
// time): many threads running one session get exactly the outputs of a
// lone call, and bad options get an error rather than an exception.

#include "hydra/runtime.h"

#include "test_artifact.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {
using hydra::test::artifactPath;

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

namespace {
struct BufferDeleter {
  void operator()(hydra_buffer *b) const { hydra_buffer_free(b); }
};
using BufferPtr = std::unique_ptr<hydra_buffer, BufferDeleter>;

SessionPtr cpuSession(hydra_module *m) {
  hydra_session_options options = {HYDRA_DEVICE_CPU, 2, 0};
  hydra_session *s = nullptr;
  hydra_status st = hydra_session_create(m, &options, &s);
  EXPECT_EQ(st, nullptr) << hydra_status_message(st);
  hydra_status_free(st);
  return SessionPtr(s);
}
} // namespace

TEST(Buffers, HoldTheirShapeWithinRoomAndCopyDense) {
  ModulePtr module = loadModule();
  SessionPtr session = cpuSession(module.get());
  int64_t shape[] = {2, 3, 4}, room[] = {2, 5, 4};
  hydra_buffer *raw = nullptr;
  ASSERT_EQ(
      hydra_buffer_create(session.get(), HYDRA_DTYPE_F32, 3, shape, room, &raw),
      nullptr);
  BufferPtr buffer(raw);
  std::vector<float> in(24), out(24);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float(i);
  ASSERT_EQ(hydra_buffer_upload(buffer.get(), in.data(), 96), nullptr);
  ASSERT_EQ(hydra_buffer_download(buffer.get(), out.data(), 96), nullptr);
  EXPECT_EQ(in, out);
  // Row (1, 0) starts 5 rows of 4 in: the strides are the room's.
  int64_t strides[3];
  hydra_buffer_strides(buffer.get(), strides);
  EXPECT_EQ(strides[0], 20);
  EXPECT_EQ(strides[1], 4);
  const float *data =
      static_cast<const float *>(hydra_buffer_tensor(buffer.get())->data);
  EXPECT_EQ(data[20], 12.0f);
  EXPECT_NE(takeMessage(hydra_buffer_upload(buffer.get(), in.data(), 95))
                .find("holds 96 bytes"),
            std::string::npos);
  int64_t longer[] = {2, 6, 4};
  EXPECT_NE(takeMessage(hydra_buffer_set_shape(buffer.get(), 3, longer))
                .find("outside the buffer's capacity 5"),
            std::string::npos);
  int64_t small[] = {2, 5, 4}, big[] = {2, 4, 4};
  EXPECT_NE(takeMessage(hydra_buffer_create(session.get(), HYDRA_DTYPE_F32, 3,
                                            small, big, &raw))
                .find("capacities at least the size"),
            std::string::npos);
}

TEST(Buffers, RunLikeHostTensorsAndRefuseMisuse) {
  ModulePtr module = loadModule();
  SessionPtr session = cpuSession(module.get());
  Inputs in(module.get());
  std::string error;
  std::vector<std::string> want = run(session.get(), module.get(), in, &error);
  ASSERT_TRUE(error.empty()) << error;

  std::vector<BufferPtr> owned;
  std::vector<hydra_buffer *> inputs;
  for (const hydra_tensor &t : in.tensors) {
    hydra_buffer *b = nullptr;
    ASSERT_EQ(hydra_buffer_create(session.get(), t.dtype, t.rank, t.shape,
                                  nullptr, &b),
              nullptr);
    owned.emplace_back(b);
    size_t bytes = 4;
    for (int32_t d = 0; d < t.rank; ++d)
      bytes *= size_t(t.shape[d]);
    ASSERT_EQ(hydra_buffer_upload(b, t.data, bytes), nullptr);
    inputs.push_back(b);
  }
  const char *fn = hydra_module_function_name(module.get(), 0);
  std::vector<hydra_buffer *> outputs(want.size(), nullptr);
  hydra_status s =
      hydra_session_run_buffers(session.get(), fn, inputs.data(), inputs.size(),
                                outputs.data(), outputs.size());
  ASSERT_EQ(s, nullptr) << hydra_status_message(s);
  for (size_t o = 0; o < outputs.size(); ++o) {
    BufferPtr got(outputs[o]);
    std::string bytes(want[o].size(), '\0');
    ASSERT_EQ(hydra_buffer_download(got.get(), bytes.data(), bytes.size()),
              nullptr);
    EXPECT_EQ(bytes, want[o]) << "output " << o;
  }
  std::fill(outputs.begin(), outputs.end(), nullptr); // freed above
  // An input buffer as an output: no cache pair here.
  std::vector<hydra_buffer *> alias(want.size(), nullptr);
  alias[0] = inputs[0];
  EXPECT_NE(takeMessage(hydra_session_run_buffers(session.get(), fn,
                                                  inputs.data(), inputs.size(),
                                                  alias.data(), alias.size()))
                .find("not a cache the function appends to in place"),
            std::string::npos);
  EXPECT_NE(
      takeMessage(hydra_session_run_buffers(session.get(), fn, inputs.data(),
                                            inputs.size(), outputs.data(), 0))
          .find("outputs, not 0"),
      std::string::npos);
  // A buffer of another session.
  SessionPtr other = cpuSession(module.get());
  hydra_buffer *foreign = nullptr;
  ASSERT_EQ(hydra_buffer_create(other.get(), in.tensors[0].dtype,
                                in.tensors[0].rank, in.tensors[0].shape,
                                nullptr, &foreign),
            nullptr);
  BufferPtr foreignOwned(foreign);
  std::vector<hydra_buffer *> mixed = inputs;
  mixed[0] = foreign;
  EXPECT_NE(takeMessage(hydra_session_run_buffers(
                            session.get(), fn, mixed.data(), mixed.size(),
                            outputs.data(), outputs.size()))
                .find("a buffer of another session"),
            std::string::npos);
}

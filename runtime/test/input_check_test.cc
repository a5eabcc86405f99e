#include "session.h"
#include "status.h"

#include <gtest/gtest.h>

using namespace hydra;

namespace {
/// A function f(a: f32[s0, 3], b: f32[s0, s1]) for binding tests.
struct Fixture {
  flatbuffers::FlatBufferBuilder fbb;
  const fb::Function *function = nullptr;
  Fixture() {
    auto sig = [&](const char *name, std::vector<int64_t> shape) {
      return fb::CreateTensorSignature(fbb, fbb.CreateString(name),
                                       fb::DType::f32, fbb.CreateVector(shape));
    };
    std::vector<flatbuffers::Offset<fb::TensorSignature>> ins = {
        sig("a", {-1, 3}), sig("b", {-1, -2})};
    std::vector<flatbuffers::Offset<fb::TensorSignature>> outs;
    std::vector<flatbuffers::Offset<fb::Program>> programs;
    auto f =
        fb::CreateFunction(fbb, fbb.CreateString("f"), 2, fbb.CreateVector(ins),
                           fbb.CreateVector(outs), fbb.CreateVector(programs));
    fbb.Finish(f);
    function = flatbuffers::GetRoot<fb::Function>(fbb.GetBufferPointer());
  }
};

std::string bind(const Fixture &fx, std::vector<hydra_tensor> inputs,
                 std::vector<int64_t> *symbols = nullptr) {
  std::vector<int64_t> s;
  hydra_status status =
      rt::bindInputs(*fx.function, inputs.data(), inputs.size(), s);
  if (symbols)
    *symbols = s;
  std::string message = status ? status->message : "ok";
  hydra_status_free(status);
  return message;
}
} // namespace

TEST(InputCheck, BindsSymbolsFromInputs) {
  Fixture fx;
  float data[64];
  int64_t a[] = {2, 3}, b[] = {2, 5};
  std::vector<int64_t> symbols;
  EXPECT_EQ(bind(fx,
                 {{"a", HYDRA_DTYPE_F32, 2, a, data},
                  {"b", HYDRA_DTYPE_F32, 2, b, data}},
                 &symbols),
            "ok");
  EXPECT_EQ(symbols, (std::vector<int64_t>{2, 5}));
}

TEST(InputCheck, NamesWhatIsWrong) {
  Fixture fx;
  float data[64];
  int64_t a[] = {2, 3}, b[] = {2, 5}, bad[] = {4, 5}, static4[] = {2, 4};
  auto has = [](const std::string &m, const char *part) {
    return m.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, a, data}}),
                  "takes 2 inputs, got 1"));
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F16, 2, a, data},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "dtype is f16"));
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 1, a, data},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "rank is 1"));
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, static4, data},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "has 4 in dim 1 where 3 is required"));
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, a, data},
                            {"b", HYDRA_DTYPE_F32, 2, bad, data}}),
                  "must agree"));
  EXPECT_TRUE(has(bind(fx, {{"x", HYDRA_DTYPE_F32, 2, a, data},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "given as 'x'"));
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, a, nullptr},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "null data"));
  int64_t negative[] = {-2, 3};
  EXPECT_TRUE(has(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, negative, data},
                            {"b", HYDRA_DTYPE_F32, 2, b, data}}),
                  "negative size"));
}

TEST(StatusApi, NullIsSuccess) {
  EXPECT_EQ(hydra_status_get_code(nullptr), HYDRA_OK);
  EXPECT_STREQ(hydra_status_message(nullptr), "");
  hydra_status_free(nullptr);
  EXPECT_EQ(hydra_dtype_size(HYDRA_DTYPE_BF16), 2u);
  EXPECT_STREQ(hydra_dtype_name(static_cast<hydra_dtype>(99)), "invalid");
}

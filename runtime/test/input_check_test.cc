#include "device.h"
#include "session.h"
#include "status.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

// A zero size makes a tensor empty, but must not let an absurd size in
// another dim through into the size symbols.
TEST(InputCheck, AZeroSizeDoesNotHideAnAbsurdOne) {
  Fixture fx;
  float data[64];
  int64_t b[] = {0, 5};
  int64_t zeroThenHuge[] = {0, int64_t(1) << 62};
  int64_t a[] = {0, 3};
  std::string m = bind(fx, {{"a", HYDRA_DTYPE_F32, 2, a, data},
                            {"b", HYDRA_DTYPE_F32, 2, zeroThenHuge, data}});
  EXPECT_NE(m.find("is too large (more than 2^59 elements)"), std::string::npos)
      << m;
  EXPECT_EQ(bind(fx, {{"a", HYDRA_DTYPE_F32, 2, a, data},
                      {"b", HYDRA_DTYPE_F32, 2, b, nullptr}}),
            "ok");
}

TEST(StatusApi, NullIsSuccess) {
  EXPECT_EQ(hydra_status_get_code(nullptr), HYDRA_OK);
  EXPECT_STREQ(hydra_status_message(nullptr), "");
  hydra_status_free(nullptr);
  EXPECT_EQ(hydra_dtype_size(HYDRA_DTYPE_BF16), 2u);
  EXPECT_STREQ(hydra_dtype_name(static_cast<hydra_dtype>(99)), "invalid");
}

// Grid sizes come from the artifact and the bound sizes: their product is
// checked, and a ceil-division by a huge divisor does not wrap.
TEST(GridSize, OverflowIsAnErrorNotAWrap) {
  auto grid = [](std::vector<fb::GridDim> dims, std::vector<int64_t> symbols,
                 int64_t *total) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<fb::BufferRef> buffers;
    auto launch = fb::CreateLaunch(fbb, 0, fbb.CreateVectorOfStructs(buffers),
                                   fbb.CreateVectorOfStructs(dims));
    fbb.Finish(launch);
    auto *l = flatbuffers::GetRoot<fb::Launch>(fbb.GetBufferPointer());
    hydra_status s = rt::gridSize(*l, symbols, total);
    std::string m = s ? s->message : "ok";
    hydra_status_free(s);
    return m;
  };
  int64_t total = 0;
  int64_t big = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_NE(grid({{-1, big}, {-1, 4}}, {}, &total).find("more than 2^63"),
            std::string::npos);
  EXPECT_EQ(grid({{0, std::numeric_limits<int64_t>::max()}},
                 {std::numeric_limits<int64_t>::max() - 1}, &total),
            "ok");
  EXPECT_EQ(total, 1);
  EXPECT_EQ(grid({{0, 32}, {-1, 3}}, {65}, &total), "ok");
  EXPECT_EQ(total, 9);
}

namespace {
/// f(shape: i64[3], n: u8[]) whose s0 = shape[2] and s1 = n[0] must be
/// equal, as a Reshape's checks read sizes from data.
struct ElementFixture {
  flatbuffers::FlatBufferBuilder fbb;
  const fb::Function *function = nullptr;
  ElementFixture() {
    auto sig = [&](const char *name, fb::DType dtype,
                   std::vector<int64_t> shape) {
      return fb::CreateTensorSignature(fbb, fbb.CreateString(name), dtype,
                                       fbb.CreateVector(shape));
    };
    std::vector<flatbuffers::Offset<fb::TensorSignature>> ins = {
        sig("shape", fb::DType::i64, {3}), sig("n", fb::DType::u8, {})};
    std::vector<flatbuffers::Offset<fb::TensorSignature>> outs;
    std::vector<flatbuffers::Offset<fb::Program>> programs;
    std::vector<fb::DerivedSymbol> derived = {
        {fb::SizeOp::element, fb::SizeOperand(-1, 0), fb::SizeOperand(-1, 2)},
        {fb::SizeOp::element, fb::SizeOperand(-1, 1), fb::SizeOperand(-1, 0)}};
    std::vector<fb::SizeCheck> checks = {
        {fb::SizeOperand(0, 0), fb::SizeOperand(1, 0)}};
    auto f = fb::CreateFunction(
        fbb, fbb.CreateString("f"), 2, fbb.CreateVector(ins),
        fbb.CreateVector(outs), fbb.CreateVector(programs),
        fbb.CreateVectorOfStructs(derived), fbb.CreateVectorOfStructs(checks),
        fbb.CreateVectorOfStrings(
            std::vector<std::string>{"node 'r' (Reshape): they differ"}));
    fbb.Finish(f);
    function = flatbuffers::GetRoot<fb::Function>(fbb.GetBufferPointer());
  }
};
} // namespace

TEST(InputCheck, ReadsSizesFromInputData) {
  ElementFixture fx;
  int64_t shape[] = {3}, dims[] = {-1, 4, 250};
  uint8_t n = 250;
  std::vector<int64_t> symbols;
  hydra_tensor inputs[] = {{"shape", HYDRA_DTYPE_I64, 1, shape, dims},
                           {"n", HYDRA_DTYPE_U8, 0, nullptr, &n}};
  hydra_status status = rt::bindInputs(*fx.function, inputs, 2, symbols);
  EXPECT_EQ(status, nullptr);
  hydra_status_free(status);
  EXPECT_EQ(symbols, (std::vector<int64_t>{250, 250}));
  n = 7; // the check fails, with the note
  status = rt::bindInputs(*fx.function, inputs, 2, symbols);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(
      std::string(status->message)
          .find("s0 is 250 but s1 is 7 (node 'r' (Reshape): they differ)"),
      std::string::npos)
      << status->message;
  hydra_status_free(status);
}

TEST(InputCheck, AnElementBeyondTheInputIsAnError) {
  // f(x: i32[s0]) with s1 = x[4].
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::TensorSignature>> ins = {
      fb::CreateTensorSignature(fbb, fbb.CreateString("x"), fb::DType::i32,
                                fbb.CreateVector(std::vector<int64_t>{-1}))};
  std::vector<flatbuffers::Offset<fb::TensorSignature>> outs;
  std::vector<flatbuffers::Offset<fb::Program>> programs;
  std::vector<fb::DerivedSymbol> derived = {
      {fb::SizeOp::element, fb::SizeOperand(-1, 0), fb::SizeOperand(-1, 4)}};
  fbb.Finish(fb::CreateFunction(fbb, fbb.CreateString("f"), 2,
                                fbb.CreateVector(ins), fbb.CreateVector(outs),
                                fbb.CreateVector(programs),
                                fbb.CreateVectorOfStructs(derived)));
  auto *function = flatbuffers::GetRoot<fb::Function>(fbb.GetBufferPointer());
  int32_t data[4] = {1, 2, 3, 4};
  int64_t shape[] = {4};
  hydra_tensor x = {"x", HYDRA_DTYPE_I32, 1, shape, data};
  std::vector<int64_t> symbols;
  hydra_status status = rt::bindInputs(*function, &x, 1, symbols);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(status->message)
                .find("s1 is element 4 of input 0 'x', which has 4 elements"),
            std::string::npos)
      << status->message;
  hydra_status_free(status);
  shape[0] = 5; // now element 4 exists (data has room for the test)
  int32_t more[5] = {1, 2, 3, 4, 9};
  x.data = more;
  status = rt::bindInputs(*function, &x, 1, symbols);
  EXPECT_EQ(status, nullptr);
  hydra_status_free(status);
  EXPECT_EQ(symbols[1], 9);
}

namespace {
/// f(start: T[], limit: T[], delta: T[]) whose s4 = ceil((limit − start) /
/// delta) counts a Range's elements.
struct FloatRangeFixture {
  flatbuffers::FlatBufferBuilder fbb;
  const fb::Function *function = nullptr;
  explicit FloatRangeFixture(fb::DType dtype) {
    std::vector<flatbuffers::Offset<fb::TensorSignature>> ins;
    for (const char *name : {"start", "limit", "delta"})
      ins.push_back(fb::CreateTensorSignature(
          fbb, fbb.CreateString(name), dtype, fbb.CreateVector<int64_t>({})));
    std::vector<flatbuffers::Offset<fb::TensorSignature>> outs;
    std::vector<flatbuffers::Offset<fb::Program>> programs;
    auto num = [](int64_t v) { return fb::SizeOperand(-1, v); };
    auto sym = [](int32_t s) { return fb::SizeOperand(s, 0); };
    std::vector<fb::DerivedSymbol> derived = {
        {fb::SizeOp::float_element, num(0), num(0)},
        {fb::SizeOp::float_element, num(1), num(0)},
        {fb::SizeOp::float_element, num(2), num(0)},
        {fb::SizeOp::float_sub, sym(1), sym(0)},
        {fb::SizeOp::float_ceildiv, sym(3), sym(2)}};
    fbb.Finish(fb::CreateFunction(fbb, fbb.CreateString("f"), 5,
                                  fbb.CreateVector(ins), fbb.CreateVector(outs),
                                  fbb.CreateVector(programs),
                                  fbb.CreateVectorOfStructs(derived)));
    function = flatbuffers::GetRoot<fb::Function>(fbb.GetBufferPointer());
  }
};

/// Binds three scalars of `dtype` and returns s4, or the error.
template <typename T>
std::string rangeCount(fb::DType dtype, hydra_dtype type, T start, T limit,
                       T delta) {
  FloatRangeFixture fx(dtype);
  hydra_tensor inputs[] = {{"start", type, 0, nullptr, &start},
                           {"limit", type, 0, nullptr, &limit},
                           {"delta", type, 0, nullptr, &delta}};
  std::vector<int64_t> symbols;
  hydra_status status = rt::bindInputs(*fx.function, inputs, 3, symbols);
  std::string out =
      status ? std::string(status->message) : std::to_string(symbols[4]);
  hydra_status_free(status);
  return out;
}
} // namespace

TEST(InputCheck, CountsRangesOfFloatInputs) {
  auto f32 = [](float s, float l, float d) {
    return rangeCount(fb::DType::f32, HYDRA_DTYPE_F32, s, l, d);
  };
  EXPECT_EQ(f32(1, 5, 2), "2");
  EXPECT_EQ(f32(1, 6, 2), "3");
  EXPECT_EQ(f32(10, 6, -3), "2");
  EXPECT_EQ(f32(1, 5, -2), "-2"); // the importer takes max(·, 0)
  EXPECT_EQ(rangeCount(fb::DType::f64, HYDRA_DTYPE_F64, 0.0, 1.0, 0.25), "4");
  // f16 1.0, 5.0, 2.0 and bf16 1.0, 5.5, 0.5 by their bits.
  EXPECT_EQ(rangeCount<uint16_t>(fb::DType::f16, HYDRA_DTYPE_F16, 0x3c00,
                                 0x4500, 0x4000),
            "2");
  EXPECT_EQ(rangeCount<uint16_t>(fb::DType::bf16, HYDRA_DTYPE_BF16, 0x3f80,
                                 0x40b0, 0x3f00),
            "9");
  std::string zero = f32(1, 5, 0);
  EXPECT_NE(zero.find("s4 = ceil(s3 /. s2) of the values 4 and 0 is not a "
                      "finite integer within int64"),
            std::string::npos)
      << zero;
  EXPECT_NE(f32(0, INFINITY, 1).find("not a finite integer"),
            std::string::npos);
  EXPECT_NE(f32(0, 1e30f, 1e-30f).find("within int64"), std::string::npos);
}

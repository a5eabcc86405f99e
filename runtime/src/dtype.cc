//===- dtype.cc - element types -------------------------------------------===//

#include "hydra/runtime.h"
#include "hydra_artifact_generated.h"

// The C API's dtypes are the schema's, value for value: the runtime and
// hydra-inspect pass one for the other.
namespace {
using D = hydra_artifact::DType;
constexpr bool same(D schema, hydra_dtype api) {
  return int(schema) == int(api);
}
static_assert(same(D::invalid, HYDRA_DTYPE_INVALID) &&
              same(D::f32, HYDRA_DTYPE_F32) && same(D::f16, HYDRA_DTYPE_F16) &&
              same(D::bf16, HYDRA_DTYPE_BF16) &&
              same(D::f64, HYDRA_DTYPE_F64) && same(D::i1, HYDRA_DTYPE_BOOL) &&
              same(D::i8, HYDRA_DTYPE_I8) && same(D::i16, HYDRA_DTYPE_I16) &&
              same(D::i32, HYDRA_DTYPE_I32) && same(D::i64, HYDRA_DTYPE_I64) &&
              same(D::u8, HYDRA_DTYPE_U8) && same(D::u16, HYDRA_DTYPE_U16) &&
              same(D::u32, HYDRA_DTYPE_U32) && same(D::u64, HYDRA_DTYPE_U64) &&
              D::MAX == D::u64);
} // namespace

extern "C" size_t hydra_dtype_size(hydra_dtype dtype) {
  switch (dtype) {
  case HYDRA_DTYPE_F64:
  case HYDRA_DTYPE_I64:
  case HYDRA_DTYPE_U64:
    return 8;
  case HYDRA_DTYPE_F32:
  case HYDRA_DTYPE_I32:
  case HYDRA_DTYPE_U32:
    return 4;
  case HYDRA_DTYPE_F16:
  case HYDRA_DTYPE_BF16:
  case HYDRA_DTYPE_I16:
  case HYDRA_DTYPE_U16:
    return 2;
  case HYDRA_DTYPE_BOOL:
  case HYDRA_DTYPE_I8:
  case HYDRA_DTYPE_U8:
    return 1;
  case HYDRA_DTYPE_INVALID:
    break;
  }
  return 0;
}

extern "C" const char *hydra_dtype_name(hydra_dtype dtype) {
  static const char *const names[] = {"invalid", "f32", "f16", "bf16", "f64",
                                      "bool",    "i8",  "i16", "i32",  "i64",
                                      "u8",      "u16", "u32", "u64"};
  unsigned i = static_cast<unsigned>(dtype);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "invalid";
}

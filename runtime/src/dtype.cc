//===- dtype.cc - element types -------------------------------------------===//

#include "hydra/runtime.h"

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

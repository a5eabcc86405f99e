//===- ShapeArithmetic.h - checked sizes of the importer's tensors -*- C++
//-*-===//
//
// Every size the importer reads from a model (dims, shape inputs, split
// counts) is an untrusted int64. These helpers compute element counts and
// reshapes with overflow checks and limits, so no product wraps and no
// import-time allocation follows a crafted number.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_IMPORT_ONNX_SHAPEARITHMETIC_H
#define HYDRA_LIB_IMPORT_ONNX_SHAPEARITHMETIC_H

#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::hydra::onnx_import {

/// The largest tensor, in bytes, a static type may describe: far above any
/// device's memory and far enough below 2^63 that byte offsets and strides
/// computed from it cannot overflow.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;

/// The most elements the importer evaluates at import time (folded
/// shape computations, ConstantOfShape, Range); larger results are left to
/// run time or refused.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// The number of elements of `shape`, or nothing if a dim is negative or
/// the product exceeds `limit` (by default as many one-byte elements as
/// kMaxTensorBytes holds; pass kMaxTensorBytes / element size for others).
std::optional<int64_t> elementCount(llvm::ArrayRef<int64_t> shape,
                                    int64_t limit = kMaxTensorBytes);

using ::mlir::hydra::formatShape;

/// Whether a static type of `shape` (MLIR's dynamic size counted as 1)
/// with `elementBits`-bit elements holds at most kMaxTensorBytes, with no
/// negative size.
bool fitsTensorLimit(llvm::ArrayRef<int64_t> shape, int64_t elementBits);

/// Resolves ONNX Reshape's `dims` (0 copies the input's dim unless
/// `allowZero`, one -1 is inferred) against `input`; sets `error` and
/// returns nothing if they do not describe the same number of elements.
std::optional<std::vector<int64_t>> reshapeDims(llvm::ArrayRef<int64_t> input,
                                                std::vector<int64_t> dims,
                                                bool allowZero,
                                                std::string &error);

/// Normalizes `axes` (negative ones count from the end) for `rank` and
/// sorts them; false if one is out of range or repeated.
bool normalizeAxes(std::vector<int64_t> &axes, int64_t rank);

/// Integer arithmetic at import wraps as two's complement, as the
/// generated code does (signed overflow in C++ would be undefined).
inline int64_t wrapAdd(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) + uint64_t(b));
}
inline int64_t wrapSub(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) - uint64_t(b));
}
inline int64_t wrapMul(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) * uint64_t(b));
}
/// ONNX Div of integers: truncating; x / 0 gives 0 here and INT64_MIN / −1
/// wraps to INT64_MIN.
inline int64_t wrapDiv(int64_t a, int64_t b) {
  if (!b)
    return 0;
  return b == -1 ? wrapSub(0, a) : a / b;
}
/// ONNX Mod of integers: the dividend's sign with `fmod`, else the
/// divisor's; x mod 0 gives 0 here.
inline int64_t wrapMod(int64_t a, int64_t b, bool fmod) {
  if (!b || b == -1)
    return 0;
  int64_t r = a % b;
  if (!fmod && r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

/// Shape's [start, end) for a rank-`rank` input: negative bounds count
/// from the end, both clamped to [0, rank], end at least start.
std::pair<int64_t, int64_t> shapeBounds(int64_t start, int64_t end,
                                        int64_t rank);

/// `v` as an int64 the way a float-to-integer cast saturates: NaN gives 0,
/// values beyond the range give its ends (C++'s conversion is undefined
/// there).
int64_t saturatingToInt64(double v);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_SHAPEARITHMETIC_H

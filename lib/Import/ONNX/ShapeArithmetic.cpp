//===- ShapeArithmetic.cpp - checked sizes of the importer's tensors ------===//

#include "ShapeArithmetic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir::hydra::onnx_import;

std::optional<int64_t>
mlir::hydra::onnx_import::elementCount(llvm::ArrayRef<int64_t> shape,
                                       int64_t limit) {
  // Zero dims make the count 0 but must not hide an absurd dim elsewhere:
  // each dim is bounded on its own, and the product of the non-zero ones.
  int64_t magnitude = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0 || d > limit)
      return std::nullopt;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (magnitude > limit / d)
      return std::nullopt;
    magnitude *= d;
  }
  return empty ? 0 : magnitude;
}

bool mlir::hydra::onnx_import::fitsTensorLimit(llvm::ArrayRef<int64_t> shape,
                                               int64_t elementBits) {
  std::vector<int64_t> sizes;
  for (int64_t d : shape)
    sizes.push_back(d == std::numeric_limits<int64_t>::min() ? 1 : d);
  int64_t bytes = std::max<int64_t>(1, elementBits / 8);
  return elementCount(sizes, kMaxTensorBytes / bytes).has_value();
}

std::optional<std::vector<int64_t>>
mlir::hydra::onnx_import::reshapeDims(llvm::ArrayRef<int64_t> input,
                                      std::vector<int64_t> dims, bool allowZero,
                                      std::string &error) {
  std::optional<int64_t> total = elementCount(input);
  if (!total) {
    error = "input shape " + formatShape(input) + " is too large";
    return std::nullopt;
  }
  int64_t inferred = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allowZero) {
      if (i >= input.size()) {
        error = "shape copies dimension " + std::to_string(i) +
                ", which the input of rank " + std::to_string(input.size()) +
                " lacks";
        return std::nullopt;
      }
      dims[i] = input[i];
    } else if (dims[i] == -1) {
      if (inferred >= 0) {
        error = "shape has two -1 entries";
        return std::nullopt;
      }
      inferred = int64_t(i);
    } else if (dims[i] < 0) {
      error = "shape has the negative entry " + std::to_string(dims[i]);
      return std::nullopt;
    }
  }
  if (inferred >= 0) {
    std::vector<int64_t> known(dims);
    known.erase(known.begin() + inferred);
    std::optional<int64_t> k = elementCount(known);
    if (!k || *k == 0 || *total % *k) {
      error = "shape " + formatShape(dims) + " does not divide the input " +
              formatShape(input);
      return std::nullopt;
    }
    dims[inferred] = *total / *k;
  }
  std::optional<int64_t> count = elementCount(dims);
  if (!count || *count != *total) {
    error = "shape " + formatShape(dims) +
            " holds a different number of elements than the input " +
            formatShape(input);
    return std::nullopt;
  }
  return dims;
}

bool mlir::hydra::onnx_import::normalizeAxes(std::vector<int64_t> &axes,
                                             int64_t rank) {
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return false;
    if (a < 0)
      a += rank;
  }
  std::sort(axes.begin(), axes.end());
  return std::adjacent_find(axes.begin(), axes.end()) == axes.end();
}

int64_t mlir::hydra::onnx_import::saturatingToInt64(double v) {
  if (std::isnan(v))
    return 0;
  // 2^63 is exactly representable; every double below it converts.
  constexpr double kTop = 9223372036854775808.0;
  if (v >= kTop)
    return std::numeric_limits<int64_t>::max();
  if (v < -kTop)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

std::pair<int64_t, int64_t>
mlir::hydra::onnx_import::shapeBounds(int64_t start, int64_t end,
                                      int64_t rank) {
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  return {start, end};
}

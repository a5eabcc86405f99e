//===- ConstantFolding.cpp - evaluate shape computations at import --------===//
//
// Exported models (and ONNX's function expansions) compute shapes with
// small operators on Shape outputs and constants. With static input shapes
// all of that is known at import; evaluating it here turns Reshape,
// Expand and friends into static-shape IR.
//
//===----------------------------------------------------------------------===//

#include "ConstantFolding.h"
#include "ShapeArithmetic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::hydra::onnx_import;
using TP = onnx::TensorProto;

namespace {
/// Numpy broadcasting of two shapes; empty optional if incompatible.
std::optional<std::vector<int64_t>> broadcast(const std::vector<int64_t> &a,
                                              const std::vector<int64_t> &b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t y = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    out[i] = x == 1 ? y : x;
  }
  return out;
}

/// The flat index into a tensor of `shape` for output index `flat` of a
/// broadcast result of `outShape`.
int64_t sourceIndex(const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &outShape, int64_t flat) {
  int64_t index = 0, stride = 1;
  for (int64_t d = int64_t(outShape.size()) - 1, s = int64_t(shape.size()) - 1;
       d >= 0; --d, --s) {
    int64_t coord = flat % outShape[d];
    flat /= outShape[d];
    if (s >= 0) {
      if (shape[s] != 1)
        index += coord * stride;
      stride *= shape[s];
    }
  }
  return index;
}

/// One folded element: an integer or a float, kept apart so that int64
/// values never pass through a double.
struct Num {
  bool isInt;
  int64_t i;
  double f;
};
Num intNum(int64_t i) { return {true, i, 0.0}; }
Num floatNum(double f) { return {false, 0, f}; }
Num boolNum(bool b) { return intNum(b); }

/// The element count of a folded result, if small enough to evaluate.
std::optional<int64_t> foldedCount(llvm::ArrayRef<int64_t> shape) {
  return elementCount(shape, kMaxFoldedElements);
}

/// Elementwise over broadcast inputs; `fn` gets doubles and ints of each.
/// Nothing when the shapes do not broadcast or the result is too large to
/// evaluate here (the node is then imported as IR).
template <typename Fn>
std::optional<HostTensor> elementwise(const std::vector<const HostTensor *> &in,
                                      int32_t outType, Fn fn) {
  std::vector<int64_t> shape;
  for (const HostTensor *t : in) {
    auto s = broadcast(shape, t->shape);
    if (!s)
      return std::nullopt;
    shape = *s;
  }
  std::optional<int64_t> n = foldedCount(shape);
  if (!n)
    return std::nullopt;
  bool isFloatOut = HostTensor{outType, {}, {}}.isFloat();
  std::vector<double> f(isFloatOut ? *n : 0);
  std::vector<int64_t> iv(isFloatOut ? 0 : *n);
  std::vector<double> fa(in.size());
  std::vector<int64_t> ia(in.size());
  for (int64_t i = 0; i < *n; ++i) {
    for (size_t k = 0; k < in.size(); ++k) {
      int64_t j = sourceIndex(in[k]->shape, shape, i);
      fa[k] = in[k]->floatAt(j);
      ia[k] = in[k]->intAt(j);
    }
    Num r = fn(fa, ia);
    if (isFloatOut)
      f[i] = r.isInt ? double(r.i) : r.f;
    else
      iv[i] = r.isInt ? r.i : saturatingToInt64(r.f);
  }
  return isFloatOut ? HostTensor::fromDoubles(outType, shape, f)
                    : HostTensor::fromInts(outType, shape, iv);
}

/// The ONNX float type of a run-time tensor, 0 for anything else (whose
/// signedness the MLIR type does not tell).
int32_t floatTypeOf(Value v) {
  auto t = v ? dyn_cast<RankedTensorType>(v.getType()) : nullptr;
  if (!t)
    return 0;
  Type e = t.getElementType();
  return e.isF32()    ? TP::FLOAT
         : e.isF16()  ? TP::FLOAT16
         : e.isBF16() ? TP::BFLOAT16
         : e.isF64()  ? TP::DOUBLE
                      : 0;
}

/// The number of elements of Range(start, limit, delta), computed without
/// overflow; nothing if it exceeds what is folded.
std::optional<int64_t> rangeCount(const HostTensor &start,
                                  const HostTensor &limit,
                                  const HostTensor &delta) {
  if (start.isFloat()) {
    double n =
        std::ceil((limit.floatAt(0) - start.floatAt(0)) / delta.floatAt(0));
    if (std::isnan(n) || n > double(kMaxFoldedElements))
      return std::nullopt;
    return n < 0 ? 0 : int64_t(n);
  }
  __int128 span = __int128(limit.intAt(0)) - start.intAt(0);
  __int128 step = delta.intAt(0);
  __int128 n = span / step + (span % step != 0 && (span < 0) == (step < 0));
  if (n > kMaxFoldedElements)
    return std::nullopt;
  return n < 0 ? 0 : int64_t(n);
}
} // namespace

void registerFoldOnlyOps(ImporterTable &onnx) {
  onnx["Shape"] = {nullptr, {1, 1}};
  onnx["Size"] = {nullptr, {1, 1}};
}

std::optional<std::vector<HostTensor>> mlir::hydra::onnx_import::foldNode(
    GraphImporter &gi, const onnx::NodeProto &node, std::string &error) {
  const std::string &op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return std::nullopt;
  // Shape and Size only need a static type.
  if (op == "Shape" || op == "Size") {
    Value x = gi.optionalInput(node, 0);
    auto t = x ? dyn_cast<RankedTensorType>(x.getType()) : nullptr;
    if (!t || !t.hasStaticShape())
      return std::nullopt;
    std::vector<int64_t> dims(t.getShape().begin(), t.getShape().end());
    if (op == "Size") {
      std::optional<int64_t> n = elementCount(dims);
      if (!n)
        return std::nullopt;
      return std::vector<HostTensor>{HostTensor::fromInts(TP::INT64, {}, {*n})};
    }
    int64_t rank = dims.size();
    auto [start, end] = shapeBounds(gi.intAttr(node, "start", 0),
                                    gi.intAttr(node, "end", rank), rank);
    std::vector<int64_t> slice(dims.begin() + start, dims.begin() + end);
    return std::vector<HostTensor>{
        HostTensor::fromInts(TP::INT64, {int64_t(slice.size())}, slice)};
  }
  std::vector<const HostTensor *> in;
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty()) {
      in.push_back(nullptr);
      continue;
    }
    const HostTensor *c = gi.constantInput(node, i);
    // CastLike only reads the element type of its second input.
    if (!c && !(op == "CastLike" && i == 1))
      return std::nullopt;
    in.push_back(c);
  }
  auto one = [](std::optional<HostTensor> t)
      -> std::optional<std::vector<HostTensor>> {
    if (!t)
      return std::nullopt;
    return std::vector<HostTensor>{std::move(*t)};
  };
  using D = const std::vector<double> &;
  using I = const std::vector<int64_t> &;
  if (in.empty() || !in[0])
    return std::nullopt;
  int32_t t0 = in[0]->elemType;
  bool fl = in[0]->isFloat();
  if (op == "Add")
    return one(elementwise(in, t0, [&](D f, I i) {
      return fl ? floatNum(f[0] + f[1]) : intNum(wrapAdd(i[0], i[1]));
    }));
  if (op == "Sub")
    return one(elementwise(in, t0, [&](D f, I i) {
      return fl ? floatNum(f[0] - f[1]) : intNum(wrapSub(i[0], i[1]));
    }));
  if (op == "Mul")
    return one(elementwise(in, t0, [&](D f, I i) {
      return fl ? floatNum(f[0] * f[1]) : intNum(wrapMul(i[0], i[1]));
    }));
  if (op == "Div")
    return one(elementwise(in, t0, [&](D f, I i) {
      if (fl)
        return floatNum(f[0] / f[1]);
      return intNum(wrapDiv(i[0], i[1]));
    }));
  if (op == "Mod")
    return one(elementwise(in, t0, [&](D f, I i) {
      if (fl)
        return floatNum(std::fmod(f[0], f[1]));
      return intNum(wrapMod(i[0], i[1], gi.intAttr(node, "fmod", 0) != 0));
    }));
  if (op == "Sqrt")
    return one(
        elementwise(in, t0, [](D f, I) { return floatNum(std::sqrt(f[0])); }));
  if (op == "Neg")
    return one(elementwise(in, t0, [&](D f, I i) {
      return fl ? floatNum(-f[0]) : intNum(wrapSub(0, i[0]));
    }));
  if (op == "Reciprocal")
    return one(
        elementwise(in, t0, [](D f, I) { return floatNum(1.0 / f[0]); }));
  if (op == "Equal")
    return one(elementwise(in, TP::BOOL, [&](D f, I i) {
      return boolNum(fl ? f[0] == f[1] : i[0] == i[1]);
    }));
  if (op == "Less")
    return one(elementwise(in, TP::BOOL, [&](D f, I i) {
      return boolNum(fl ? f[0] < f[1] : i[0] < i[1]);
    }));
  if (op == "Greater")
    return one(elementwise(in, TP::BOOL, [&](D f, I i) {
      return boolNum(fl ? f[0] > f[1] : i[0] > i[1]);
    }));
  if (op == "Not")
    return one(
        elementwise(in, TP::BOOL, [](D, I i) { return boolNum(!i[0]); }));
  if (op == "And")
    return one(elementwise(in, TP::BOOL,
                           [](D, I i) { return boolNum(i[0] && i[1]); }));
  if (op == "Or")
    return one(elementwise(in, TP::BOOL,
                           [](D, I i) { return boolNum(i[0] || i[1]); }));
  if (op == "Where") {
    int32_t t = in[1]->elemType;
    bool f = in[1]->isFloat();
    return one(elementwise(in, t, [&](D fv, I iv) {
      int k = iv[0] ? 1 : 2;
      return f ? floatNum(fv[k]) : intNum(iv[k]);
    }));
  }
  if (op == "Cast" || op == "CastLike") {
    int32_t to = op == "Cast"    ? int32_t(gi.intAttr(node, "to", 0))
                 : in.size() < 2 ? 0
                 : in[1]         ? in[1]->elemType
                                 : floatTypeOf(gi.optionalInput(node, 1));
    if (!onnxElementSize(to))
      return std::nullopt;
    bool toFloat = HostTensor{to, {}, {}}.isFloat();
    return one(elementwise({in[0]}, to, [&](D f, I i) {
      return fl || toFloat ? floatNum(f[0]) : intNum(i[0]);
    }));
  }
  if (op == "Identity")
    return std::vector<HostTensor>{*in[0]};
  if (op == "Range") {
    if (!in[1] || !in[2])
      return std::nullopt;
    for (const HostTensor *t : {in[0], in[1], in[2]})
      if (t->numElements() != 1 || t->elemType != t0) {
        error = "start, limit and delta must be scalars of one type";
        return std::nullopt;
      }
    if (in[2]->floatAt(0) == 0) {
      error = "Range with delta 0";
      return std::nullopt;
    }
    std::optional<int64_t> n = rangeCount(*in[0], *in[1], *in[2]);
    if (!n) {
      error = "not supported: Range of more than " +
              std::to_string(kMaxFoldedElements) +
              " elements (hydra evaluates Range at import)";
      return std::nullopt;
    }
    if (fl) {
      double start = in[0]->floatAt(0), delta = in[2]->floatAt(0);
      std::vector<double> v(*n);
      for (int64_t i = 0; i < *n; ++i)
        v[i] = start + i * delta;
      return one(HostTensor::fromDoubles(t0, {*n}, v));
    }
    int64_t start = in[0]->intAt(0), delta = in[2]->intAt(0);
    std::vector<int64_t> v(*n);
    for (int64_t i = 0; i < *n; ++i)
      v[i] = wrapAdd(start, wrapMul(i, delta));
    return one(HostTensor::fromInts(t0, {*n}, v));
  }
  if (op == "ConstantOfShape") {
    std::vector<int64_t> shape = in[0]->ints();
    HostTensor value = HostTensor::fromDoubles(TP::FLOAT, {}, {0.0});
    if (const auto *a = gi.attribute(node, "value")) {
      if (!readTensorProto(a->t(), gi.modelDir(), value, error))
        return std::nullopt;
      if (value.numElements() != 1) {
        error = "value must hold one element, not " +
                std::to_string(value.numElements());
        return std::nullopt;
      }
    }
    if (llvm::any_of(shape, [](int64_t d) { return d < 0; })) {
      error = "shape " + formatShape(shape) + " has a negative dimension";
      return std::nullopt;
    }
    std::optional<int64_t> n = foldedCount(shape);
    if (!n) {
      error = "not supported: ConstantOfShape of shape " + formatShape(shape) +
              ", more than the " + std::to_string(kMaxFoldedElements) +
              " elements hydra evaluates at import";
      return std::nullopt;
    }
    HostTensor out{value.elemType, shape, {}};
    out.bytes.reserve(*n * value.bytes.size());
    for (int64_t i = 0; i < *n; ++i)
      out.bytes.insert(out.bytes.end(), value.bytes.begin(), value.bytes.end());
    return std::vector<HostTensor>{std::move(out)};
  }
  if (op == "Concat") {
    int64_t rank = in[0]->shape.size();
    int64_t axis = gi.intAttr(node, "axis", 0);
    if (axis < 0)
      axis += rank;
    if (rank != 1 || axis != 0)
      return std::nullopt; // shape vectors are 1D; leave others to IR
    HostTensor out{t0, {0}, {}};
    for (const HostTensor *t : in) {
      if (!t || t->elemType != t0 || t->shape.size() != 1)
        return std::nullopt;
      out.shape[0] += t->shape[0];
      out.bytes.insert(out.bytes.end(), t->bytes.begin(), t->bytes.end());
    }
    return std::vector<HostTensor>{std::move(out)};
  }
  if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
      op == "Flatten") {
    HostTensor out = *in[0];
    int64_t rank = in[0]->shape.size();
    if (op == "Reshape") {
      if (!in[1])
        return std::nullopt;
      auto dims = reshapeDims(in[0]->shape, in[1]->ints(),
                              gi.intAttr(node, "allowzero", 0), error);
      if (!dims)
        return std::nullopt;
      out.shape = *dims;
    } else if (op == "Flatten") {
      int64_t axis = gi.intAttr(node, "axis", 1);
      if (axis < -rank || axis > rank)
        return std::nullopt; // the importer reports it
      if (axis < 0)
        axis += rank;
      int64_t outer = 1;
      for (int64_t d = 0; d < axis; ++d)
        outer *= in[0]->shape[d];
      out.shape = {outer, in[0]->numElements() / std::max<int64_t>(outer, 1)};
    } else {
      std::vector<int64_t> axes =
          in.size() > 1 && in[1] ? in[1]->ints() : gi.intsAttr(node, "axes");
      if (op == "Unsqueeze") {
        int64_t outRank = rank + axes.size();
        if (!normalizeAxes(axes, outRank))
          return std::nullopt; // the importer reports it
        std::vector<int64_t> shape;
        for (int64_t d = 0, k = 0; d < outRank; ++d)
          shape.push_back(std::binary_search(axes.begin(), axes.end(), d)
                              ? 1
                              : in[0]->shape[k++]);
        out.shape = shape;
      } else {
        if (!normalizeAxes(axes, rank))
          return std::nullopt;
        std::vector<int64_t> shape;
        for (int64_t d = 0; d < rank; ++d)
          if (axes.empty() ? in[0]->shape[d] != 1
                           : !std::binary_search(axes.begin(), axes.end(), d))
            shape.push_back(in[0]->shape[d]);
        out.shape = shape;
      }
    }
    std::optional<int64_t> n = elementCount(out.shape);
    if (!n || *n != in[0]->numElements()) {
      error = "folded reshape changes the number of elements";
      return std::nullopt;
    }
    return std::vector<HostTensor>{std::move(out)};
  }
  if (op == "Slice") {
    // Shape vectors only: 1D data, one axis.
    auto list = [&](size_t i, const char *attr) {
      return in.size() > i && in[i] ? in[i]->ints() : gi.intsAttr(node, attr);
    };
    std::vector<int64_t> starts = list(1, "starts"), ends = list(2, "ends"),
                         steps = in.size() > 4 && in[4]
                                     ? in[4]->ints()
                                     : std::vector<int64_t>{1};
    if (in[0]->shape.size() != 1 || starts.size() != 1 || ends.size() != 1 ||
        steps.size() != 1 || steps[0] == 0)
      return std::nullopt;
    int64_t n = in[0]->shape[0], step = steps[0];
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += n;
      return std::clamp(v, lo, hi);
    };
    int64_t start =
        step > 0 ? clamp(starts[0], 0, n) : clamp(starts[0], -1, n - 1);
    int64_t end = step > 0 ? clamp(ends[0], 0, n) : clamp(ends[0], -1, n - 1);
    HostTensor out{t0, {0}, {}};
    size_t size = onnxElementSize(t0);
    // Steps are counted, not added past the end, so a step near INT64_MAX
    // cannot overflow.
    int64_t span = step > 0 ? end - start : start - end;
    int64_t magnitude =
        step > 0 ? step : (step == INT64_MIN ? INT64_MAX : -step);
    int64_t taken = span > 0 ? (span - 1) / magnitude + 1 : 0;
    for (int64_t k = 0; k < taken; ++k) {
      int64_t i = start + k * step; // |k·step| < span
      out.bytes.insert(out.bytes.end(), in[0]->bytes.begin() + i * size,
                       in[0]->bytes.begin() + (i + 1) * size);
      ++out.shape[0];
    }
    return std::vector<HostTensor>{std::move(out)};
  }
  if (op == "Gather") {
    int64_t rank = in[0]->shape.size(), axis = gi.intAttr(node, "axis", 0);
    if (axis < 0)
      axis += rank;
    if (rank != 1 || axis != 0 || in.size() < 2 || !in[1])
      return std::nullopt;
    std::vector<int64_t> idx = in[1]->ints(), vals;
    int64_t n = in[0]->shape[0];
    for (int64_t i : idx) {
      if (i < 0)
        i += n;
      if (i < 0 || i >= n) {
        error = "Gather index out of range";
        return std::nullopt;
      }
      vals.push_back(i);
    }
    HostTensor out{t0, in[1]->shape, {}};
    size_t size = onnxElementSize(t0);
    for (int64_t i : vals)
      out.bytes.insert(out.bytes.end(), in[0]->bytes.begin() + i * size,
                       in[0]->bytes.begin() + (i + 1) * size);
    return std::vector<HostTensor>{std::move(out)};
  }
  return std::nullopt;
}

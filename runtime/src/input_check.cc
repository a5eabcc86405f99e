//===- input_check.cc - checking a call's inputs --------------------------===//

#include "session.h"
#include "size_symbols.h"
#include "status.h"

#include <sstream>

using namespace hydra;
using namespace hydra::rt;

// No input holds more elements than this, and no product of its non-zero
// sizes exceeds it: 16-byte elements of it still fit in int64.
constexpr int kMaxInputElementsLog2 = 59;
constexpr uint64_t kMaxInputElements = uint64_t(1) << kMaxInputElementsLog2;

static std::string shapeString(const int64_t *shape, int32_t rank) {
  std::ostringstream os;
  os << "[";
  for (int32_t i = 0; i < rank; ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

static std::string signatureString(const fb::TensorSignature &sig) {
  std::ostringstream os;
  os << hydra_dtype_name(static_cast<hydra_dtype>(sig.dtype())) << "[";
  for (size_t i = 0; i < sig.shape()->size(); ++i) {
    int64_t d = sig.shape()->Get(i);
    os << (i ? ", " : "");
    if (d < 0)
      os << "?";
    else
      os << d;
  }
  os << "]";
  return os.str();
}

hydra_status hydra::rt::bindInputs(const fb::Function &function,
                                   const hydra_tensor *inputs, size_t numInputs,
                                   std::vector<int64_t> &symbols) {
  size_t expected = function.inputs()->size();
  if (numInputs != expected)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "function '",
                      function.name()->str(), "' takes ", expected,
                      " inputs, got ", numInputs);
  if (numInputs && !inputs)
    return makeStatus(HYDRA_INVALID_ARGUMENT, "null inputs array");
  symbols.assign(function.num_symbols(), -1);
  // Which input first bound each symbol, for the message on a mismatch.
  std::vector<std::pair<size_t, size_t>> binder(function.num_symbols());
  for (size_t i = 0; i < numInputs; ++i) {
    const fb::TensorSignature &sig = *function.inputs()->Get(i);
    const hydra_tensor &t = inputs[i];
    std::string what = "input " + std::to_string(i) + " '" + sig.name()->str() +
                       "' (expects " + signatureString(sig) + ")";
    if (t.name && sig.name()->string_view() != t.name)
      return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": given as '", t.name,
                        "'");
    if (t.dtype != static_cast<hydra_dtype>(sig.dtype()))
      return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": dtype is ",
                        hydra_dtype_name(t.dtype));
    if (t.rank != int32_t(sig.shape()->size()))
      return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": rank is ", t.rank);
    if (t.rank && !t.shape)
      return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": null shape");
    // `magnitude` is the product of the non-zero sizes: a zero size makes
    // the tensor empty but must not let an absurd size elsewhere through
    // into the symbols (and the output shapes and grids made from them).
    uint64_t elements = 1, magnitude = 1;
    for (int32_t d = 0; d < t.rank; ++d) {
      int64_t size = t.shape[d], want = sig.shape()->Get(d);
      if (size < 0)
        return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": negative size ",
                          size, " in dim ", d);
      if (want >= 0 && size != want)
        return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": shape ",
                          shapeString(t.shape, t.rank), " has ", size,
                          " in dim ", d, " where ", want, " is required");
      if (want < 0) {
        size_t symbol = size_t(-(want + 1));
        if (symbols[symbol] < 0) {
          symbols[symbol] = size;
          binder[symbol] = {i, size_t(d)};
        } else if (symbols[symbol] != size) {
          auto [bi, bd] = binder[symbol];
          return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": shape ",
                            shapeString(t.shape, t.rank), " has ", size,
                            " in dim ", d, ", but input ", bi, " '",
                            function.inputs()->Get(bi)->name()->str(), "' has ",
                            symbols[symbol], " in dim ", bd,
                            " and the two must agree");
        }
      }
      if (size > 0 && magnitude > kMaxInputElements / uint64_t(size))
        return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": shape ",
                          shapeString(t.shape, t.rank),
                          " is too large (more than 2^", kMaxInputElementsLog2,
                          " elements)");
      if (size > 0)
        magnitude *= uint64_t(size);
      elements *= uint64_t(size);
    }
    if (elements && !t.data)
      return makeStatus(HYDRA_INVALID_ARGUMENT, what, ": null data");
  }
  std::string error;
  if (!evaluateDerivedSymbols(function, inputs, symbols, error))
    return makeStatus(HYDRA_INVALID_ARGUMENT, "function '",
                      function.name()->str(), "': ", error);
  return nullptr;
}

std::vector<int64_t>
hydra::rt::resolveShape(const fb::TensorSignature &sig,
                        const std::vector<int64_t> &symbols) {
  std::vector<int64_t> shape;
  for (int64_t d : *sig.shape())
    shape.push_back(d >= 0 ? d : symbols[size_t(-(d + 1))]);
  return shape;
}

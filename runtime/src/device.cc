//===- device.cc - what every device shares -------------------------------===//

#include "device.h"
#include "status.h"

#include <cstring>
#include <limits>

using namespace hydra;
using namespace hydra::rt;

const HostBuffer &CallBuffers::get(const fb::BufferRef &ref) const {
  switch (ref.kind()) {
  case fb::BufferKind::input:
    return inputs[ref.index()];
  case fb::BufferKind::output:
    return outputs[ref.index()];
  case fb::BufferKind::temporary:
    return temporaries[ref.index()];
  default:
    return (*constants)[ref.index()];
  }
}

void hydra::rt::appendDescriptor(std::vector<int64_t> &words, void *data,
                                 const std::vector<int64_t> &shape,
                                 const std::vector<int64_t> &strides) {
  size_t rank = shape.size(), at = words.size();
  words.resize(at + 3 + 2 * rank);
  int64_t *w = words.data() + at;
  w[0] = w[1] = reinterpret_cast<intptr_t>(data);
  w[2] = 0;
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    w[3 + d] = shape[d];
    w[3 + rank + d] = strides.empty() ? stride : strides[d];
    stride *= shape[d];
  }
}

std::vector<int64_t>
hydra::rt::makeDescriptor(void *data, const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &strides) {
  std::vector<int64_t> words;
  appendDescriptor(words, data, shape, strides);
  return words;
}

hydra_status hydra::rt::gridSize(const fb::Launch &launch,
                                 const std::vector<int64_t> &symbols,
                                 int64_t *total) {
  // The verifier made values non-negative and divisors positive; symbols
  // bound by inputs are non-negative sizes, derived ones may not be.
  int64_t n = 1;
  for (const fb::GridDim *g : *launch.grid()) {
    int64_t d = g->value();
    if (g->symbol() >= 0) {
      int64_t s = symbols[g->symbol()];
      if (s < 0)
        return makeStatus(HYDRA_INVALID_ARGUMENT,
                          "a launch grid would have a "
                          "negative size (s",
                          g->symbol(), " = ", s,
                          "): the input sizes do not fit together");
      d = s / d + (s % d != 0); // ceil without s + d - 1 wrapping
    }
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return makeStatus(HYDRA_INVALID_ARGUMENT,
                        "the launch grid of these sizes has more than 2^63 "
                        "iterations");
    n *= d;
  }
  *total = n;
  return nullptr;
}

LaunchCost hydra::rt::launchCost(const fb::Launch &launch,
                                 const std::vector<int64_t> &symbols) {
  // The verifier checked every symbol index; doubles never overflow here.
  auto evaluate = [&](const auto *terms) {
    if (!terms)
      return -1.0;
    double sum = 0;
    for (const fb::CostTerm *term : *terms) {
      double value = term->coefficient();
      if (term->symbols())
        for (uint32_t s : *term->symbols())
          value *= double(symbols[s]);
      sum += value;
    }
    return sum;
  };
  return {evaluate(launch.flops()), evaluate(launch.bytes())};
}

hydra_status Device::allocate(size_t, void **) {
  return makeStatus(HYDRA_INTERNAL, "device memory on a host-memory device");
}
void Device::release(void *) {}
hydra_status Device::upload(void *to, const void *from, size_t bytes) {
  if (bytes)
    std::memcpy(to, from, bytes);
  return nullptr;
}
hydra_status Device::download(void *to, const void *from, size_t bytes) {
  if (bytes)
    std::memcpy(to, from, bytes);
  return nullptr;
}

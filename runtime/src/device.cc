//===- device.cc - what every device shares -------------------------------===//

#include "device.h"

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
    return constants[ref.index()];
  }
}

std::vector<int64_t> hydra::rt::makeDescriptor(
    void *data, const std::vector<int64_t> &shape) {
  size_t rank = shape.size();
  std::vector<int64_t> words(3 + 2 * rank);
  words[0] = words[1] = reinterpret_cast<intptr_t>(data);
  words[2] = 0;
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    words[3 + d] = shape[d];
    words[3 + rank + d] = stride;
    stride *= shape[d];
  }
  return words;
}

std::vector<std::vector<int64_t>>
hydra::rt::hostDescriptors(const fb::Launch &launch,
                           const CallBuffers &buffers) {
  std::vector<std::vector<int64_t>> descriptors;
  for (const fb::BufferRef *ref : *launch.buffers()) {
    const HostBuffer &b = buffers.get(*ref);
    descriptors.push_back(makeDescriptor(b.data, b.shape));
  }
  return descriptors;
}

int64_t hydra::rt::gridSize(const fb::Launch &launch,
                            const std::vector<int64_t> &symbols) {
  int64_t total = 1;
  for (const fb::GridDim *g : *launch.grid())
    total *= g->symbol() < 0
                 ? g->value()
                 : (symbols[g->symbol()] + g->value() - 1) / g->value();
  return total;
}

//===- Roofline.cpp - launch times bounded by a GPU's peaks ---------------===//

#include "Roofline.h"

#include <algorithm>
#include <cctype>

namespace hydra::inspect {

// NVIDIA's datasheets: H100 SXM5 and H200 SXM (the same 132 SMs and
// clocks, HBM3 against HBM3e), A100 SXM4 80 GB.
static const GpuPeaks kGpus[] = {
    {"h100", 132, 989.4e12, 66.9e12, 3.35e12},
    {"h200", 132, 989.4e12, 66.9e12, 4.8e12},
    {"a100", 108, 312.0e12, 19.5e12, 2.039e12},
};

const GpuPeaks *findGpu(const std::string &name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const GpuPeaks &g : kGpus)
    if (lower == g.name)
      return &g;
  return nullptr;
}

std::string knownGpus() {
  std::string out;
  for (const GpuPeaks &g : kGpus)
    out += (out.empty() ? "" : ", ") + std::string(g.name);
  return out;
}

RooflineTime roofline(const GpuPeaks &gpu, double flops, double bytes,
                      double blocks, bool tensorCores) {
  // A grid of fewer blocks than SMs leaves the rest idle: each SM's share
  // of the peaks is all a block gets.
  double fill = std::min(1.0, std::max(blocks, 0.0) / double(gpu.sms));
  if (fill <= 0)
    return {0.0, false, 0.0};
  double compute =
      flops / ((tensorCores ? gpu.tensorFlops : gpu.simtFlops) * fill);
  double memory = bytes / (gpu.bandwidth * fill);
  return {std::max(compute, memory), memory >= compute, fill};
}

} // namespace hydra::inspect

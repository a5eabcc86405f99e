//===- Roofline.h - launch times bounded by a GPU's peaks -------*- C++ -*-===//
//
// hydra-inspect --gpu NAME prints, for each GPU launch whose grid and work
// the bound sizes evaluate, the roofline time: what the launch's FLOPs and
// bytes take at the GPU's peak, scaled by how many of its SMs the grid
// fills. A lower bound, not a prediction: caches, latency and occupancy
// only add to it.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_TOOLS_HYDRA_INSPECT_ROOFLINE_H
#define HYDRA_TOOLS_HYDRA_INSPECT_ROOFLINE_H

#include <string>

namespace hydra::inspect {

/// Datasheet peaks (dense, SXM parts) of one GPU.
struct GpuPeaks {
  const char *name;
  int sms;
  double tensorFlops; // f16/bf16 inputs, f32 accumulation (mma, wgmma)
  double simtFlops;   // f32 FMA on the CUDA cores
  double bandwidth;   // HBM bytes a second
};

/// The peaks of "h100", "h200" or "a100" (any case); null for others.
const GpuPeaks *findGpu(const std::string &name);
/// The names findGpu knows, for messages.
std::string knownGpus();

struct RooflineTime {
  double seconds;
  bool memoryBound;
  double smFill; // min(1, blocks / SMs)
};

/// max(flops / (peak · fill), bytes / (bandwidth · fill)), fill =
/// min(1, blocks / SMs); the tensor-core peak when `tensorCores`.
RooflineTime roofline(const GpuPeaks &gpu, double flops, double bytes,
                      double blocks, bool tensorCores);

} // namespace hydra::inspect

#endif // HYDRA_TOOLS_HYDRA_INSPECT_ROOFLINE_H

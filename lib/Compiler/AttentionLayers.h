//===- AttentionLayers.h - what each attention op of a model is -*- C++ -*-===//
//
// The artifact records each hydra.hybrid_attention of a function (every
// attention of a model becomes one): its head map, kv heads, head sizes,
// rule and name. No program reads it; hydra-inspect shows it (the per-layer
// head maps, as text, JSON and a picture).
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_COMPILER_ATTENTIONLAYERS_H
#define HYDRA_LIB_COMPILER_ATTENTIONLAYERS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace mlir::hydra {

struct AttentionLayerInfo {
  std::string name;  // the op's name in the model, or ""
  std::string heads; // F / L per query head
  unsigned kvHeads = 0, headDim = 0, valueDim = 0;
  std::string updateRule; // "" when every head is F
  bool causal = false;
};

/// The function's hydra.hybrid_attention ops, in program order.
std::vector<AttentionLayerInfo> findAttentionLayers(func::FuncOp func);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_ATTENTIONLAYERS_H

//===- AttentionLayers.cpp - what each attention op of a model is ---------===//

#include "AttentionLayers.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

using namespace mlir;
using namespace mlir::hydra;

/// The first name in `loc`: an ONNX node's name, as the importer gives it.
static std::string nameOf(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = nameOf(part); !name.empty())
        return name;
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return nameOf(callSite.getCallee());
  return "";
}

/// Size `dim` of a [B, H, S, D] operand, 0 when dynamic.
static unsigned dimOf(Value v, unsigned dim) {
  auto type = dyn_cast<ShapedType>(v.getType());
  if (!type || !type.hasRank() || type.getRank() <= dim ||
      type.isDynamicDim(dim))
    return 0;
  return unsigned(type.getDimSize(dim));
}

std::vector<AttentionLayerInfo>
mlir::hydra::findAttentionLayers(func::FuncOp func) {
  std::vector<AttentionLayerInfo> layers;
  func.walk([&](HybridAttentionOp op) {
    AttentionLayerInfo layer;
    layer.name = nameOf(op.getLoc());
    layer.heads = op.getHeads().getKinds().str();
    layer.kvHeads = dimOf(op.getKey(), 1);
    layer.headDim = dimOf(op.getKey(), 3);
    layer.valueDim = dimOf(op.getValue(), 3);
    if (layer.heads.find('L') != std::string::npos)
      layer.updateRule = stringifyUpdateRule(op.getUpdateRule()).str();
    layer.causal = op.getCausal();
    layers.push_back(std::move(layer));
  });
  return layers;
}

//===- HeadMaps.h - each attention layer's F/L heads, shown -----*- C++ -*-===//
//
// The artifact's attention layers (AttentionLayer in the schema): which
// query heads keep softmax attention (F) and which are linear (L), per
// layer, as hydra-inspect's text, its JSON and an SVG picture.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_TOOLS_INSPECT_HEADMAPS_H
#define HYDRA_TOOLS_INSPECT_HEADMAPS_H

#include "hydra_artifact_generated.h"

#include <string>

namespace hydra::inspect {

/// The function's layers as indented text lines ("" when it has none).
std::string headMapsText(const hydra_artifact::Function &f);

/// The function's layers as a JSON array.
std::string headMapsJson(const hydra_artifact::Function &f);

/// An SVG picture of every function's head maps: a row per layer, a cell
/// per query head, F and L in two colours, kv-head groups set apart.
std::string headMapsSvg(const hydra_artifact::Module &m);

} // namespace hydra::inspect

#endif // HYDRA_TOOLS_INSPECT_HEADMAPS_H

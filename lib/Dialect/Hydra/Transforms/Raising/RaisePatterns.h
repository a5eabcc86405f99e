//===- RaisePatterns.h - patterns of the raising passes ---------*- C++ -*-===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_RAISEPATTERNS_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_RAISEPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::hydra {

/// Per-kind groups of heads, concatenated back in head order → one
/// hydra.hybrid_attention.
void populateRaiseHybridGroupsPatterns(RewritePatternSet &patterns);

/// hydra.rms_norm (and a per-head Mul) of a hybrid result → fusion_scale.
void populateRaiseFusionNormPatterns(RewritePatternSet &patterns);

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_RAISEPATTERNS_H

//===- RaiseHybrid.cpp - the hydra-raise-hybrid pass ----------------------===//

#include "Raising/RaisePatterns.h"

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRARAISEHYBRID
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;

namespace {
struct HydraRaiseHybridPass
    : public hydra::impl::HydraRaiseHybridBase<HydraRaiseHybridPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    hydra::populateRaiseHybridGroupsPatterns(patterns);
    hydra::populateRaiseFusionNormPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

//===- ApproximateMath.cpp - polynomial exp and tanh ----------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAAPPROXIMATEMATH
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;

namespace {
struct HydraApproximateMathPass
    : public hydra::impl::HydraApproximateMathBase<HydraApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == "math.exp" || name == "math.tanh";
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

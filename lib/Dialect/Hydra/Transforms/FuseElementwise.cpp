//===- FuseElementwise.cpp - the hydra-fuse-elementwise pass --------------===//
//
// Every unfused elementwise op is a kernel that streams its operands
// through memory once more; a fused chain reads each input once and writes
// once. The control keeps fusion from multiplying work: a producer is
// inlined only where the consumer evaluates it once per element.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAFUSEELEMENTWISE
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
bool readsEachElementOnce(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer)
    return false;
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  return map.isPermutation();
}

struct HydraFuseElementwisePass
    : public hydra::impl::HydraFuseElementwiseBase<HydraFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 readsEachElementOnce);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

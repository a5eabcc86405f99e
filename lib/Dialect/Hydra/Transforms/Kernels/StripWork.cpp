//===- StripWork.cpp - the hydra-strip-work pass --------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRASTRIPWORK
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct HydraStripWorkPass
    : public hydra::impl::HydraStripWorkBase<HydraStripWorkPass> {
  void runOnOperation() override {
    getOperation()->walk([](WorkOp op) { op.erase(); });
  }
};
} // namespace

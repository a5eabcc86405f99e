//===- DropSizeChecks.cpp - the hydra-drop-size-checks pass ---------------===//

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRADROPSIZECHECKS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct HydraDropSizeChecksPass
    : public hydra::impl::HydraDropSizeChecksBase<HydraDropSizeChecksPass> {
  void runOnOperation() override {
    getOperation()->walk([](SizeCheckOp op) { op.erase(); });
  }
};
} // namespace

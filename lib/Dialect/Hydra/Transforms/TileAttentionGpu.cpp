//===- TileAttentionGpu.cpp - the hydra-tile-attention-gpu pass -----------===//

#include "AttentionTiling.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRATILEATTENTIONGPU
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct HydraTileAttentionGpuPass
    : public hydra::impl::HydraTileAttentionGpuBase<HydraTileAttentionGpuPass> {
  void runOnOperation() override {
    FailureOr<SmallVector<Operation *>> parts =
        collectBufferizedParts(getOperation(), "hydra-tile-attention-gpu");
    if (failed(parts))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (Operation *op : *parts) {
      LogicalResult tiled =
          isa<FullAttentionOp>(op)
              ? (canUseMma(cast<FullAttentionOp>(op))
                     ? tileFullAttentionMma(rewriter, cast<FullAttentionOp>(op))
                     : tileFullAttentionGpu(rewriter, cast<FullAttentionOp>(op)))
              : (canUseMma(cast<LinearAttentionOp>(op))
                     ? tileLinearAttentionMma(rewriter,
                                              cast<LinearAttentionOp>(op))
                     : tileLinearAttentionGpu(rewriter,
                                              cast<LinearAttentionOp>(op)));
      if (failed(tiled))
        return signalPassFailure();
    }
  }
};
} // namespace

//===- TileAttentionGpu.cpp - the hydra-tile-attention-gpu pass -----------===//

#include "Tiling/AttentionTiling.h"
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
  using Base::Base;
  void runOnOperation() override {
    FailureOr<SmallVector<Operation *>> parts =
        collectBufferizedParts(getOperation(), "hydra-tile-attention-gpu");
    if (failed(parts))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    // mma.sync m16n8k16 on f16/bf16 and cp.async are sm_80's.
    bool tensorCores = minArch >= 80;
    for (Operation *op : *parts) {
      LogicalResult tiled =
          isa<FullAttentionOp>(op)
              ? (tensorCores && canUseMma(cast<FullAttentionOp>(op))
                     ? tileFullAttentionMma(rewriter, cast<FullAttentionOp>(op))
                     : tileFullAttentionGpu(rewriter,
                                            cast<FullAttentionOp>(op)))
              : (tensorCores && canUseMma(cast<LinearAttentionOp>(op))
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

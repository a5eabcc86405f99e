//===- TileAttention.cpp - the hydra-tile-attention pass ------------------===//

#include "Tiling/AttentionTiling.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRATILEATTENTION
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct HydraTileAttentionPass
    : public hydra::impl::HydraTileAttentionBase<HydraTileAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto [name, size] :
         {std::pair<StringRef, int64_t>{"query-tile", queryTile},
          {"key-tile", keyTile},
          {"chunk-size", chunkSize}})
      if (size <= 0) {
        getOperation()->emitError() << "hydra-tile-attention: '" << name
                                    << "' must be positive, got " << size;
        return signalPassFailure();
      }
    AttentionTiling tiling{queryTile, keyTile, chunkSize};

    FailureOr<SmallVector<Operation *>> parts =
        collectBufferizedParts(getOperation(), "hydra-tile-attention");
    if (failed(parts))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (Operation *op : *parts) {
      if (auto full = dyn_cast<FullAttentionOp>(op))
        tileFullAttention(rewriter, full, tiling);
      else
        tileLinearAttention(rewriter, cast<LinearAttentionOp>(op), tiling);
    }
  }
};
} // namespace

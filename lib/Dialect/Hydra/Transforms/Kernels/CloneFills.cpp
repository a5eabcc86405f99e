//===- CloneFills.cpp - the hydra-clone-fills pass ------------------------===//
//
// One fill a user: a filled tensor read by several ops (CSE's work) would
// bufferize as one filled buffer copied into each user's output.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRACLONEFILLS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
struct HydraCloneFillsPass
    : public hydra::impl::HydraCloneFillsBase<HydraCloneFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    // Program order, so the first user in the text keeps the original.
    DenseMap<Operation *, unsigned> order;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      order[op] = order.size();
      auto fill = dyn_cast<linalg::FillOp>(op);
      if (fill && fill.hasPureTensorSemantics() &&
          !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      auto empty =
          fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
      // Every use but the first gets a fill of its own, of a fresh empty
      // tensor when the fill's was one.
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : fill->getResult(0).getUses())
        uses.push_back(&use);
      llvm::sort(uses, [&](OpOperand *a, OpOperand *b) {
        return std::make_pair(order.lookup(a->getOwner()),
                              a->getOperandNumber()) <
               std::make_pair(order.lookup(b->getOwner()),
                              b->getOperandNumber());
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        IRMapping map;
        if (empty)
          map.map(empty.getResult(), b.clone(*empty)->getResult(0));
        use->set(b.clone(*fill, map)->getResult(0));
      }
    }
  }
};
} // namespace

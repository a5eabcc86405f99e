//===- WrapHostOps.cpp - leftover computations → one-iteration loops ------===//
//
// The artifact's host program can only allocate, describe views and launch
// kernels; anything else that computes must run inside a kernel.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAWRAPHOSTOPS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// Whether `op` may stay in a host program as it is.
bool isHostOp(Operation *op) {
  if (isa<memref::AllocOp, memref::DeallocOp, memref::DimOp,
          memref::GetGlobalOp, func::ReturnOp, scf::ForallOp, LaunchOp,
          ViewLikeOpInterface>(op))
    return true;
  // Pure scalar work (sizes, constants) is recomputed where needed.
  return isMemoryEffectFree(op) && op->getNumRegions() == 0 &&
         llvm::none_of(op->getResultTypes(), [](Type t) {
           return isa<TensorType, BaseMemRefType>(t);
         });
}

struct HydraWrapHostOpsPass
    : public hydra::impl::HydraWrapHostOpsBase<HydraWrapHostOpsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr(kKernelAttrName) || func.isExternal())
      return;
    SmallVector<Operation *> toWrap;
    for (Operation &op : func.getBody().front())
      if (!isHostOp(&op))
        toWrap.push_back(&op);
    for (Operation *op : toWrap) {
      if (op->getNumResults() != 0) {
        op->emitOpError() << "not supported: a value-producing op left in a "
                             "host function after bufferization";
        return signalPassFailure();
      }
      OpBuilder b(op);
      auto forall = scf::ForallOp::create(
          b, op->getLoc(), ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{},
          std::nullopt);
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        b.setInsertionPoint(forall.getBody()->getTerminator());
        linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                               copy.getTarget());
        copy.erase();
        continue;
      }
      op->moveBefore(forall.getBody()->getTerminator());
    }
  }
};
} // namespace

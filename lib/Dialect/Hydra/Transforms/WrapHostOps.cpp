//===- WrapHostOps.cpp - leftover computations → one-iteration loops ------===//
//
// The artifact's host program can only allocate, describe views and launch
// kernels; anything else that computes must run inside a kernel.
//
//===----------------------------------------------------------------------===//

#include "WorkEstimate.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

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
/// hydra.work for an ordinary operator: each iteration of a linalg op does
/// the arithmetic of its body once; every operand is read or written once.
void emitWork(OpBuilder &b, linalg::LinalgOp op) {
  Location loc = op.getLoc();
  WorkEstimate work;
  SmallVector<Value> iterations;
  for (Range range : op.createLoopRanges(b, loc))
    iterations.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  double perIteration = 0;
  for (Operation &inner : op->getRegion(0).front().without_terminator())
    perIteration += inner.getDialect() &&
                    (inner.getDialect()->getNamespace() == "arith" ||
                     inner.getDialect()->getNamespace() == "math");
  work.flops(perIteration, iterations);
  for (OpOperand &operand : op->getOpOperands())
    if (isa<MemRefType>(operand.get().getType()))
      work.bytesOf(b, loc, operand.get());
  work.emit(b, loc);
}

/// Whether `op` may stay in a host program as it is.
bool isHostOp(Operation *op) {
  if (isa<memref::AllocOp, memref::DeallocOp, memref::DimOp,
          memref::GetGlobalOp, func::ReturnOp, scf::ForallOp, LaunchOp,
          ViewLikeOpInterface>(op) ||
      isArgumentElementRead(op))
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
        op = linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                                    copy.getTarget());
        copy.erase();
      } else {
        op->moveBefore(forall.getBody()->getTerminator());
      }
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        b.setInsertionPoint(op);
        emitWork(b, linalgOp);
      }
    }
  }
};
} // namespace

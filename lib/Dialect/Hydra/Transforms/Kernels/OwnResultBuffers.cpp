//===- OwnResultBuffers.cpp - every result a fresh buffer -----------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAOWNRESULTBUFFERS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// Turns `view = reshape(alloc)` around: a new allocation of the view's
/// type, with `alloc`'s users reading the inverse reshape of it. Returns
/// the new allocation, or null when the shapes are not all static.
Value invertReshape(Operation *view, memref::AllocOp alloc) {
  auto viewType = cast<MemRefType>(view->getResult(0).getType());
  if (!viewType.hasStaticShape() || !alloc.getType().hasStaticShape() ||
      !viewType.getLayout().isIdentity())
    return nullptr;
  OpBuilder b(alloc);
  auto fresh = memref::AllocOp::create(b, alloc.getLoc(), viewType);
  fresh->setAttrs(alloc->getAttrs());
  Value inverse;
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(view))
    inverse =
        memref::ExpandShapeOp::create(b, alloc.getLoc(), alloc.getType(), fresh,
                                      collapse.getReassociationIndices());
  else
    inverse = memref::CollapseShapeOp::create(
        b, alloc.getLoc(), fresh,
        cast<memref::ExpandShapeOp>(view).getReassociationIndices());
  if (inverse.getType() != alloc.getType())
    return nullptr;
  alloc.getResult().replaceAllUsesWith(inverse);
  alloc.erase();
  return fresh;
}

/// A fresh allocation holding a copy of `value`, made just before `before`.
Value copyToFresh(Value value, Operation *before) {
  OpBuilder b(before);
  Location loc = before->getLoc();
  auto type = cast<MemRefType>(value.getType());
  auto freshType = MemRefType::get(type.getShape(), type.getElementType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, value, d));
  Value fresh = memref::AllocOp::create(b, loc, freshType, sizes);
  memref::CopyOp::create(b, loc, value, fresh);
  return fresh;
}

struct HydraOwnResultBuffersPass
    : public hydra::impl::HydraOwnResultBuffersBase<HydraOwnResultBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || func->hasAttr(kKernelAttrName))
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    DenseSet<Value> returned;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      if (!isa<MemRefType>(v.getType()))
        continue;
      Operation *def = v.getDefiningOp();
      bool fresh = def && isa<memref::AllocOp>(def) && !returned.count(v) &&
                   cast<MemRefType>(v.getType()).getLayout().isIdentity();
      if (!fresh && def &&
          isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(def) &&
          !returned.count(v)) {
        if (auto alloc = def->getOperand(0).getDefiningOp<memref::AllocOp>()) {
          if (Value owned = invertReshape(def, alloc)) {
            def->getResult(0).replaceAllUsesWith(owned);
            def->erase();
            v = owned;
            fresh = true;
          }
        }
      }
      if (!fresh)
        v = copyToFresh(v, ret);
      operand.set(v);
      returned.insert(v);
    }
  }
};
} // namespace

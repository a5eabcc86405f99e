//===- WrapHostOps.cpp - leftover computations → one-iteration loops ------===//
//
// The artifact's host program can only allocate, describe views and launch
// kernels; anything else that computes must run inside a kernel.
//
//===----------------------------------------------------------------------===//

#include "Tiling/KernelBuilder.h"
#include "Tiling/WorkEstimate.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"
#include "hydra/Dialect/Hydra/Utils/BufferViews.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
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
    perIteration +=
        inner.getDialect() && (inner.getDialect()->getNamespace() == "arith" ||
                               inner.getDialect()->getNamespace() == "math");
  work.flops(perIteration, iterations);
  for (OpOperand &operand : op->getOpOperands())
    if (isa<MemRefType>(operand.get().getType()))
      work.bytesOf(b, loc, operand.get());
  work.emit(b, loc);
}

/// Whether computing `size` reads an element of an input.
bool readsData(Value size) {
  SmallVector<Value> work = {size};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || !seen.insert(v).second)
      continue;
    if (isArgumentElementRead(def) || isa<memref::LoadOp>(def))
      return true;
    if (isa<memref::DimOp>(def))
      continue;
    llvm::append_range(work, def->getOperands());
  }
  return false;
}

/// Elements of a one-dimensional op per parallel iteration.
constexpr int64_t kChunk = 4096;

/// What a wrapped op computes, for the name of its kernel: an elementwise
/// or reducing generic, else the op's own name ("copy", "fill", "matmul").
std::string computesOf(Operation *op) {
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return llvm::all_of(generic.getIteratorTypesArray(),
                        [](utils::IteratorType t) {
                          return t == utils::IteratorType::parallel;
                        })
               ? "elementwise"
               : "reduction";
  std::string name;
  for (char c : op->getName().stripDialect())
    name += llvm::isAlnum(c) ? c : '_';
  return name;
}

/// Splits a linalg op across an scf.forall over its leading parallel loops
/// (all but the innermost loop, which stays whole so that it vectorizes;
/// a one-loop op in chunks of kChunk): each iteration runs the op on views
/// of its operands at the iteration's index, so the runtime's thread pool
/// shares the work. Ops that read their loop indices (linalg.index), or
/// whose operands are not indexed by plain loop dimensions, are left alone
/// (null).
scf::ForallOp wrapParallel(OpBuilder &b, linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.hasIndexSemantics())
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t loops = iterators.size(), split = 0;
  if (loops == 0) // a scalar op: nothing to split
    return {};
  while (split < std::max<int64_t>(loops - 1, 1) &&
         iterators[split] == utils::IteratorType::parallel)
    ++split;
  if (split == 0)
    return {};
  int64_t chunk = loops == 1 ? kChunk : 1;
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(e))
        return {};
  // An empty operand: nothing to share (and no view of it at an index).
  for (Value v : op->getOperands())
    if (auto type = dyn_cast<MemRefType>(v.getType()))
      if (llvm::is_contained(type.getShape(), 0))
        return {};
  Location loc = op.getLoc();
  b.setInsertionPoint(op);
  SmallVector<Value> sizes;
  for (Range range : op.createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  // A grid is made of input sizes; a size read from an input's data (a
  // Split's sizes given at run time) keeps the op in one iteration.
  for (int64_t d = 0; d < split; ++d)
    if (readsData(sizes[d]))
      return {};
  SmallVector<OpFoldResult> lbs, ubs, steps;
  for (int64_t d = 0; d < split; ++d) {
    lbs.push_back(b.getIndexAttr(0));
    steps.push_back(b.getIndexAttr(1));
    ubs.push_back(chunk == 1
                      ? OpFoldResult(sizes[d])
                      : OpFoldResult(arith::CeilDivUIOp::create(
                            b, loc, sizes[d],
                            arith::ConstantIndexOp::create(b, loc, chunk))));
  }
  auto forall = scf::ForallOp::create(b, loc, lbs, ubs, steps, ValueRange{},
                                      std::nullopt);
  forall->setAttr(kComputesAttrName, b.getStringAttr(computesOf(op)));
  b.setInsertionPoint(forall.getBody()->getTerminator());
  emitWork(b, op);
  SmallVector<Value> ivs = forall.getInductionVars();
  SmallVector<Value> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    Value v = operand.get();
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type) {
      operands.push_back(v);
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<OpFoldResult> offsets, viewSizes,
        strides(type.getRank(), b.getIndexAttr(1));
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || int64_t(d.getPosition()) >= split) {
        offsets.push_back(b.getIndexAttr(0));
        viewSizes.push_back(memref::getMixedSize(b, loc, v, i));
        continue;
      }
      Value iv = ivs[d.getPosition()];
      if (chunk == 1) {
        offsets.push_back(iv);
        viewSizes.push_back(b.getIndexAttr(1));
        continue;
      }
      Value start = arith::MulIOp::create(
          b, loc, iv, arith::ConstantIndexOp::create(b, loc, chunk));
      Value rest = arith::SubIOp::create(b, loc, sizes[d.getPosition()], start);
      offsets.push_back(start);
      viewSizes.push_back(Value(arith::MinUIOp::create(
          b, loc, rest, arith::ConstantIndexOp::create(b, loc, chunk))));
    }
    operands.push_back(
        memref::SubViewOp::create(b, loc, v, offsets, viewSizes, strides));
  }
  clone(b, op.getOperation(), TypeRange{}, operands);
  op->erase();
  return forall;
}

/// The address of a view's first element, as an index.
Value firstElementAddress(OpBuilder &b, Location loc, Value view) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, view);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, view);
  int64_t bytes = cast<MemRefType>(view.getType()).getElementTypeBitWidth() / 8;
  return arith::AddIOp::create(
      b, loc, base,
      arith::MulIOp::create(b, loc, meta.getOffset(),
                            arith::ConstantIndexOp::create(b, loc, bytes)));
}

/// Makes each linalg.copy in `forall` do nothing when its source and
/// target are the same memory: a cache updated in place (docs/runtime.md)
/// has its past "copied" onto itself, which would read and write every
/// byte of it for nothing.
void skipSelfCopies(scf::ForallOp forall) {
  SmallVector<linalg::CopyOp> copies;
  forall.walk([&](linalg::CopyOp c) { copies.push_back(c); });
  for (linalg::CopyOp copy : copies) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value from = firstElementAddress(b, loc, copy.getInputs()[0]);
    Value to = firstElementAddress(b, loc, copy.getOutputs()[0]);
    Value differ =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, from, to);
    auto guard = scf::IfOp::create(b, loc, differ, /*withElseRegion=*/false);
    copy->moveBefore(guard.thenBlock()->getTerminator());
  }
}

/// Whether `op` may stay in a host program as it is.
bool isHostOp(Operation *op) {
  if (isa<memref::AllocOp, memref::DeallocOp, memref::DimOp,
          memref::GetGlobalOp, func::ReturnOp, scf::ForallOp, LaunchOp>(op) ||
      isBufferView(op) || isArgumentElementRead(op))
    return true;
  // Pure scalar work (sizes, constants) is recomputed where needed.
  return isMemoryEffectFree(op) && op->getNumRegions() == 0 &&
         llvm::none_of(op->getResultTypes(), [](Type t) {
           return isa<TensorType, BaseMemRefType>(t);
         });
}

struct HydraWrapHostOpsPass
    : public hydra::impl::HydraWrapHostOpsBase<HydraWrapHostOpsPass> {
  using Base::Base;

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
      // A copy runs as linalg.copy: loops in the kernel, not a call into a
      // runtime library.
      bool isCopy = false;
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        op = linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                                    copy.getTarget());
        b.setInsertionPoint(op);
        copy.erase();
        isCopy = true;
      }
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
        if (splitParallel)
          if (scf::ForallOp forall = wrapParallel(b, linalgOp)) {
            if (isCopy)
              skipSelfCopies(forall);
            continue;
          }
      auto forall = scf::ForallOp::create(
          b, op->getLoc(), ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{},
          std::nullopt);
      forall->setAttr(kComputesAttrName, b.getStringAttr(computesOf(op)));
      op->moveBefore(forall.getBody()->getTerminator());
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        b.setInsertionPoint(op);
        emitWork(b, linalgOp);
      }
      if (isCopy)
        skipSelfCopies(forall);
    }
  }
};
} // namespace

//===- DistributeHostOps.cpp - ordinary operators over GPU threads --------===//
//
// On the CPU an ordinary operator is one kernel iteration: it is small
// next to attention and a core runs it fast. On a GPU one thread would
// take it over the whole run, so its parallel loops are spread over every
// thread of a grid of blocks (a grid-stride loop: any number of blocks
// covers any size, which keeps the grid a constant in the artifact).
//
//===----------------------------------------------------------------------===//

#include "Gpu/GpuKernelBuilder.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

#include <algorithm>

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRADISTRIBUTEHOSTOPS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
constexpr int64_t kThreads = 256;
constexpr int64_t kMaxBlocks = 1024;
constexpr int64_t kDynamicBlocks = 256;

/// The linalg op a one-iteration host-op forall wraps, if that is all it
/// holds (besides its hydra.work and the sizes that uses).
linalg::LinalgOp wrappedOp(scf::ForallOp forall) {
  if (forall->hasAttr(kBlockSizeAttrName) || forall.getRank() != 1 ||
      !isConstantIntValue(forall.getMixedUpperBound()[0], 1))
    return nullptr;
  linalg::LinalgOp found;
  for (Operation &op : forall.getBody()->without_terminator()) {
    if (isa<WorkOp>(op) || (isPure(&op) && op.getNumRegions() == 0))
      continue;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || found || !linalgOp.hasPureBufferSemantics())
      return nullptr;
    found = linalgOp;
  }
  return found;
}

LogicalResult distribute(scf::ForallOp forall, linalg::LinalgOp op) {
  IRRewriter rewriter(op.getContext());
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops =
      linalg::linalgOpToParallelLoops(rewriter, op);
  if (failed(loops))
    return op.emitOpError() << "cannot be lowered to parallel loops";
  // The loops compute what the op did; left in place, every thread would
  // run the whole op again after its share (twice over in-place operands).
  rewriter.eraseOp(op);
  auto parallel = loops->empty() ? scf::ParallelOp()
                                 : dyn_cast<scf::ParallelOp>(loops->front());
  if (!parallel)
    return success(); // no parallel loop outermost: one thread does it

  // The number of iterations, and from it the grid.
  OpBuilder b(forall);
  Location loc = parallel.getLoc();
  int64_t staticTotal = 1;
  bool isStatic = true;
  for (auto [lb, ub, step] :
       llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                 parallel.getStep())) {
    // linalg's loops start at 0 with step 1; anything else stays as it is
    // (one thread runs it).
    if (!isConstantIntValue(lb, 0) || !isConstantIntValue(step, 1))
      return success();
    std::optional<int64_t> u = getConstantIntValue(ub);
    isStatic &= u.has_value();
    staticTotal *= u.value_or(1);
  }
  int64_t blocks =
      isStatic ? std::clamp<int64_t>((staticTotal + kThreads - 1) / kThreads, 1,
                                     kMaxBlocks)
               : kDynamicBlocks;

  // forall (blocks) { for i = block·256 + tid; i < total; i += blocks·256 }
  b.setInsertionPoint(parallel);
  KernelBuilder kb(b, loc);
  Value total = kb.index(1);
  SmallVector<Value> extents(parallel.getUpperBound());
  for (Value extent : extents)
    total = arith::MulIOp::create(b, loc, total, extent);
  Value thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value block = forall.getInductionVars()[0];
  Value first = kb.add(kb.mul(block, kThreads), thread);
  kb.loop(first, total, kb.index(blocks * kThreads), [&](Value flat) {
    IRMapping map;
    Value rest = flat;
    SmallVector<Value> ivs(extents.size());
    for (int64_t d = int64_t(extents.size()) - 1; d >= 0; --d) {
      Value idx = d ? arith::RemUIOp::create(b, loc, rest, extents[d]) : rest;
      if (d)
        rest = arith::DivUIOp::create(b, loc, rest, extents[d]);
      ivs[d] = idx;
    }
    for (auto [iv, value] : llvm::zip(parallel.getInductionVars(), ivs))
      map.map(iv, value);
    for (Operation &inner : parallel.getBody()->without_terminator())
      b.clone(inner, map);
  });
  parallel.erase();
  forall.setStaticUpperBound({blocks});
  forall->setAttr(kBlockSizeAttrName, b.getI64IntegerAttr(kThreads));
  return success();
}

struct HydraDistributeHostOpsPass
    : public hydra::impl::HydraDistributeHostOpsBase<
          HydraDistributeHostOpsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr(kKernelAttrName))
      return;
    SmallVector<std::pair<scf::ForallOp, linalg::LinalgOp>> work;
    for (auto forall : func.getBody().getOps<scf::ForallOp>())
      if (linalg::LinalgOp op = wrappedOp(forall))
        work.push_back({forall, op});
    for (auto [forall, op] : work)
      if (failed(distribute(forall, op)))
        return signalPassFailure();
  }
};
} // namespace

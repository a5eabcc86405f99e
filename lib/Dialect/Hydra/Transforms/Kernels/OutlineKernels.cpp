//===- OutlineKernels.cpp - scf.forall → kernel + hydra.launch ------------===//
//
// Splits host work from device work. A kernel runs any sub-range of its
// forall's flattened iteration space, so the runtime can hand ranges to CPU
// threads (or, later, map them to GPU blocks) without the kernel knowing.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "Gpu/GpuKernelBuilder.h"
#include "hydra/Dialect/Hydra/Utils/BufferViews.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRAOUTLINEKERNELS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// What a forall reads from the enclosing function.
struct Captures {
  SmallVector<Value> buffers;         // become kernel arguments
  SmallVector<Operation *> recompute; // pure index computations, in order
};

/// Collects the ops that compute `value` from buffers and constants, adding
/// the buffers to `captures`. Fails, with an error, on anything else.
static LogicalResult collectScalar(Value value, Captures &captures,
                                   DenseSet<Operation *> &seen,
                                   Operation *forall) {
  if (isa<BaseMemRefType>(value.getType())) {
    // A view of a buffer (a transposed one too) is recomputed in the kernel
    // from the buffer, so kernels only ever take whole buffers.
    Operation *def = value.getDefiningOp();
    if (def && isBufferView(def) && isMemoryEffectFree(def)) {
      if (!seen.insert(def).second)
        return success();
      for (Value operand : def->getOperands())
        if (failed(collectScalar(operand, captures, seen, forall)))
          return failure();
      captures.recompute.push_back(def);
      return success();
    }
    if (!llvm::is_contained(captures.buffers, value))
      captures.buffers.push_back(value);
    return success();
  }
  Operation *def = value.getDefiningOp();
  if (!def)
    return forall->emitOpError()
           << "not supported by hydra-outline-kernels: the loop reads a "
              "non-buffer function argument of type "
           << value.getType();
  if (!seen.insert(def).second)
    return success();
  // A size read from an input's data (a Reshape's shape given as a graph
  // input): the kernel reads the same element of the same buffer, which
  // no launch writes.
  if (isArgumentElementRead(def)) {
    for (Value operand : def->getOperands())
      if (failed(collectScalar(operand, captures, seen, forall)))
        return failure();
    captures.recompute.push_back(def);
    return success();
  }
  if (!isMemoryEffectFree(def) || def->getNumRegions() != 0)
    return forall->emitOpError()
           << "not supported by hydra-outline-kernels: the loop reads a "
              "value computed by '"
           << def->getName() << "', which cannot be recomputed in a kernel";
  for (Value operand : def->getOperands())
    if (failed(collectScalar(operand, captures, seen, forall)))
      return failure();
  captures.recompute.push_back(def);
  return success();
}

static FailureOr<Captures> collectCaptures(scf::ForallOp forall) {
  Captures captures;
  DenseSet<Operation *> seen;
  SetVector<Value> above;
  getUsedValuesDefinedAbove(forall.getRegion(), above);
  SmallVector<Value> needed(forall.getDynamicUpperBound());
  needed.append(above.begin(), above.end());
  for (Value v : needed)
    if (failed(collectScalar(v, captures, seen, forall)))
      return failure();
  // Kernel arguments in a stable order: function arguments by position,
  // then buffers made in the function in program order.
  llvm::stable_sort(captures.buffers, [](Value a, Value b) {
    auto argA = dyn_cast<BlockArgument>(a), argB = dyn_cast<BlockArgument>(b);
    if (argA && argB)
      return argA.getArgNumber() < argB.getArgNumber();
    if (argA || argB)
      return bool(argA);
    return a.getDefiningOp()->isBeforeInBlock(b.getDefiningOp());
  });
  // Recompute in the function's order so every def precedes its uses.
  llvm::sort(captures.recompute,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return captures;
}

static bool isZero(OpFoldResult ofr) { return isConstantIntValue(ofr, 0); }
static bool isOne(OpFoldResult ofr) { return isConstantIntValue(ofr, 1); }

static LogicalResult outline(scf::ForallOp forall, func::FuncOp host,
                             unsigned index, SymbolTable &symbols, bool gpu) {
  if (!forall.getOutputs().empty() ||
      !llvm::all_of(forall.getMixedLowerBound(), isZero) ||
      !llvm::all_of(forall.getMixedStep(), isOne))
    return forall->emitOpError()
           << "not supported by hydra-outline-kernels: only loops from 0 "
              "with step 1 and no shared outputs become kernels";
  FailureOr<Captures> captures = collectCaptures(forall);
  if (failed(captures))
    return failure();

  Location loc = forall.getLoc();
  OpBuilder b(host);
  SmallVector<Type> argTypes;
  for (Value buffer : captures->buffers)
    argTypes.push_back(buffer.getType());
  argTypes.append({b.getIndexType(), b.getIndexType()});
  // Named after what it computes, where the pass that made the loop says.
  auto computes = forall->getAttrOfType<StringAttr>(kComputesAttrName);
  std::string name = (host.getSymName() + "_k" + Twine(index) + "_" +
                      (computes ? computes.getValue() : StringRef("loop")))
                         .str();
  auto kernel =
      func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  kernel->setAttr(kKernelAttrName, b.getUnitAttr());
  symbols.insert(kernel);
  Block *entry = kernel.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping map;
  for (auto [buffer, arg] : llvm::zip(captures->buffers, entry->getArguments()))
    map.map(buffer, arg);
  for (Operation *op : captures->recompute)
    b.clone(*op, map);
  SmallVector<Value> upper;
  for (OpFoldResult ub : forall.getMixedUpperBound()) {
    if (auto v = dyn_cast<Value>(ub))
      upper.push_back(map.lookup(v));
    else
      upper.push_back(arith::ConstantIndexOp::create(
          b, loc, cast<IntegerAttr>(cast<Attribute>(ub)).getInt()));
  }

  unsigned numBuffers = captures->buffers.size();
  Value begin = entry->getArgument(numBuffers);
  Value end = entry->getArgument(numBuffers + 1);
  Value flat;
  if (gpu) {
    // One block an iteration; blocks past `end` do nothing.
    auto blockSize = forall->getAttrOfType<IntegerAttr>(kBlockSizeAttrName);
    kernel->setAttr(kBlockSizeAttrName,
                    b.getI64IntegerAttr(blockSize ? blockSize.getInt() : 1));
    flat = arith::AddIOp::create(
        b, loc, begin, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, flat, end);
    auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  } else {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, begin, end, one);
    b.setInsertionPointToStart(loop.getBody());
    flat = loop.getInductionVar();
  }
  // Row-major delinearization: the last forall dimension varies fastest.
  SmallVector<Value> ivs(upper.size());
  Value rest = flat;
  for (int64_t d = upper.size() - 1; d > 0; --d) {
    ivs[d] = arith::RemUIOp::create(b, loc, rest, upper[d]);
    rest = arith::DivUIOp::create(b, loc, rest, upper[d]);
  }
  ivs[0] = rest;
  for (auto [iv, mapped] : llvm::zip(forall.getInductionVars(), ivs))
    map.map(iv, mapped);
  for (Operation &op : forall.getBody()->without_terminator())
    b.clone(op, map);
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);

  b.setInsertionPoint(forall);
  SmallVector<Value> grid;
  for (OpFoldResult ub : forall.getMixedUpperBound()) {
    if (auto v = dyn_cast<Value>(ub))
      grid.push_back(v);
    else
      grid.push_back(arith::ConstantIndexOp::create(
          b, loc, cast<IntegerAttr>(cast<Attribute>(ub)).getInt()));
  }
  LaunchOp::create(b, loc, FlatSymbolRefAttr::get(kernel.getSymNameAttr()),
                   grid, captures->buffers);
  forall.erase();
  return success();
}

struct HydraOutlineKernelsPass
    : public hydra::impl::HydraOutlineKernelsBase<HydraOutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> hosts;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func->hasAttr(kKernelAttrName) && !func.isExternal())
        hosts.push_back(func);
    for (func::FuncOp host : hosts) {
      SmallVector<scf::ForallOp> loops(host.getBody().getOps<scf::ForallOp>());
      for (auto [i, forall] : llvm::enumerate(loops))
        if (failed(outline(forall, host, i, symbols, gpu)))
          return signalPassFailure();
    }
  }
};
} // namespace

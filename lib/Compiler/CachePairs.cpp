//===- CachePairs.cpp - which outputs continue which inputs ---------------===//

#include "CachePairs.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <set>

using namespace mlir;
using namespace mlir::hydra;
namespace fb = ::hydra_artifact;

/// `v` through tensor.cast, which only changes which sizes are static.
static Value throughCasts(Value v) {
  while (auto cast = v.getDefiningOp<tensor::CastOp>())
    v = cast.getSource();
  return v;
}

/// The argument number of `v`, a block argument of `func`, else -1.
static int64_t argumentOf(func::FuncOp func, Value v) {
  auto arg = dyn_cast<BlockArgument>(throughCasts(v));
  if (!arg || arg.getOwner() != &func.getBody().front())
    return -1;
  return arg.getArgNumber();
}

/// Whether an append `present` = concat(argument `input`, new) may be
/// computed in the argument's buffer: the length along the axis is dynamic
/// (so kernels read the outer strides from the buffer's descriptor), the
/// past is read by the concat alone,
/// and the present only by the hybrid ops that attend it (their kernels
/// index through the buffer's strides) and the return. Kernels of other
/// readers may assume a dense layout.
static bool updatableInPlace(func::FuncOp func, int64_t input, Value present) {
  auto concat = present.getDefiningOp<tensor::ConcatOp>();
  if (!concat)
    return false;
  // A static length along the axis makes the outer strides static in the
  // kernels' types: they would ignore the buffer's room.
  int64_t axis = concat.getDim();
  if (!cast<ShapedType>(func.getArgumentTypes()[input]).isDynamicDim(axis) ||
      !concat.getResultType().isDynamicDim(axis))
    return false;
  Value past = func.getArgument(input);
  for (Operation *user : past.getUsers())
    if (user != concat.getOperation())
      return false;
  for (OpOperand &use : concat.getResult().getUses()) {
    Operation *user = use.getOwner();
    if (isa<func::ReturnOp>(user))
      continue;
    auto hybrid = dyn_cast<HybridAttentionOp>(user);
    if (!hybrid || (use.get() != hybrid.getFullKey() &&
                    use.get() != hybrid.getFullValue()) ||
        use.get() == hybrid.getKey() || use.get() == hybrid.getValue())
      return false;
  }
  return true;
}

std::vector<fb::CachePair> mlir::hydra::findCachePairs(func::FuncOp func) {
  std::vector<fb::CachePair> pairs;
  if (func.isExternal())
    return pairs;
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  std::set<int64_t> usedInputs;
  for (auto [i, result] : llvm::enumerate(ret.getOperands())) {
    Value value = throughCasts(result);
    Type resultType = cast<ShapedType>(result.getType()).getElementType();
    int64_t input = -1;
    fb::CacheKind kind = fb::CacheKind::append;
    int32_t axis = 0;
    if (auto concat = value.getDefiningOp<tensor::ConcatOp>()) {
      input = argumentOf(func, concat.getInputs().front());
      axis = int32_t(concat.getDim());
    } else if (auto hybrid = value.getDefiningOp<HybridAttentionOp>()) {
      if (value == hybrid.getFinalState() && hybrid.getInitialState()) {
        input = argumentOf(func, hybrid.getInitialState());
        kind = fb::CacheKind::state;
      }
    }
    if (input < 0 || usedInputs.count(input))
      continue;
    auto inputType = cast<ShapedType>(func.getArgumentTypes()[input]);
    if (inputType.getElementType() != resultType ||
        inputType.getRank() != cast<ShapedType>(result.getType()).getRank())
      continue;
    usedInputs.insert(input);
    pairs.push_back(fb::CachePair(uint32_t(input), uint32_t(i), kind,
                                  updatableInPlace(func, input, value), axis));
  }
  return pairs;
}

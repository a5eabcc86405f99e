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
    pairs.push_back(fb::CachePair(uint32_t(input), uint32_t(i), kind, axis));
  }
  return pairs;
}

//===- LinalgMatchers.cpp - recognizing imported linalg ops ---------------===//

#include "Raising/LinalgMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::hydra;

std::optional<ElementwiseOp> mlir::hydra::matchElementwise(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInits() != 1 || g->getNumResults() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops() ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  Block &body = g.getRegion().front();
  if (!body.getArguments().back().use_empty() ||
      body.getOperations().size() != 2)
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *scalar = &body.front();
  if (yield.getValues().size() != 1 ||
      yield.getValues()[0] != scalar->getResult(0))
    return std::nullopt;
  ElementwiseOp e{g, scalar, {}, {}};
  for (Value operand : scalar->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg || arg.getOwner() != &body ||
        arg.getArgNumber() >= g.getNumDpsInputs())
      return std::nullopt;
    OpOperand *in = g.getDpsInputOperand(arg.getArgNumber());
    e.operands.push_back(in->get());
    e.maps.push_back(g.getMatchingIndexingMap(in));
  }
  return e;
}

std::optional<double> mlir::hydra::splatValue(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

bool mlir::hydra::isNumpyBroadcast(AffineMap map, ArrayRef<int64_t> shape) {
  int64_t rank = shape.size(), loops = map.getNumDims();
  if (map.getNumResults() != rank || rank > loops)
    return false;
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr e = map.getResult(i);
    if (e == getAffineDimExpr(loops - rank + i, map.getContext()))
      continue;
    if (shape[i] != 1 || e != getAffineConstantExpr(0, map.getContext()))
      return false;
  }
  return true;
}

std::optional<std::pair<Value, Value>> mlir::hydra::matchBatchMatmul(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 5 || g.getNumReductionLoops() != 1)
    return std::nullopt;
  MLIRContext *ctx = g.getContext();
  auto map = [&](ArrayRef<unsigned> dims) {
    SmallVector<AffineExpr> e;
    for (unsigned d : dims)
      e.push_back(getAffineDimExpr(d, ctx));
    return AffineMap::get(5, 0, e, ctx);
  };
  SmallVector<AffineMap> want = {map({0, 1, 2, 4}), map({0, 1, 4, 3}),
                                 map({0, 1, 2, 3})};
  if (g.getIndexingMapsArray() != want)
    return std::nullopt;
  // acc + a·b, from a zero fill.
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value acc = body.getArgument(2), product = add.getRhs();
  if (add.getLhs() != acc)
    std::swap(acc, product);
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (acc != body.getArgument(2) || !mul ||
      !((mul.getLhs() == body.getArgument(0) &&
         mul.getRhs() == body.getArgument(1)) ||
        (mul.getLhs() == body.getArgument(1) &&
         mul.getRhs() == body.getArgument(0))))
    return std::nullopt;
  auto fill = g.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return std::nullopt;
  return std::make_pair(g.getDpsInputOperand(0)->get(),
                        g.getDpsInputOperand(1)->get());
}

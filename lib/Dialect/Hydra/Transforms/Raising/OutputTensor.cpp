//===- OutputTensor.cpp - destinations of the attention part ops ----------===//

#include "Raising/OutputTensor.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value hydra::createAttentionOutput(OpBuilder &b, Location loc, Value query,
                                   Value value, int64_t numHeads) {
  auto q = cast<RankedTensorType>(query.getType());
  auto v = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = {q.getDimSize(0), numHeads, q.getDimSize(2),
                                v.getDimSize(3)};
  SmallVector<Value> dynamicSizes;
  for (unsigned dim : {0u, 2u})
    if (q.isDynamicDim(dim))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, query, dim));
  return tensor::EmptyOp::create(b, loc, shape, q.getElementType(),
                                 dynamicSizes);
}

Value hydra::createStateOutput(OpBuilder &b, Location loc, Type type,
                               Value query) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<Value> dynamicSizes;
  if (t.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, query, 0));
  return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType(),
                                 dynamicSizes);
}

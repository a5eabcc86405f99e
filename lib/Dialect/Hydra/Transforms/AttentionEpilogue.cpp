//===- AttentionEpilogue.cpp - pieces shared by both tiled paths ----------===//

#include "AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

Value hydra::emitHeadIndex(KernelBuilder &kb, ArrayRef<int64_t> heads,
                           Value n) {
  // A run of consecutive heads is an offset; any other set is a lookup in
  // a constant vector.
  bool consecutive = true;
  for (size_t i = 1; i < heads.size(); ++i)
    consecutive &= heads[i] == heads[0] + int64_t(i);
  if (consecutive)
    return heads[0] == 0 ? n : kb.add(n, kb.index(heads[0]));
  OpBuilder &b = kb.builder();
  auto tableType = VectorType::get({int64_t(heads.size())}, b.getIndexType());
  Value table = arith::ConstantOp::create(
      b, kb.getLoc(),
      DenseElementsAttr::get(tableType, llvm::to_vector(llvm::map_range(
                                            heads, [&](int64_t h) -> Attribute {
                                              return b.getIndexAttr(h);
                                            }))));
  return kb.extract(table, n);
}

void hydra::emitEpilogueStore(KernelBuilder &kb, Value row, Value out,
                              ValueRange outIdx, Value fusionScale, Value head,
                              float epsilon) {
  int64_t dv = cast<VectorType>(row.getType()).getDimSize(0);
  if (fusionScale) {
    Value meanSquare = kb.divf(kb.dot(row, row), kb.f32(float(dv)));
    Value inv = math::RsqrtOp::create(kb.builder(), kb.getLoc(),
                                      kb.addf(meanSquare, kb.f32(epsilon)));
    Value gamma = kb.loadRow(fusionScale, ValueRange{head}, dv);
    row = kb.mulf(kb.mulf(row, kb.splat(inv, dv)), gamma);
  }
  kb.storeRow(row, out, outIdx);
}

//===- WorkEstimate.cpp - building hydra.work ops -------------------------===//

#include "Tiling/WorkEstimate.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::hydra;

void WorkEstimate::add(SmallVector<Term> &terms, double c,
                       ArrayRef<Value> factors) {
  Term term{c, {}};
  for (Value f : factors) {
    if (std::optional<int64_t> k = getConstantIntValue(f)) {
      term.coefficient *= double(*k);
      continue;
    }
    auto it = llvm::find(sizes_, f);
    term.sizes.push_back(it - sizes_.begin());
    if (it == sizes_.end())
      sizes_.push_back(f);
  }
  terms.push_back(std::move(term));
}

void WorkEstimate::bytesOf(OpBuilder &b, Location loc, Value memref,
                           double times) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<Value> dims;
  double c = times * double(type.getElementTypeBitWidth()) / 8.0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (type.isDynamicDim(d))
      dims.push_back(memref::DimOp::create(b, loc, memref, d));
    else
      c *= double(type.getDimSize(d));
  }
  bytes(c, dims);
}

void WorkEstimate::emit(OpBuilder &b, Location loc) {
  auto encode = [&](ArrayRef<Term> terms) {
    SmallVector<Attribute> list;
    for (const Term &t : terms) {
      SmallVector<Attribute> term = {b.getF64FloatAttr(t.coefficient)};
      for (int64_t i : t.sizes)
        term.push_back(b.getI64IntegerAttr(i));
      list.push_back(b.getArrayAttr(term));
    }
    return b.getArrayAttr(list);
  };
  WorkOp::create(b, loc, sizes_, encode(flops_), encode(bytes_));
}

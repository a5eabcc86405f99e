//===- HeadTracing.cpp - where each head of a tensor comes from -----------===//

#include "Raising/HeadTracing.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra;

/// Whether `slice` cuts only along `axis`, with static sizes and a positive
/// stride there, keeping the rank.
static bool cutsOnlyAlong(tensor::ExtractSliceOp slice, int64_t axis) {
  auto src = slice.getSourceType();
  if (slice.getType().getRank() != src.getRank() || !src.hasStaticShape() ||
      !slice.getOffsets().empty() || !slice.getSizes().empty() ||
      !slice.getStrides().empty())
    return false;
  for (int64_t d = 0; d < src.getRank(); ++d) {
    if (d == axis) {
      if (slice.getStaticStrides()[d] <= 0)
        return false;
      continue;
    }
    if (slice.getStaticOffsets()[d] != 0 || slice.getStaticStrides()[d] != 1 ||
        slice.getStaticSizes()[d] != src.getDimSize(d))
      return false;
  }
  return true;
}

std::optional<SmallVector<HeadSource>> mlir::hydra::traceHeads(Value v,
                                                               int64_t axis) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || axis >= type.getRank() || type.isDynamicDim(axis))
    return std::nullopt;
  if (auto concat = v.getDefiningOp<tensor::ConcatOp>();
      concat && int64_t(concat.getDim()) == axis) {
    SmallVector<HeadSource> heads;
    for (Value in : concat.getInputs()) {
      auto part = traceHeads(in, axis);
      if (!part)
        return std::nullopt;
      heads.append(*part);
    }
    return heads;
  }
  if (auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
      slice && cutsOnlyAlong(slice, axis)) {
    auto whole = traceHeads(slice.getSource(), axis);
    if (!whole)
      return std::nullopt;
    SmallVector<HeadSource> heads;
    int64_t offset = slice.getStaticOffsets()[axis],
            stride = slice.getStaticStrides()[axis];
    for (int64_t i = 0; i < type.getDimSize(axis); ++i)
      heads.push_back((*whole)[offset + i * stride]);
    return heads;
  }
  SmallVector<HeadSource> heads;
  for (int64_t i = 0; i < type.getDimSize(axis); ++i)
    heads.push_back({v, i});
  return heads;
}

/// x and the 4D permutation of expand(transpose3(collapse(x))) where the
/// collapse merges dims 0 and 1 of x, the transpose keeps the merged dim
/// first and the expand splits it back with x's dim 1 (torch transposes K
/// of [B, H, T, D] as [B·H, T, D]).
static std::optional<std::pair<Value, SmallVector<int64_t>>>
mergedTranspose(Value v) {
  using Groups = SmallVector<ReassociationIndices>;
  const Groups kMerged = {{0, 1}, {2}, {3}};
  auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getReassociationIndices() != kMerged)
    return std::nullopt;
  auto t = expand.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!t || !t.hasPureTensorSemantics() || t.getPermutation()[0] != 0)
    return std::nullopt;
  auto collapse = t.getInput().getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getReassociationIndices() != kMerged)
    return std::nullopt;
  // The merged dim splits into (?, h) both times: with h static and equal,
  // the leading sizes agree too (the products are one size).
  int64_t h = collapse.getSrcType().getDimSize(1);
  if (ShapedType::isDynamic(h) || expand.getResultType().getDimSize(1) != h)
    return std::nullopt;
  ArrayRef<int64_t> p3 = t.getPermutation();
  return std::make_pair(collapse.getSrc(),
                        SmallVector<int64_t>{0, 1, p3[1] + 1, p3[2] + 1});
}

Value mlir::hydra::peelTransposes(Value v, SmallVectorImpl<int64_t> &perm) {
  auto rank = cast<ShapedType>(v.getType()).getRank();
  perm.clear();
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  while (true) {
    ArrayRef<int64_t> inner;
    SmallVector<int64_t> merged;
    if (auto t = v.getDefiningOp<linalg::TransposeOp>();
        t && t.hasPureTensorSemantics()) {
      inner = t.getPermutation();
      v = t.getInput();
    } else if (auto m = mergedTranspose(v)) {
      merged = m->second;
      inner = merged;
      v = m->first;
    } else {
      break;
    }
    for (int64_t &p : perm)
      p = inner[p];
  }
  return v;
}

std::optional<TracedOperand> mlir::hydra::traceOperand(Value v, int64_t axis) {
  TracedOperand t;
  Value inner = peelTransposes(v, t.perm);
  int64_t rootAxis = t.perm[axis];
  auto heads = traceHeads(inner, rootAxis);
  if (!heads || heads->empty())
    return std::nullopt;
  Value root = heads->front().root;
  for (const HeadSource &h : *heads) {
    if (h.root != root)
      return std::nullopt;
    t.heads.push_back(h.head);
  }
  // Slicing commutes with transposing, so transposes under the slices join
  // the ones above them: the same tensor always traces to the same root.
  SmallVector<int64_t> under;
  t.root = peelTransposes(root, under);
  for (int64_t &p : t.perm)
    p = under[p];
  return t;
}

Value mlir::hydra::rebuildOperand(OpBuilder &b, Location loc,
                                  const TracedOperand &t) {
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(t.perm))
    identity &= int64_t(i) == p;
  if (identity)
    return t.root;
  auto type = cast<RankedTensorType>(t.root.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : t.perm)
    sizes.push_back(
        type.isDynamicDim(p)
            ? OpFoldResult(tensor::DimOp::create(b, loc, t.root, p).getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(p))));
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, t.root, init, t.perm)
      .getResult()[0];
}

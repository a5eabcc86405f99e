//===- AttentionEpilogue.cpp - pieces shared by both tiled paths ----------===//

#include "Tiling/AttentionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::hydra;

FailureOr<SmallVector<Operation *>>
hydra::collectBufferizedParts(Operation *root, StringRef pass) {
  SmallVector<Operation *> parts;
  WalkResult result = root->walk([&](Operation *op) {
    if (!isa<FullAttentionOp, LinearAttentionOp, ScaleNormMergeOp,
             HybridAttentionOp>(op))
      return WalkResult::advance();
    if (isa<ScaleNormMergeOp, HybridAttentionOp>(op) ||
        op->getNumResults() != 0) {
      op->emitOpError() << "not supported by " << pass
                        << ": it tiles bufferized part ops; run "
                           "hydra-split-heads, hydra-fuse-merge and "
                           "one-shot-bufferize first";
      return WalkResult::interrupt();
    }
    parts.push_back(op);
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  return parts;
}

Value hydra::emitHeadIndex(KernelBuilder &kb, ArrayRef<int64_t> heads, Value n,
                           bool selects) {
  // A run of consecutive heads is an offset; any other set is a lookup in
  // a constant vector.
  bool consecutive = true;
  for (size_t i = 1; i < heads.size(); ++i)
    consecutive &= heads[i] == heads[0] + int64_t(i);
  if (consecutive)
    return heads[0] == 0 ? n : kb.add(n, kb.index(heads[0]));
  if (selects)
    return kb.selectFrom(heads, n);
  return kb.extract(kb.indexTable(heads), n);
}

KvHeadGroups::KvHeadGroups(ArrayRef<int64_t> kvHeadOfListed) {
  SmallVector<SmallVector<int64_t>> members;
  for (auto [n, kv] : llvm::enumerate(kvHeadOfListed)) {
    auto it = llvm::find(kvHeads, kv);
    if (it == kvHeads.end()) {
      kvHeads.push_back(kv);
      members.emplace_back();
      it = kvHeads.end() - 1;
    }
    members[it - kvHeads.begin()].push_back(int64_t(n));
  }
  for (auto &m : members)
    width = std::max<int64_t>(width, m.size());
  for (auto &m : members) {
    counts.push_back(m.size());
    for (int64_t i = 0; i < width; ++i)
      listed.push_back(m[std::min<int64_t>(i, m.size() - 1)]);
  }
}

Value hydra::emitKvHeadIndex(KernelBuilder &kb, FullAttentionOp op, Value n,
                             Value h, bool selects) {
  if (auto kvHeads = op.getKvHeads())
    return emitHeadIndex(kb, *kvHeads, n, selects);
  int64_t group = cast<ShapedType>(op.getQuery().getType()).getDimSize(1) /
                  cast<ShapedType>(op.getKey().getType()).getDimSize(1);
  return group == 1 ? h : kb.divConst(h, group);
}

Value hydra::emitStateIndex(KernelBuilder &kb, LinearAttentionOp op, Value n,
                            Value kvh, bool selects) {
  if (auto states = op.getStateHeads())
    return emitHeadIndex(kb, *states, n, selects);
  return kvh;
}

Value hydra::emitCausalShift(KernelBuilder &kb, FullAttentionOp op,
                             Value queryLen, Value keyLen) {
  if (!op.getEndAligned())
    return Value();
  return kb.sub(keyLen, queryLen);
}

Value hydra::addShift(KernelBuilder &kb, Value i, Value shift) {
  return shift ? kb.add(i, shift) : i;
}

Value hydra::emitMaskedScore(KernelBuilder &kb, Value mask, Value s,
                             ArrayRef<Value> fullIdx) {
  auto type = cast<MemRefType>(mask.getType());
  int64_t offset = 4 - type.getRank();
  SmallVector<Value> idx;
  for (int64_t d = 0; d < type.getRank(); ++d)
    idx.push_back(type.getDimSize(d) == 1 ? kb.index(0) : fullIdx[offset + d]);
  Value m = kb.load(mask, idx);
  if (m.getType().isInteger(1))
    return kb.select(m, s, kb.negInf());
  return kb.addf(s, m);
}

Value hydra::emitInverseRms(KernelBuilder &kb, Value sumSquares, int64_t n,
                            float epsilon) {
  Value meanSquare = kb.divf(sumSquares, kb.f32(float(n)));
  return math::RsqrtOp::create(kb.builder(), kb.getLoc(),
                               kb.addf(meanSquare, kb.f32(epsilon)));
}

void hydra::emitEpilogueStore(KernelBuilder &kb, Value row, Value out,
                              ValueRange outIdx, Value fusionScale, Value head,
                              float epsilon) {
  int64_t dv = cast<VectorType>(row.getType()).getDimSize(0);
  if (fusionScale) {
    Value inv = emitInverseRms(kb, kb.dot(row, row), dv, epsilon);
    Value gamma = kb.loadRow(fusionScale, ValueRange{head}, dv);
    row = kb.mulf(kb.mulf(row, kb.splat(inv, dv)), gamma);
  }
  kb.storeRow(row, out, outIdx);
}

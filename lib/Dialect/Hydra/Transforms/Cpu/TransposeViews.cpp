//===- TransposeViews.cpp - the hydra-transpose-views pass ----------------===//
//
// Attention reads and writes through strided views rather than through
// transposed copies: the copies cost a read and a write of every element
// of Q, K, V and the output, a quarter of linear attention's time at 1K.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"
#include "hydra/Dialect/Hydra/Utils/BufferViews.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRATRANSPOSEVIEWS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
bool isAttention(Operation *op) {
  return isa<FullAttentionOp, LinearAttentionOp>(op);
}

/// Every use of `buffer` and of the views made of it.
void collectAccesses(Value buffer, SmallVectorImpl<OpOperand *> &uses) {
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (viewedBuffer(user) == buffer)
      collectAccesses(user->getResult(0), uses);
    else
      uses.push_back(&use);
  }
}

/// The buffer `value` is a view of.
Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    Value viewed = viewedBuffer(def);
    if (!viewed)
      break;
    value = viewed;
  }
  return value;
}

bool mayWrite(OpOperand *use) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(use->getOwner());
  if (!effects)
    return true;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [&](MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Write>(e.getEffect()) &&
           (!e.getValue() || e.getValue() == use->get());
  });
}

/// The op of `block` that holds `op`, or null.
Operation *inBlock(Block *block, Operation *op) {
  return block->findAncestorOpInBlock(*op);
}

/// Whether `from` < op ≤ `to` in their block, with `from` null meaning the
/// block's start.
bool between(Operation *op, Operation *from, Operation *to) {
  return (!from || from->isBeforeInBlock(op)) &&
         (op == to || op->isBeforeInBlock(to));
}

/// A view of `source` with its dimensions permuted by `perm` (dimension i
/// of the view is dimension perm[i] of the source), if it has `shape` and
/// keeps its rows contiguous.
FailureOr<memref::TransposeOp> permutedView(OpBuilder &b, Location loc,
                                            Value source,
                                            ArrayRef<int64_t> perm,
                                            MemRefType expected) {
  SmallVector<unsigned> order(perm.begin(), perm.end());
  AffineMap map = AffineMap::getPermutationMap(order, b.getContext());
  auto view =
      memref::TransposeOp::create(b, loc, source, AffineMapAttr::get(map));
  auto type = view.getType();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (type.getShape() != expected.getShape() ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1) {
    view->erase();
    return failure();
  }
  return view;
}

/// Points `uses` at a view of `source` permuted by `perm`, made at `b`'s
/// insertion point, then erases `transpose` and the fresh `buffer` it
/// copied into or out of (its deallocs are all that is left of it). Fails,
/// changing nothing, when the view would not have `buffer`'s shape or
/// contiguous rows.
LogicalResult useViewInstead(OpBuilder &b, linalg::TransposeOp transpose,
                             Value source, ArrayRef<int64_t> perm, Value buffer,
                             ArrayRef<OpOperand *> uses) {
  FailureOr<memref::TransposeOp> view = permutedView(
      b, transpose.getLoc(), source, perm, cast<MemRefType>(buffer.getType()));
  if (failed(view))
    return failure();
  for (OpOperand *use : uses)
    use->set(*view);
  Operation *alloc = buffer.getDefiningOp();
  transpose->erase();
  for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
    user->erase();
  alloc->erase();
  return success();
}

/// The uses of the fresh buffer `buffer` other than `transpose` and its
/// deallocs, if every one is an attention operand in `transpose`'s block
/// that `role` accepts.
FailureOr<SmallVector<OpOperand *>>
attentionUses(Value buffer, linalg::TransposeOp transpose,
              function_ref<bool(OpOperand &)> role) {
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return failure();
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (user == transpose || isa<memref::DeallocOp>(user))
      continue;
    if (!isAttention(user) || user->getBlock() != transpose->getBlock() ||
        !role(use))
      return failure();
    uses.push_back(&use);
  }
  if (uses.empty())
    return failure();
  return uses;
}

/// Attention reads `transpose`'s copy: it reads a view of the source.
LogicalResult foldIntoReaders(linalg::TransposeOp transpose) {
  Value copy = transpose.getInit();
  Block *block = transpose->getBlock();
  FailureOr<SmallVector<OpOperand *>> reads =
      attentionUses(copy, transpose, [&](OpOperand &use) {
        return cast<DestinationStyleOpInterface>(use.getOwner())
                   .isDpsInput(&use) &&
               transpose->isBeforeInBlock(use.getOwner());
      });
  if (failed(reads))
    return failure();
  Operation *last = transpose;
  for (OpOperand *use : *reads)
    if (last->isBeforeInBlock(use->getOwner()))
      last = use->getOwner();
  // The readers must see the source as it was when copied.
  SmallVector<OpOperand *> sourceUses;
  collectAccesses(rootBuffer(transpose.getInput()), sourceUses);
  for (OpOperand *use : sourceUses) {
    Operation *at = inBlock(block, use->getOwner());
    if (!at || (between(at, transpose, last) && mayWrite(use)))
      return failure();
  }
  OpBuilder b(transpose);
  return useViewInstead(b, transpose, transpose.getInput(),
                        transpose.getPermutation(), copy, *reads);
}

/// Attention alone writes the buffer `transpose` copies out: it writes a
/// view of the destination instead.
LogicalResult foldIntoWriters(linalg::TransposeOp transpose) {
  Value produced = transpose.getInput();
  Block *block = transpose->getBlock();
  // Rows stay rows (checked before anything moves).
  ArrayRef<int64_t> perm = transpose.getPermutation();
  if (perm.back() != int64_t(perm.size()) - 1)
    return failure();
  FailureOr<SmallVector<OpOperand *>> writes =
      attentionUses(produced, transpose, [&](OpOperand &use) {
        Operation *user = use.getOwner();
        OpOperand *init = nullptr;
        if (auto full = dyn_cast<FullAttentionOp>(user))
          init = &full.getInitMutable();
        else
          init = &cast<LinearAttentionOp>(user).getInitMutable();
        return &use == init && user->isBeforeInBlock(transpose);
      });
  if (failed(writes))
    return failure();
  Operation *first = transpose;
  for (OpOperand *use : *writes)
    if (use->getOwner()->isBeforeInBlock(first))
      first = use->getOwner();
  Value dest = transpose.getInit();
  // The destination must exist before the first write; a fresh buffer
  // made later moves up when its sizes are known by then.
  if (Operation *def = dest.getDefiningOp()) {
    if (def->getBlock() != block)
      return failure();
    if (first->isBeforeInBlock(def)) {
      auto alloc = dyn_cast<memref::AllocOp>(def);
      if (!alloc || llvm::any_of(alloc->getOperands(), [&](Value size) {
            Operation *at = size.getDefiningOp();
            return at && at->getBlock() == block && !at->isBeforeInBlock(first);
          }))
        return failure();
    }
  }
  // Nothing else may touch the destination while the writers fill it,
  // the writers included (bufferization may have given a dead input's
  // copy and the result the same buffer).
  SmallVector<OpOperand *> destUses;
  collectAccesses(rootBuffer(dest), destUses);
  for (OpOperand *use : destUses) {
    Operation *at = inBlock(block, use->getOwner());
    if (!at)
      return failure();
    if (at != transpose && (at == first || between(at, first, transpose)))
      return failure();
  }
  if (Operation *def = dest.getDefiningOp(); def && first->isBeforeInBlock(def))
    def->moveBefore(first);
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  OpBuilder b(first);
  return useViewInstead(b, transpose, dest, inverse, produced, *writes);
}

struct HydraTransposeViewsPass
    : public hydra::impl::HydraTransposeViewsBase<HydraTransposeViewsPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation()->walk([&](linalg::TransposeOp transpose) {
      if (transpose.hasPureBufferSemantics())
        transposes.push_back(transpose);
    });
    for (linalg::TransposeOp transpose : transposes)
      if (failed(foldIntoReaders(transpose)))
        (void)foldIntoWriters(transpose);
  }
};
} // namespace

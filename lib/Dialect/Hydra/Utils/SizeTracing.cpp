//===- SizeTracing.cpp - sizes as expressions of the input sizes ----------===//

#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

using namespace mlir;
using namespace mlir::hydra;

AffineExpr mlir::hydra::simplifySize(AffineExpr e, unsigned numTerms) {
  unsigned numSymbols = 0;
  e.walk([&](AffineExpr sub) {
    if (auto s = dyn_cast<AffineSymbolExpr>(sub))
      numSymbols = std::max(numSymbols, s.getPosition() + 1);
  });
  return simplifyAffineExpr(e, numTerms, numSymbols);
}

bool mlir::hydra::provablyNonNegative(AffineExpr e, ArrayRef<SizeTerm> terms) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() >= 0;
  if (isa<AffineSymbolExpr>(e))
    return true;
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition() < terms.size() && terms[d.getPosition()].nonNegative;
  auto bin = cast<AffineBinaryOpExpr>(e);
  bool lhs = provablyNonNegative(bin.getLHS(), terms);
  auto rhsConstant = dyn_cast<AffineConstantExpr>(bin.getRHS());
  switch (e.getKind()) {
  case AffineExprKind::Mod: // affine mod by a positive constant is ≥ 0
    return rhsConstant && rhsConstant.getValue() > 0;
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
    return lhs && rhsConstant && rhsConstant.getValue() > 0;
  default:
    return lhs && provablyNonNegative(bin.getRHS(), terms);
  }
}

AffineExpr SizeTracer::extremum(bool isMax, AffineExpr lhs, AffineExpr rhs) {
  unsigned n = terms_.size();
  lhs = simplifySize(lhs, n);
  rhs = simplifySize(rhs, n);
  AffineExpr diff = simplifySize(lhs - rhs, n);
  if (provablyNonNegative(diff, terms_)) // lhs ≥ rhs
    return isMax ? lhs : rhs;
  if (provablyNonNegative(simplifySize(rhs - lhs, n), terms_))
    return isMax ? rhs : lhs;
  SizeTerm::Kind kind = isMax ? SizeTerm::Kind::Max : SizeTerm::Kind::Min;
  for (auto [i, x] : llvm::enumerate(terms_))
    if (x.kind == kind &&
        ((x.lhs == lhs && x.rhs == rhs) || (x.lhs == rhs && x.rhs == lhs)))
      return getAffineDimExpr(i, context_);
  bool l = provablyNonNegative(lhs, terms_),
       r = provablyNonNegative(rhs, terms_);
  terms_.push_back({kind, lhs, rhs, isMax ? (l || r) : (l && r)});
  return getAffineDimExpr(n, context_);
}

std::optional<ArgumentElement> mlir::hydra::argumentElement(Operation *op) {
  Value source;
  ValueRange indices;
  if (auto load = dyn_cast<memref::LoadOp>(op)) {
    source = load.getMemRef();
    indices = load.getIndices();
  } else if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    source = extract.getTensor();
    indices = extract.getIndices();
  } else {
    return std::nullopt;
  }
  // Through the casts bufferization and the importer put between.
  while (Operation *def = source.getDefiningOp()) {
    if (!isa<memref::CastOp, tensor::CastOp, bufferization::ToTensorOp,
             bufferization::ToBufferOp>(def))
      return std::nullopt;
    source = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(source);
  auto type = dyn_cast<ShapedType>(source.getType());
  if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()) || !type ||
      !type.hasStaticShape())
    return std::nullopt;
  Type elt = type.getElementType();
  bool isFloat = isa<FloatType>(elt) && elt.getIntOrFloatBitWidth() >= 16 &&
                 elt.getIntOrFloatBitWidth() <= 64;
  if (!isFloat && (!elt.isSignlessInteger() || elt.isInteger(1)))
    return std::nullopt;
  int64_t flat = 0;
  for (auto [d, index] : llvm::enumerate(indices)) {
    APInt c;
    if (!matchPattern(index, m_ConstantInt(&c)))
      return std::nullopt;
    int64_t i = c.getSExtValue();
    if (i < 0 || i >= type.getDimSize(d))
      return std::nullopt;
    flat = flat * type.getDimSize(d) + i;
  }
  return ArgumentElement{arg.getArgNumber(), flat, isFloat};
}

AffineExpr SizeTracer::element(const ArgumentElement &e) {
  unsigned input = e.input;
  int64_t flat = e.element;
  for (auto [i, x] : llvm::enumerate(terms_))
    if (x.kind == SizeTerm::Kind::Element && x.input == input &&
        x.element == flat)
      return getAffineDimExpr(i, context_);
  AffineExpr zero = getAffineConstantExpr(0, context_);
  terms_.push_back({SizeTerm::Kind::Element, zero, zero, /*nonNegative=*/false,
                    input, flat});
  return getAffineDimExpr(terms_.size() - 1, context_);
}

/// The float element `v` is, widened exactly to f64: a float argument's
/// element read, through arith.extf.
static std::optional<ArgumentElement> floatElement(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  Operation *def = v.getDefiningOp();
  std::optional<ArgumentElement> e = def ? argumentElement(def) : std::nullopt;
  if (!e || !e->isFloat)
    return std::nullopt;
  return e;
}

FailureOr<AffineExpr> SizeTracer::rangeCount(arith::FPToSIOp op) {
  // fptosi(ceil((limit − start) / delta)), all in f64: the runtime's
  // float_ceildiv computes the same double.
  auto ceil = op.getIn().getDefiningOp<math::CeilOp>();
  auto div = ceil ? ceil.getOperand().getDefiningOp<arith::DivFOp>() : nullptr;
  auto sub = div ? div.getLhs().getDefiningOp<arith::SubFOp>() : nullptr;
  if (!sub || !ceil.getType().isF64())
    return failure();
  std::optional<ArgumentElement> limit = floatElement(sub.getLhs()),
                                 start = floatElement(sub.getRhs()),
                                 delta = floatElement(div.getRhs());
  if (!limit || !start || !delta)
    return failure();
  for (auto [i, x] : llvm::enumerate(terms_))
    if (x.kind == SizeTerm::Kind::RangeCount && x.limit == *limit &&
        x.start == *start && x.delta == *delta)
      return getAffineDimExpr(i, context_);
  AffineExpr zero = getAffineConstantExpr(0, context_);
  SizeTerm term{SizeTerm::Kind::RangeCount, zero, zero, /*nonNegative=*/false};
  term.limit = *limit;
  term.start = *start;
  term.delta = *delta;
  terms_.push_back(term);
  return getAffineDimExpr(terms_.size() - 1, context_);
}

bool SizeTracer::readsElement(AffineExpr e) const {
  bool found = false;
  e.walk([&](AffineExpr sub) {
    if (auto d = dyn_cast<AffineDimExpr>(sub))
      found |= d.getPosition() < terms_.size() &&
               (terms_[d.getPosition()].readsData() ||
                readsElement(terms_[d.getPosition()].lhs) ||
                readsElement(terms_[d.getPosition()].rhs));
  });
  return found;
}

FailureOr<AffineExpr> SizeTracer::size(Value index) {
  if (auto it = sizes_.find(index); it != sizes_.end())
    return it->second;
  FailureOr<AffineExpr> e = sizeUncached(index);
  if (succeeded(e))
    sizes_[index] = *e;
  return e;
}

FailureOr<AffineExpr> SizeTracer::dim(Value shaped, int64_t axis) {
  auto key = std::make_pair(shaped, axis);
  if (auto it = dims_.find(key); it != dims_.end())
    return it->second;
  FailureOr<AffineExpr> e = dimUncached(shaped, axis);
  if (succeeded(e))
    dims_[key] = *e;
  return e;
}

FailureOr<AffineExpr> SizeTracer::mixed(OpFoldResult size) {
  if (auto attr = dyn_cast<Attribute>(size))
    return getAffineConstantExpr(cast<IntegerAttr>(attr).getInt(), context_);
  return this->size(cast<Value>(size));
}

FailureOr<AffineExpr> SizeTracer::sizeUncached(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return failure();
  APInt constant;
  if (matchPattern(v, m_ConstantInt(&constant)))
    return getAffineConstantExpr(constant.getSExtValue(), context_);
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
          arith::ExtUIOp, arith::TruncIOp>(op))
    return size(op->getOperand(0));
  if (auto d = dyn_cast<memref::DimOp>(op)) {
    std::optional<int64_t> axis = d.getConstantIndex();
    return axis ? dim(d.getSource(), *axis) : FailureOr<AffineExpr>(failure());
  }
  if (auto d = dyn_cast<tensor::DimOp>(op)) {
    std::optional<int64_t> axis = d.getConstantIndex();
    return axis ? dim(d.getSource(), *axis) : FailureOr<AffineExpr>(failure());
  }
  if (isa<tensor::ExtractOp, memref::LoadOp>(op)) {
    std::optional<ArgumentElement> e = argumentElement(op);
    if (!e || e->isFloat)
      return failure();
    return element(*e);
  }
  if (auto toInt = dyn_cast<arith::FPToSIOp>(op))
    return rangeCount(toInt);
  if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
    AffineMap map = apply.getAffineMap();
    SmallVector<AffineExpr> operands;
    for (Value operand : apply.getMapOperands()) {
      FailureOr<AffineExpr> e = size(operand);
      if (failed(e))
        return failure();
      operands.push_back(*e);
    }
    ArrayRef<AffineExpr> all(operands);
    return map.getResult(0).replaceDimsAndSymbols(
        all.take_front(map.getNumDims()), all.drop_front(map.getNumDims()));
  }
  if (op->getNumOperands() != 2 || op->getNumResults() != 1)
    return failure();
  FailureOr<AffineExpr> a = size(op->getOperand(0));
  FailureOr<AffineExpr> b = size(op->getOperand(1));
  if (failed(a) || failed(b))
    return failure();
  // Sizes are non-negative, so signed and unsigned division agree and
  // truncation is floor. An element read from data may be negative: its
  // division and remainder must be the flooring ones and comparisons
  // signed.
  bool unsignedOrTruncating =
      isa<arith::DivUIOp, arith::DivSIOp, arith::RemUIOp, arith::RemSIOp,
          arith::MinUIOp, arith::MaxUIOp, arith::CeilDivUIOp>(op);
  if (unsignedOrTruncating &&
      (!provablyNonNegative(*a, terms_) || !provablyNonNegative(*b, terms_)) &&
      (readsElement(*a) || readsElement(*b)))
    return failure();
  if (isa<arith::AddIOp>(op))
    return *a + *b;
  if (isa<arith::SubIOp>(op))
    return *a - *b;
  if (isa<arith::MulIOp>(op))
    return *a * *b;
  if (isa<arith::DivUIOp, arith::DivSIOp, arith::FloorDivSIOp>(op))
    return a->floorDiv(*b);
  if (isa<arith::CeilDivUIOp, arith::CeilDivSIOp>(op))
    return a->ceilDiv(*b);
  if (isa<arith::RemUIOp, arith::RemSIOp>(op))
    return *a % *b;
  if (isa<arith::MinSIOp, arith::MinUIOp>(op))
    return extremum(/*isMax=*/false, *a, *b);
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(op))
    return extremum(/*isMax=*/true, *a, *b);
  return failure();
}

FailureOr<AffineExpr> SizeTracer::dimUncached(Value v, int64_t axis) {
  auto type = dyn_cast<ShapedType>(v.getType());
  if (!type || !type.hasRank() || axis < 0 || axis >= type.getRank())
    return failure();
  if (!type.isDynamicDim(axis))
    return getAffineConstantExpr(type.getDimSize(axis), context_);
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
      return failure();
    std::optional<AffineExpr> e = argDim_(arg.getArgNumber(), axis);
    if (!e)
      return failure();
    return *e;
  }
  Operation *op = v.getDefiningOp();
  // The dynamic size operands of an allocation, in dim order.
  auto dynamicOperand = [&](ValueRange sizes) -> FailureOr<AffineExpr> {
    int64_t index = 0;
    for (int64_t d = 0; d < axis; ++d)
      index += type.isDynamicDim(d);
    return size(sizes[index]);
  };
  if (auto alloc = dyn_cast<memref::AllocOp>(op))
    return dynamicOperand(alloc.getDynamicSizes());
  if (auto alloca = dyn_cast<memref::AllocaOp>(op))
    return dynamicOperand(alloca.getDynamicSizes());
  if (auto empty = dyn_cast<tensor::EmptyOp>(op))
    return dynamicOperand(empty.getDynamicSizes());
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
    return mixed(expand.getMixedOutputShape()[axis]);
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
    return mixed(expand.getMixedOutputShape()[axis]);
  auto collapsed = [&](Value source,
                       ReassociationIndices group) -> FailureOr<AffineExpr> {
    AffineExpr product = getAffineConstantExpr(1, context_);
    for (int64_t d : group) {
      FailureOr<AffineExpr> e = dim(source, d);
      if (failed(e))
        return failure();
      product = product * *e;
    }
    return product;
  };
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op))
    return collapsed(collapse.getSrc(),
                     collapse.getReassociationIndices()[axis]);
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
    return collapsed(collapse.getSrc(),
                     collapse.getReassociationIndices()[axis]);
  // A transposed view's axis is its source's axis at the permutation.
  if (auto transpose = dyn_cast<memref::TransposeOp>(op))
    return dim(transpose.getIn(),
               transpose.getPermutation().getDimPosition(axis));
  if (auto sub = dyn_cast<memref::SubViewOp>(op))
    if (sub.getSourceType().getRank() == type.getRank())
      return mixed(sub.getMixedSizes()[axis]);
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op))
    if (slice.getSourceType().getRank() == type.getRank())
      return mixed(slice.getMixedSizes()[axis]);
  if (auto concat = dyn_cast<tensor::ConcatOp>(op)) {
    if (int64_t(concat.getDim()) != axis)
      return dim(concat.getInputs().front(), axis);
    AffineExpr sum = getAffineConstantExpr(0, context_);
    for (Value in : concat.getInputs()) {
      FailureOr<AffineExpr> e = dim(in, axis);
      if (failed(e))
        return failure();
      sum = sum + *e;
    }
    return sum;
  }
  if (isa<memref::CastOp, tensor::CastOp, bufferization::ToTensorOp,
          bufferization::ToBufferOp>(op))
    return dim(op->getOperand(0), axis);
  // Destination-style ops (linalg, insert_slice, hydra's own) have their
  // init's shape.
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
    auto result = cast<OpResult>(v);
    if (result.getResultNumber() < unsigned(dps.getNumDpsInits()))
      return dim(dps.getDpsInits()[result.getResultNumber()], axis);
  }
  if (otherDim_)
    if (auto source = otherDim_(cast<OpResult>(v), axis))
      return dim(source->first, source->second);
  return failure();
}

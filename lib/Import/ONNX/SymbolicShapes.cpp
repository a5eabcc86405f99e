//===- SymbolicShapes.cpp - sizes known only at run time ------------------===//

#include "SymbolicShapes.h"
#include "ElementwiseSupport.h"
#include "ShapeArithmetic.h"
#include "SizeArithmetic.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;
using TP = onnx::TensorProto;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// An input as sizes, with its rank (0 or 1) and element type.
struct Sizes {
  bool scalar = false;
  int32_t elemType = TP::INT64;
  bool symbolic = false;
  SmallVector<OpFoldResult> elems;
};

std::optional<Sizes> sizesOf(GraphImporter &gi, const onnx::NodeProto &node,
                             int i) {
  Sizes s;
  if (const SymbolicInts *sym = gi.symbolicInput(node, i)) {
    s.scalar = sym->scalar;
    s.elemType = sym->elemType;
    s.symbolic = true;
    s.elems = sym->elems;
    return s;
  }
  const HostTensor *c = gi.constantInput(node, i);
  if (!c || c->isFloat() || c->shape.size() > 1 || c->elemType == TP::BOOL ||
      c->ints().size() > 64)
    return std::nullopt;
  s.scalar = c->shape.empty();
  s.elemType = c->elemType;
  for (int64_t v : c->ints())
    s.elems.push_back(gi.builder().getIndexAttr(v));
  return s;
}

Value indexValue(OpBuilder &b, Location loc, OpFoldResult f) {
  return getValueOrCreateConstantIndexOp(b, loc, f);
}

std::optional<LogicalResult> foldShapeOf(GraphImporter &gi,
                                         const onnx::NodeProto &node) {
  Value x = gi.optionalInput(node, 0);
  if (!x || typeOf(x).hasStaticShape())
    return std::nullopt;
  int64_t rank = typeOf(x).getRank();
  SymbolicInts out;
  if (node.op_type() == "Size") {
    out.scalar = true;
    OpFoldResult n = gi.builder().getIndexAttr(1);
    for (int64_t d = 0; d < rank; ++d)
      n = combine(gi.builder(), gi.loc(node), Arith::Mul, n, gi.dimOf(x, d));
    out.elems.push_back(n);
  } else {
    auto [start, end] = shapeBounds(gi.intAttr(node, "start", 0),
                                    gi.intAttr(node, "end", rank), rank);
    for (int64_t d = start; d < end; ++d)
      out.elems.push_back(gi.dimOf(x, d));
  }
  gi.setSymbolicOutput(node, 0, std::move(out));
  return success();
}
/// The common length of rank ≤ 1 operands by numpy's rule (1 stretches),
/// or nothing if they do not broadcast.
std::optional<size_t> broadcastLength(ArrayRef<size_t> lengths) {
  size_t n = 1;
  for (size_t l : lengths) {
    if (l == 1)
      continue;
    if (n != 1 && l != n)
      return std::nullopt;
    n = l;
  }
  return n;
}

/// Equal on sizes with a symbolic side, where every element is decided at
/// import: one value on both sides, or a negative constant against a size
/// (TorchScript's Expand shapes replace −1 entries with Where(Equal(...))).
std::optional<LogicalResult> foldSymbolicEqual(GraphImporter &gi,
                                               const onnx::NodeProto &node) {
  std::optional<Sizes> a = sizesOf(gi, node, 0), c = sizesOf(gi, node, 1);
  if (!a || !c || !(a->symbolic || c->symbolic))
    return std::nullopt;
  std::optional<size_t> n = broadcastLength({a->elems.size(), c->elems.size()});
  if (!n)
    return gi.error(node, "input shapes do not broadcast");
  BoundArithmetic arith(gi, node);
  std::vector<int64_t> values;
  for (size_t e = 0; e < *n; ++e) {
    OpFoldResult x = a->elems[a->elems.size() == 1 ? 0 : e];
    OpFoldResult y = c->elems[c->elems.size() == 1 ? 0 : e];
    std::optional<int64_t> cx = getConstantIntValue(x),
                           cy = getConstantIntValue(y);
    if (x == y || (cx && cy && *cx == *cy)) {
      values.push_back(1);
      continue;
    }
    bool differ = (cx && cy) ||
                  (cx && *cx < 0 && arith.atMost(arith.index(0), y)) ||
                  (cy && *cy < 0 && arith.atMost(arith.index(0), x));
    if (!differ)
      return std::nullopt; // compared at run time
    values.push_back(0);
  }
  std::vector<int64_t> shape;
  if (!(a->scalar && c->scalar))
    shape.push_back(int64_t(*n));
  gi.setConstantOutput(node, 0, HostTensor::fromInts(TP::BOOL, shape, values));
  return success();
}

/// Where with a condition known at import choosing between sizes.
std::optional<LogicalResult> foldSymbolicWhere(GraphImporter &gi,
                                               const onnx::NodeProto &node) {
  const HostTensor *cond = gi.constantInput(node, 0);
  std::optional<Sizes> x = sizesOf(gi, node, 1), y = sizesOf(gi, node, 2);
  if (!cond || cond->shape.size() > 1 || !x || !y ||
      !(x->symbolic || y->symbolic))
    return std::nullopt;
  std::vector<int64_t> pick = cond->ints();
  std::optional<size_t> n =
      broadcastLength({pick.size(), x->elems.size(), y->elems.size()});
  if (!n)
    return gi.error(node, "input shapes do not broadcast");
  SymbolicInts out;
  out.elemType = x->elemType;
  out.scalar = cond->shape.empty() && x->scalar && y->scalar;
  for (size_t e = 0; e < *n; ++e) {
    auto at = [&](const auto &v) { return v[v.size() == 1 ? 0 : e]; };
    out.elems.push_back(at(pick) ? at(x->elems) : at(y->elems));
  }
  gi.setSymbolicOutput(node, 0, std::move(out));
  return success();
}
} // namespace

std::optional<LogicalResult>
mlir::hydra::onnx_import::foldSymbolic(GraphImporter &gi,
                                       const onnx::NodeProto &node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return std::nullopt;
  const std::string &op = node.op_type();
  if (op == "Shape" || op == "Size")
    return foldShapeOf(gi, node);
  if (op == "Equal")
    return foldSymbolicEqual(gi, node);
  if (op == "Where")
    return foldSymbolicWhere(gi, node);
  static const std::set<std::string> kOps = {
      "Identity", "Cast",   "Gather", "Unsqueeze", "Squeeze", "Reshape",
      "Flatten",  "Concat", "Slice",  "Add",       "Sub",     "Mul",
      "Div",      "Mod",    "Max",    "Min"};
  if (!kOps.count(op))
    return std::nullopt;
  // The data inputs must be sizes, and one of them symbolic.
  int dataInputs = op == "Concat" || op == "Max" || op == "Min"
                       ? node.input_size()
                   : (op == "Add" || op == "Sub" || op == "Mul" ||
                      op == "Div" || op == "Mod")
                       ? 2
                       : 1;
  SmallVector<Sizes> in;
  bool anySymbolic = false;
  for (int i = 0; i < dataInputs; ++i) {
    std::optional<Sizes> s = sizesOf(gi, node, i);
    if (!s)
      return std::nullopt;
    anySymbolic |= s->symbolic;
    in.push_back(std::move(*s));
  }
  if (!anySymbolic)
    return std::nullopt;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  SymbolicInts out;
  out.elemType = in[0].elemType;
  out.scalar = in[0].scalar;
  if (op == "Identity") {
    out.elems = in[0].elems;
  } else if (op == "Cast") {
    int64_t to = gi.intAttr(node, "to", 0);
    if (to != TP::INT64 && to != TP::INT32)
      return std::nullopt; // materialized and cast as a tensor
    out.elems = in[0].elems;
    out.elemType = int32_t(to);
  } else if (op == "Gather") {
    const HostTensor *indices = gi.constantInput(node, 1);
    if (!indices || in[0].scalar || indices->shape.size() > 1 ||
        gi.intAttr(node, "axis", 0) != 0)
      return std::nullopt;
    int64_t n = in[0].elems.size();
    for (int64_t i : indices->ints()) {
      if (i < -n || i >= n)
        return gi.error(node, "index " + Twine(i) + " is out of range for " +
                                  "an axis of size " + Twine(n));
      out.elems.push_back(in[0].elems[i < 0 ? i + n : i]);
    }
    out.scalar = indices->shape.empty();
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
             op == "Flatten") {
    // Rank 0 ↔ 1 only: the elements stay.
    out.elems = in[0].elems;
    bool toScalar = op == "Squeeze";
    if (op == "Reshape") {
      const HostTensor *shape = gi.constantInput(node, 1);
      if (!shape)
        return std::nullopt;
      toScalar = shape->ints().empty();
    }
    if (op == "Unsqueeze" || op == "Flatten")
      toScalar = false;
    if (op == "Unsqueeze" && !in[0].scalar)
      return std::nullopt; // would be rank 2
    if (toScalar && out.elems.size() != 1)
      return std::nullopt;
    out.scalar = toScalar;
  } else if (op == "Concat") {
    for (const Sizes &s : in) {
      if (s.scalar)
        return gi.error(node, "cannot concatenate scalars");
      out.elems.append(s.elems);
    }
    out.scalar = false;
  } else if (op == "Slice") {
    std::optional<Sizes> starts = sizesOf(gi, node, 1),
                         ends = sizesOf(gi, node, 2);
    if (!starts || !ends || starts->symbolic || ends->symbolic ||
        starts->elems.size() != 1 || ends->elems.size() != 1 ||
        gi.hasInput(node, 4) || in[0].scalar)
      return std::nullopt;
    int64_t n = in[0].elems.size();
    int64_t s0 = *getConstantIntValue(starts->elems[0]);
    int64_t e0 = *getConstantIntValue(ends->elems[0]);
    if (s0 < 0)
      s0 += n;
    if (e0 < 0)
      e0 += n;
    s0 = std::clamp<int64_t>(s0, 0, n);
    e0 = std::clamp<int64_t>(e0, s0, n);
    out.elems.assign(in[0].elems.begin() + s0, in[0].elems.begin() + e0);
  } else {
    Arith k = op == "Add"   ? Arith::Add
              : op == "Sub" ? Arith::Sub
              : op == "Mul" ? Arith::Mul
              : op == "Div" ? Arith::Div
              : op == "Mod" ? Arith::Mod
              : op == "Max" ? Arith::Max
                            : Arith::Min;
    if (op == "Mod" && gi.intAttr(node, "fmod", 0))
      return std::nullopt;
    // numpy broadcasting of lengths: 1 stretches, anything else (0
    // included) must agree.
    size_t n = 1;
    for (const Sizes &s : in) {
      if (s.elems.size() == 1)
        continue;
      if (n != 1 && s.elems.size() != n)
        return gi.error(node, "input shapes do not broadcast");
      n = s.elems.size();
    }
    out.scalar = llvm::all_of(in, [](const Sizes &s) { return s.scalar; });
    for (size_t e = 0; e < n; ++e) {
      auto at = [&](const Sizes &s) {
        return s.elems[s.elems.size() == 1 ? 0 : e];
      };
      OpFoldResult r = at(in[0]);
      for (const Sizes &s : ArrayRef<Sizes>(in).drop_front())
        r = combine(b, loc, k, r, at(s));
      out.elems.push_back(r);
    }
  }
  gi.setSymbolicOutput(node, 0, std::move(out));
  return success();
}

/// Sizes as expressions of the graph inputs' dims and values, to compare
/// them.
struct SizeExprs {
  explicit SizeExprs(GraphImporter &gi)
      : ctx(gi.context()), tracer(importTracer(gi, ids)) {}
  FailureOr<AffineExpr> of(OpFoldResult f) {
    if (std::optional<int64_t> c = getConstantIntValue(f))
      return getAffineConstantExpr(*c, ctx);
    return tracer.size(cast<Value>(f));
  }
  MLIRContext *ctx;
  std::map<std::pair<unsigned, unsigned>, unsigned> ids;
  SizeTracer tracer;
};

/// `x` reshaped to `sizes` (as many elements) by a copy: output element i
/// (row-major) is input element i.
static Value copyReshaped(OpBuilder &b, Location loc, Value x,
                          ArrayRef<OpFoldResult> sizes) {
  auto t = typeOf(x);
  SmallVector<Value> outSizes, inSizes;
  for (OpFoldResult f : sizes)
    outSizes.push_back(indexValue(b, loc, f));
  for (int64_t d = 0; d < t.getRank(); ++d)
    inSizes.push_back(indexValue(b, loc, dimOf(b, loc, x, d)));
  return indexedTensor(
      b, loc, sizes, t.getElementType(),
      [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
        Value flat = arith::ConstantIndexOp::create(nb, l, 0);
        for (auto [iv, size] : llvm::zip(ivs, outSizes))
          flat = arith::AddIOp::create(
              nb, l, arith::MulIOp::create(nb, l, flat, size), iv);
        SmallVector<Value> at(t.getRank());
        for (int64_t d = t.getRank() - 1; d >= 0; --d) {
          at[d] = arith::RemUIOp::create(nb, l, flat, inSizes[d]);
          flat = arith::DivUIOp::create(nb, l, flat, inSizes[d]);
        }
        return tensor::ExtractOp::create(nb, l, x, at);
      });
}

/// ONNX's reading of Reshape dims read from data, where any may be 0
/// (the input's dim unless `allowZero`) or −1 (inferred): the output
/// sizes, with run-time checks that no dim is below −1, at most one is −1
/// and the element count is kept.
static FailureOr<SmallVector<OpFoldResult>>
resolveDataDims(GraphImporter &gi, const onnx::NodeProto &node,
                ArrayRef<OpFoldResult> inDims, ArrayRef<OpFoldResult> dims,
                bool allowZero) {
  BoundArithmetic a(gi, node);
  OpFoldResult total = a.index(1), known = a.index(1), numInferred = a.index(0);
  for (OpFoldResult d : inDims)
    total = a.mul(total, d);
  SmallVector<OpFoldResult> resolved, inferred;
  for (auto [k, e] : llvm::enumerate(dims)) {
    if (failed(a.requireAtLeast(e, a.index(-1),
                                "shape element " + Twine(k) + " is below -1")))
      return failure();
    OpFoldResult r = e;
    if (!allowZero) {
      OpFoldResult zero = a.isZero(e);
      if (k < inDims.size())
        r = a.select(zero, inDims[k], e);
      else if (failed(a.require(zero, a.index(0),
                                "shape element " + Twine(k) +
                                    " is 0, copying a dimension the input "
                                    "does not have")))
        return failure();
    }
    OpFoldResult m = a.equal(e, a.index(-1));
    numInferred = a.add(numInferred, m);
    known = a.mul(known, a.select(m, a.index(1), r));
    resolved.push_back(r);
    inferred.push_back(m);
  }
  if (failed(a.requireAtLeast(a.index(1), numInferred,
                              "the shape has more than one -1")))
    return failure();
  OpFoldResult size = a.floorDiv(total, a.max(known, a.index(1)));
  SmallVector<OpFoldResult> out;
  OpFoldResult product = a.index(1);
  for (auto [r, m] : llvm::zip(resolved, inferred)) {
    out.push_back(a.select(m, size, r));
    product = a.mul(product, out.back());
  }
  if (failed(a.require(product, total,
                       "the shape does not keep the input's element count")))
    return failure();
  return out;
}

FailureOr<Value> mlir::hydra::onnx_import::reshapeDynamic(
    GraphImporter &gi, const onnx::NodeProto &node, Value x,
    ArrayRef<OpFoldResult> dims, bool allowZero) {
  // Dims read from data mean what ONNX says of any value.
  {
    BoundArithmetic a(gi, node);
    if (llvm::any_of(dims, [&](OpFoldResult f) {
          return !getConstantIntValue(f) && a.readsData(f);
        })) {
      FailureOr<SmallVector<OpFoldResult>> out =
          resolveDataDims(gi, node, gi.sizesOf(x), dims, allowZero);
      if (failed(out))
        return failure();
      return reshapeToSizes(gi, node, x, *out);
    }
  }
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  MLIRContext *ctx = b.getContext();
  SizeExprs sizes(gi);
  auto exprOf = [&](OpFoldResult f) { return sizes.of(f); };
  auto t = typeOf(x);
  int64_t inRank = t.getRank(), outRank = dims.size();
  SmallVector<OpFoldResult> inDims, outDims;
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t d = 0; d < inRank; ++d) {
    inDims.push_back(gi.dimOf(x, d));
    FailureOr<AffineExpr> e = exprOf(inDims.back());
    if (failed(e))
      return gi.error(node, "not supported: an input size the importer "
                            "cannot follow");
    inExprs.push_back(*e);
  }
  int64_t inferred = -1;
  for (int64_t k = 0; k < outRank; ++k) {
    OpFoldResult f = dims[k];
    std::optional<int64_t> c = getConstantIntValue(f);
    if (c && *c == -1) {
      if (inferred >= 0)
        return gi.error(node, "more than one -1 in the shape");
      inferred = k;
      outDims.push_back(f);
      outExprs.push_back(getAffineConstantExpr(1, ctx));
      continue;
    }
    if (c && *c == 0 && !allowZero) {
      if (k >= inRank)
        return gi.error(node, "0 in the shape copies a dimension the input "
                              "does not have");
      f = inDims[k];
    } else if (c && *c < 0) {
      return gi.error(node, "the shape has a negative size " + Twine(*c));
    }
    outDims.push_back(f);
    FailureOr<AffineExpr> e = exprOf(f);
    if (failed(e))
      return gi.error(node, "not supported: a shape size the importer cannot "
                            "follow to the input sizes");
    outExprs.push_back(*e);
  }
  if (inferred >= 0) {
    // −1: the input's factors over the others', cancelling equal sizes so
    // a split of B·S·512 by (B, S, 8) is 64, not a division at run time.
    int64_t inCoef = 1, outCoef = 1;
    SmallVector<std::pair<AffineExpr, OpFoldResult>> atoms;
    for (auto [e, f] : llvm::zip(inExprs, inDims)) {
      if (auto c = dyn_cast<AffineConstantExpr>(e))
        inCoef *= c.getValue();
      else
        atoms.push_back({e, f});
    }
    bool cancelled = true;
    for (int64_t k = 0; k < outRank; ++k) {
      if (k == inferred)
        continue;
      if (auto c = dyn_cast<AffineConstantExpr>(outExprs[k])) {
        outCoef *= c.getValue();
        continue;
      }
      auto it = llvm::find_if(
          atoms, [&](const auto &a) { return a.first == outExprs[k]; });
      if (it == atoms.end()) {
        cancelled = false;
        break;
      }
      atoms.erase(it);
    }
    OpFoldResult size;
    if (cancelled && outCoef != 0 && inCoef % outCoef == 0) {
      size = b.getIndexAttr(inCoef / outCoef);
      for (auto &[e, f] : atoms)
        size = combine(b, loc, Arith::Mul, size, f);
    } else {
      OpFoldResult total = b.getIndexAttr(1), rest = b.getIndexAttr(1);
      for (OpFoldResult f : inDims)
        total = combine(b, loc, Arith::Mul, total, f);
      for (int64_t k = 0; k < outRank; ++k)
        if (k != inferred)
          rest = combine(b, loc, Arith::Mul, rest, outDims[k]);
      size = combine(b, loc, Arith::Div, total, rest);
      // Exact only if it divides: the runtime checks.
      BoundArithmetic a(gi, node);
      if (failed(a.require(a.mul(size, rest), total,
                           "the shape does not keep the input's element "
                           "count")))
        return failure();
    }
    outDims[inferred] = size;
  }
  return reshapeToSizes(gi, node, x, outDims);
}

FailureOr<Value>
mlir::hydra::onnx_import::reshapeToSizes(GraphImporter &gi,
                                         const onnx::NodeProto &node, Value x,
                                         ArrayRef<OpFoldResult> outDims) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  MLIRContext *ctx = b.getContext();
  SizeExprs sizes(gi);
  auto exprOf = [&](OpFoldResult f) { return sizes.of(f); };
  auto t = typeOf(x);
  int64_t inRank = t.getRank(), outRank = outDims.size();
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t d = 0; d < inRank; ++d) {
    FailureOr<AffineExpr> e = exprOf(gi.dimOf(x, d));
    if (failed(e))
      return gi.error(node, "not supported: an input size the importer "
                            "cannot follow");
    inExprs.push_back(*e);
  }
  for (OpFoldResult f : outDims) {
    FailureOr<AffineExpr> e = exprOf(f);
    if (failed(e))
      return gi.error(node, "not supported: a shape size the importer cannot "
                            "follow to the input sizes");
    outExprs.push_back(*e);
  }
  SmallVector<int64_t> shape;
  for (OpFoldResult f : outDims)
    shape.push_back(getConstantIntValue(f).value_or(ShapedType::kDynamic));
  auto resultType = RankedTensorType::get(shape, t.getElementType());
  if (!fitsTensorLimit(shape, t.getElementTypeBitWidth()))
    return gi.error(node, "the shape " + formatShape(shape) +
                              " exceeds the tensor size limit");
  // Groups of neighbouring dims with equal products: `small` dims each
  // take a run of `big` dims whose product is theirs.
  auto group = [&](ArrayRef<AffineExpr> small, ArrayRef<AffineExpr> big)
      -> std::optional<SmallVector<ReassociationIndices>> {
    if (small.empty())
      return std::nullopt;
    SmallVector<ReassociationIndices> groups;
    size_t j = 0;
    for (AffineExpr target : small) {
      ReassociationIndices g;
      AffineExpr acc = getAffineConstantExpr(1, ctx);
      AffineExpr want = simplifySize(target, sizes.tracer.terms().size());
      while (j < big.size()) {
        acc = simplifySize(acc * big[j], sizes.tracer.terms().size());
        g.push_back(j++);
        if (acc == want)
          break;
      }
      if (acc != want)
        return std::nullopt;
      groups.push_back(g);
    }
    for (; j < big.size(); ++j) { // trailing 1s join the last group
      auto c = dyn_cast<AffineConstantExpr>(big[j]);
      if (!c || c.getValue() != 1)
        return std::nullopt;
      groups.back().push_back(j);
    }
    return groups;
  };
  // Sizes read from data: a copy (MLIR's strided-metadata lowering of
  // expand_shape does not take every such size).
  if (llvm::any_of(outExprs,
                   [&](AffineExpr e) { return sizes.tracer.readsElement(e); }))
    return copyReshaped(b, loc, x, outDims);
  if (inRank == outRank && inExprs == outExprs)
    return x.getType() == resultType
               ? x
               : Value(tensor::CastOp::create(b, loc, resultType, x));
  if (inRank < outRank)
    if (auto groups = group(inExprs, outExprs))
      return Value(tensor::ExpandShapeOp::create(b, loc, resultType, x, *groups,
                                                 outDims));
  if (inRank > outRank)
    if (auto groups = group(outExprs, inExprs)) {
      Value c = tensor::CollapseShapeOp::create(b, loc, x, *groups);
      return c.getType() == resultType
                 ? c
                 : Value(tensor::CastOp::create(b, loc, resultType, c));
    }
  // Through one dimension.
  Value flat = x;
  if (inRank == 0)
    flat = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, t.getElementType()), x,
        ArrayRef<ReassociationIndices>{});
  else if (inRank > 1)
    flat = tensor::CollapseShapeOp::create(b, loc, x, wholeRank(inRank));
  if (outRank == 0)
    return Value(tensor::CollapseShapeOp::create(
        b, loc, resultType, flat, ArrayRef<ReassociationIndices>{}));
  if (outRank == 1)
    return flat.getType() == resultType
               ? flat
               : Value(tensor::CastOp::create(b, loc, resultType, flat));
  // expand_shape wants the collapsed dim dynamic if any result dim is; a
  // static input with sizes read from data is copied element by element
  // instead (MLIR's strided-metadata lowering does not take the cast).
  if (!resultType.hasStaticShape() && typeOf(flat).hasStaticShape())
    return copyReshaped(b, loc, x, outDims);
  return Value(tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                             wholeRank(outRank), outDims));
}

FailureOr<Value>
mlir::hydra::onnx_import::expandDynamic(GraphImporter &gi,
                                        const onnx::NodeProto &node, Value x,
                                        ArrayRef<OpFoldResult> dims) {
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  auto t = typeOf(x);
  int64_t rank = std::max<int64_t>(t.getRank(), dims.size());
  int64_t xOff = rank - t.getRank(), sOff = rank - dims.size();
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> inExprs;
  BoundArithmetic a(gi, node);
  for (int64_t k = 0; k < rank; ++k) {
    std::optional<OpFoldResult> s;
    if (k >= sOff)
      s = dims[k - sOff];
    std::optional<int64_t> sc = s ? getConstantIntValue(*s) : std::nullopt;
    if (sc && *sc < 0)
      return gi.error(node, "the shape has a negative size " + Twine(*sc));
    bool hasX = k >= xOff;
    // A size read from data that meets an input dim other than a static
    // 1 must be 1 or that dim (this broadcast stretches no run-time dim).
    bool xStretches =
        hasX && !t.isDynamicDim(k - xOff) && t.getDimSize(k - xOff) == 1;
    if (s && !sc && hasX && !xStretches && a.readsData(*s)) {
      OpFoldResult d = gi.dimOf(x, k - xOff);
      if (failed(a.require(a.mul(a.sub(*s, a.index(1)), a.sub(*s, d)),
                           a.index(0),
                           "shape element " + Twine(k - sOff) +
                               " is neither 1 nor the input's size")))
        return failure();
      sizes.push_back(d);
      continue;
    }
    if (!s || (sc && *sc == 1 && hasX)) {
      sizes.push_back(gi.dimOf(x, k - xOff));
      continue;
    }
    if (hasX && !t.isDynamicDim(k - xOff) && t.getDimSize(k - xOff) != 1 &&
        sc && *sc != t.getDimSize(k - xOff))
      return gi.error(node, "the shape does not broadcast with the input");
    // x's size where it is not 1 (ONNX's broadcast is a maximum).
    if (hasX && !t.isDynamicDim(k - xOff) && t.getDimSize(k - xOff) != 1)
      sizes.push_back(b.getIndexAttr(t.getDimSize(k - xOff)));
    else
      sizes.push_back(*s);
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    bool broadcast = !t.isDynamicDim(d) && t.getDimSize(d) == 1 &&
                     getConstantIntValue(sizes[d + xOff]) != 1;
    exprs.push_back(broadcast ? b.getAffineConstantExpr(0)
                              : b.getAffineDimExpr(d + xOff));
  }
  Value init = tensor::EmptyOp::create(b, loc, sizes, t.getElementType());
  SmallVector<AffineMap> maps{AffineMap::get(rank, 0, exprs, b.getContext()),
                              b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, init.getType(), ValueRange{x},
                                   ValueRange{init}, maps, iterators,
                                   [](OpBuilder &nb, Location l, ValueRange a) {
                                     linalg::YieldOp::create(nb, l, a[0]);
                                   })
      .getResult(0);
}

namespace {
/// ConstantOfShape with a run-time shape: tensor.empty and a fill.
LogicalResult importConstantOfShape(GraphImporter &gi,
                                    const onnx::NodeProto &node) {
  std::optional<SmallVector<OpFoldResult>> shape = gi.sizesInput(node, 0);
  if (!shape)
    return gi.error(node, "not supported: a shape that is neither known at "
                          "import nor computed from input sizes");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  HostTensor value = HostTensor::fromDoubles(TP::FLOAT, {1}, {0.0});
  if (const onnx::AttributeProto *a = gi.attribute(node, "value")) {
    std::string error;
    if (!readTensorProto(a->t(), gi.modelDir(), value, error))
      return gi.error(node, error);
  }
  Type elt = gi.elementType(value.elemType);
  if (!elt)
    return gi.error(node, "not supported: the value's element type");
  TypedAttr fill = value.isFloat()
                       ? TypedAttr(b.getFloatAttr(elt, value.floatAt(0)))
                       : TypedAttr(b.getIntegerAttr(elt, value.intAt(0)));
  for (OpFoldResult f : *shape)
    if (auto c = getConstantIntValue(f); c && *c < 0)
      return gi.error(node, "the shape has a negative size " + Twine(*c));
  gi.setOutput(node, 0, filledTensor(b, loc, *shape, fill));
  return success();
}

/// Input `i` if it is a float scalar graph input, read and widened to f64
/// (exactly); nothing otherwise.
std::optional<Value> floatScalarInput(GraphImporter &gi,
                                      const onnx::NodeProto &node, int i) {
  Value v = gi.optionalInput(node, i);
  if (!isGraphInput(v) || typeOf(v).getRank() != 0 ||
      !isa<FloatType>(typeOf(v).getElementType()))
    return std::nullopt;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value e = tensor::ExtractOp::create(b, loc, v, ValueRange{});
  if (!e.getType().isF64())
    e = arith::ExtFOp::create(b, loc, b.getF64Type(), e);
  return e;
}

/// Range over float scalars given as graph inputs. The count
/// max(⌈(limit − start) / delta⌉, 0) and element i, start + i·delta, are
/// computed in double from the exact values (as the import-time evaluator
/// and numpy's arange do), each element then rounded to the type once;
/// the artifact computes the same count per call with its float size ops,
/// and a count that is not finite (delta 0, an infinite or NaN bound) is
/// an error there.
LogicalResult importFloatRange(GraphImporter &gi, const onnx::NodeProto &node) {
  std::optional<Value> start = floatScalarInput(gi, node, 0),
                       limit = floatScalarInput(gi, node, 1),
                       delta = floatScalarInput(gi, node, 2);
  if (!start || !limit || !delta)
    return gi.error(node, "not supported: Range on values known only at run "
                          "time that are neither integer scalars nor float "
                          "scalars given as graph inputs (all three)");
  Type elt = typeOf(gi.optionalInput(node, 0)).getElementType();
  for (int i = 1; i < 3; ++i)
    if (typeOf(gi.optionalInput(node, i)).getElementType() != elt)
      return gi.error(node, "start, limit and delta must be scalars of one "
                            "type");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  Value span = arith::SubFOp::create(b, loc, *limit, *start);
  Value quotient = arith::DivFOp::create(b, loc, span, *delta);
  Value count = arith::FPToSIOp::create(b, loc, b.getI64Type(),
                                        math::CeilOp::create(b, loc, quotient));
  BoundArithmetic a(gi, node);
  OpFoldResult n = a.max(
      arith::IndexCastOp::create(b, loc, b.getIndexType(), count).getResult(),
      a.index(0));
  gi.setOutput(
      node, 0,
      indexedTensor(
          b, loc, {n}, elt, [&](OpBuilder &nb, Location l, ValueRange ivs) {
            Value i =
                arith::IndexCastOp::create(nb, l, nb.getI64Type(), ivs[0]);
            Value x = arith::AddFOp::create(
                nb, l, *start,
                arith::MulFOp::create(
                    nb, l, arith::SIToFPOp::create(nb, l, nb.getF64Type(), i),
                    *delta));
            return convertScalar(nb, l, x, elt, false, false);
          }));
  return success();
}

/// Range with run-time integers (sizes, or scalars given as graph inputs):
/// n = max(⌈(limit − start) / delta⌉, 0), element i start + i·delta.
LogicalResult importRange(GraphImporter &gi, const onnx::NodeProto &node) {
  // An integer scalar known at import, symbolically or as a graph input;
  // the output takes start's element type.
  Type elt;
  auto scalar = [&](int i) -> std::optional<OpFoldResult> {
    if (std::optional<Sizes> s = sizesOf(gi, node, i)) {
      if (!s->scalar)
        return std::nullopt;
      if (i == 0)
        elt = gi.elementType(s->elemType);
      return s->elems[0];
    }
    Value v = gi.optionalInput(node, i);
    std::optional<SmallVector<OpFoldResult>> d = dataElements(gi, node, i);
    if (!d || typeOf(v).getRank() != 0)
      return std::nullopt;
    if (i == 0)
      elt = typeOf(v).getElementType();
    return (*d)[0];
  };
  std::optional<OpFoldResult> start = scalar(0), limit = scalar(1),
                              delta = scalar(2);
  if (!start || !limit || !delta)
    return importFloatRange(gi, node);
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  BoundArithmetic a(gi, node);
  if (failed(a.require(a.isZero(*delta), a.index(0), "delta is 0")))
    return failure();
  OpFoldResult neg = a.negative(*delta);
  OpFoldResult span =
      a.mul(a.sub(*limit, *start), a.sub(a.index(1), a.mul(neg, a.index(2))));
  OpFoldResult magnitude = a.select(neg, a.sub(a.index(0), *delta), *delta);
  OpFoldResult n =
      a.max(a.ceilDiv(span, a.max(magnitude, a.index(1))), a.index(0));
  Value first = indexValue(b, loc, *start), step = indexValue(b, loc, *delta);
  gi.setOutput(
      node, 0,
      indexedTensor(
          b, loc, {n}, elt, [&](OpBuilder &nb, Location l, ValueRange ivs) {
            Value v = arith::AddIOp::create(
                nb, l, first, arith::MulIOp::create(nb, l, ivs[0], step));
            return Value(arith::IndexCastOp::create(nb, l, elt, v));
          }));
  return success();
}
} // namespace

void registerSymbolicImporters(ImporterTable &onnx) {
  onnx["ConstantOfShape"] = {importConstantOfShape, {1, 1}};
  onnx["Range"] = {importRange, {3, 3}};
}

FailureOr<Value> mlir::hydra::onnx_import::sliceDynamic(
    GraphImporter &gi, const onnx::NodeProto &node, Value x,
    ArrayRef<OpFoldResult> starts, ArrayRef<OpFoldResult> ends,
    ArrayRef<int64_t> axes, ArrayRef<int64_t> steps) {
  int64_t rank = typeOf(x).getRank();
  BoundArithmetic arith(gi, node);
  SmallVector<OpFoldResult> offsets(rank, arith.index(0)),
      sizes = gi.sizesOf(x), strides(rank, arith.index(1));
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes[i], step = steps[i];
    if (step <= 0)
      return gi.error(node, "not supported: a negative or zero step on an "
                            "axis of run-time size or with run-time bounds");
    OpFoldResult dim = sizes[a];
    OpFoldResult s = arith.bound(starts[i], dim), e = arith.bound(ends[i], dim);
    OpFoldResult n = arith.max(arith.sub(e, s), arith.index(0));
    if (step != 1) {
      std::optional<int64_t> c = getConstantIntValue(n);
      n = c ? OpFoldResult(arith.index((*c + step - 1) / step))
            : OpFoldResult(arith::CeilDivSIOp::create(
                               gi.builder(), gi.loc(node),
                               indexValue(gi.builder(), gi.loc(node), n),
                               arith::ConstantIndexOp::create(
                                   gi.builder(), gi.loc(node), step))
                               .getResult());
    }
    // A slice that starts at the axis' end is empty, whatever its end.
    std::optional<int64_t> start = getConstantIntValue(s),
                           end = getConstantIntValue(dim);
    offsets[a] = s;
    sizes[a] = start && end && *start == *end ? arith.index(0) : n;
    strides[a] = arith.index(step);
  }
  return extractSlice(gi.builder(), gi.loc(node), x, offsets, sizes, strides);
}

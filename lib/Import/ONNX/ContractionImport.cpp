//===- ContractionImport.cpp - Einsum and Conv → linalg.generic -----------===//
//
// Both are sums of products over an index space that the operator's
// attributes describe: Einsum's equation names the loops; Conv's loops are
// (batch, group, channel, output positions; input channels, kernel
// positions). Static shapes.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"
#include "ShapeArithmetic.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value multiplyAdd(OpBuilder &b, Location l, ValueRange factors, Value acc) {
  bool fl = isa<FloatType>(acc.getType());
  Value p = factors.front();
  for (Value f : factors.drop_front())
    p = fl ? Value(arith::MulFOp::create(b, l, p, f))
           : Value(arith::MulIOp::create(b, l, p, f));
  return fl ? Value(arith::AddFOp::create(b, l, acc, p))
            : Value(arith::AddIOp::create(b, l, acc, p));
}

Value zeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elt) {
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
  return linalg::FillOp::create(
             b, loc, zero,
             ValueRange{tensor::EmptyOp::create(b, loc, shape, elt)})
      .getResult(0);
}

/// One term of an equation: its labels, with '.' standing for each
/// dimension the ellipsis covers once expanded.
struct Term {
  std::string labels;
  bool ellipsis = false;
};

/// Parses "ab,bc->ac" (or the implicit "ab,bc") into terms; false on a
/// malformed equation.
bool parseEquation(StringRef eq, SmallVectorImpl<Term> &inputs, Term &output,
                   bool &explicitOutput) {
  std::string compact;
  for (char c : eq)
    if (c != ' ')
      compact.push_back(c);
  StringRef s(compact);
  auto [lhs, rhs] = s.split("->");
  explicitOutput = s.contains("->");
  auto parseTerm = [](StringRef text, Term &t) {
    size_t dots = text.find("...");
    if (dots != StringRef::npos) {
      t.ellipsis = true;
      t.labels = (text.substr(0, dots) + "." + text.substr(dots + 3)).str();
      if (StringRef(t.labels).count('.') != 1)
        return false;
    } else {
      t.labels = text.str();
    }
    return llvm::all_of(t.labels,
                        [](char c) { return llvm::isAlpha(c) || c == '.'; });
  };
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  for (StringRef p : parts) {
    inputs.emplace_back();
    if (!parseTerm(p, inputs.back()))
      return false;
  }
  return !explicitOutput || parseTerm(rhs, output);
}

/// Einsum: the equation's labels become loops (those absent from the output
/// are reductions); each operand is read through the map its term gives, a
/// size-1 ellipsis dimension broadcasting.
LogicalResult importEinsum(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, node.input_size(), isNumberElement,
                            "float or integer", ins)))
    return failure();
  std::string equation = gi.stringAttr(node, "equation", "");
  SmallVector<Term> terms;
  Term out;
  bool explicitOutput;
  if (!parseEquation(equation, terms, out, explicitOutput) ||
      terms.size() != ins.size())
    return gi.error(node, "equation '" + equation + "' is malformed or does " +
                              "not have one term per input");
  for (Value v : ins)
    if (!typeOf(v).hasStaticShape())
      return gi.error(node, "not supported: Einsum on dynamic shapes");
  // The ellipsis' rank: the most dimensions any operand leaves to it.
  int64_t ellipsisRank = 0;
  for (auto [term, v] : llvm::zip(terms, ins)) {
    int64_t named = int64_t(term.labels.size()) - term.ellipsis;
    int64_t rank = typeOf(v).getRank();
    if (term.ellipsis ? rank < named : rank != named)
      return gi.error(node, "term '" + term.labels + "' does not match an " +
                                "input of rank " + Twine(rank));
    if (term.ellipsis)
      ellipsisRank = std::max(ellipsisRank, rank - named);
  }
  // Loops: the ellipsis' dimensions first, then labels in order of
  // appearance; sizes from the operands.
  std::map<char, int64_t> loopOf;
  SmallVector<int64_t> loopSize(ellipsisRank, 1);
  std::map<char, int> count;
  for (const Term &t : terms)
    for (char c : t.labels)
      if (c != '.') {
        ++count[c];
        if (!loopOf.count(c)) {
          loopOf[c] = loopSize.size();
          loopSize.push_back(-1);
        }
      }
  if (!explicitOutput) {
    out.ellipsis = ellipsisRank > 0 || llvm::any_of(terms, [](const Term &t) {
                     return t.ellipsis;
                   });
    out.labels = out.ellipsis ? "." : "";
    for (auto [c, n] : count) // std::map: sorted, upper case first
      if (n == 1)
        out.labels.push_back(c);
  }
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  MLIRContext *ctx = b.getContext();
  int64_t numLoops = loopSize.size();
  SmallVector<AffineMap> maps;
  for (auto [term, v] : llvm::zip(terms, ins)) {
    ArrayRef<int64_t> shape = typeOf(v).getShape();
    int64_t covered = shape.size() - (term.labels.size() - term.ellipsis);
    SmallVector<AffineExpr> exprs;
    int64_t dim = 0;
    for (char c : term.labels) {
      if (c == '.') {
        // Right-aligned against the ellipsis' loops.
        for (int64_t e = 0; e < covered; ++e, ++dim) {
          int64_t loop = ellipsisRank - covered + e;
          int64_t size = shape[dim];
          if (size == 1 && loopSize[loop] != 1) {
            exprs.push_back(getAffineConstantExpr(0, ctx));
            continue;
          }
          if (loopSize[loop] != 1 && loopSize[loop] != size)
            return gi.error(node, "ellipsis dimensions do not broadcast");
          loopSize[loop] = size;
          exprs.push_back(getAffineDimExpr(loop, ctx));
        }
        continue;
      }
      int64_t loop = loopOf[c];
      if (loopSize[loop] >= 0 && loopSize[loop] != shape[dim])
        return gi.error(node, "label '" + Twine(c) + "' has sizes " +
                                  Twine(loopSize[loop]) + " and " +
                                  Twine(shape[dim]));
      loopSize[loop] = shape[dim++];
      exprs.push_back(getAffineDimExpr(loop, ctx));
    }
    maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
  }
  // A size-1 ellipsis operand read before a larger one: broadcast maps for
  // dims that were first seen as 1 are fixed up by reading at 0 always
  // when the loop turned out larger.
  for (auto [m, v] : llvm::zip(maps, ins)) {
    ArrayRef<int64_t> shape = typeOf(v).getShape();
    SmallVector<AffineExpr> exprs(m.getResults());
    for (auto [d, e] : llvm::enumerate(exprs))
      if (auto de = dyn_cast<AffineDimExpr>(e))
        if (int64_t(de.getPosition()) < ellipsisRank && shape[d] == 1 &&
            loopSize[de.getPosition()] != 1)
          e = getAffineConstantExpr(0, ctx);
    m = AffineMap::get(numLoops, 0, exprs, ctx);
  }
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  std::set<char> seen;
  for (char c : out.labels) {
    if (c == '.') {
      for (int64_t e = 0; e < ellipsisRank; ++e) {
        outExprs.push_back(getAffineDimExpr(e, ctx));
        outShape.push_back(loopSize[e]);
      }
      continue;
    }
    if (!loopOf.count(c) || !seen.insert(c).second)
      return gi.error(node, "output label '" + Twine(c) +
                                "' is repeated or not an input's");
    outExprs.push_back(getAffineDimExpr(loopOf[c], ctx));
    outShape.push_back(loopSize[loopOf[c]]);
  }
  if (ellipsisRank && !out.ellipsis)
    return gi.error(node, "not supported: an output without the ellipsis of "
                          "its inputs");
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::reduction);
  for (AffineExpr e : outExprs)
    iterators[cast<AffineDimExpr>(e).getPosition()] =
        utils::IteratorType::parallel;
  Type elt = elementOf(ins[0]);
  Value init = zeros(b, loc, outShape, elt);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ins, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l,
                                multiplyAdd(nb, l, a.drop_back(), a.back()));
      });
  gi.setOutput(node, 0, op.getResult(0));
  return success();
}

/// Conv (any number of spatial dims, groups, strides, dilations, pads or
/// auto_pad): the input padded with zeros, then
/// y[n, g, m, o...] = Σ_{c, k...} x[n, g·C/G + c, o·s + k·d] · w[g, m, c, k]
/// over W viewed as [G, M/G, C/G, K...], and the bias added.
LogicalResult importConv(GraphImporter &gi, const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  int count = gi.hasInput(node, 2) ? 3 : 2;
  if (failed(sameTypeInputs(gi, node, count, isFloatElement, "float", ins)))
    return failure();
  Value x = ins[0], w = ins[1];
  auto xt = typeOf(x), wt = typeOf(w);
  int64_t rank = xt.getRank(), spatial = rank - 2;
  if (rank < 3 || wt.getRank() != rank)
    return gi.error(node, "X and W must have one rank, 3 or more");
  // The batch and the spatial sizes may be run-time ones (a depthwise
  // conv1d over a dynamic sequence); the channels and W fix the loops.
  if (!wt.hasStaticShape() || xt.isDynamicDim(1))
    return gi.error(node, "not supported: Conv with a run-time channel "
                          "count or kernel size");
  int64_t groups = gi.intAttr(node, "group", 1);
  int64_t c = xt.getDimSize(1), m = wt.getDimSize(0);
  if (groups < 1 || c % groups || m % groups || wt.getDimSize(1) != c / groups)
    return gi.error(node, "group " + Twine(groups) + " does not divide " +
                              Twine(c) + " input and " + Twine(m) +
                              " output channels with W's " +
                              Twine(wt.getDimSize(1)) + " a group");
  auto listOr = [&](StringRef name, int64_t dflt) {
    std::vector<int64_t> v = gi.intsAttr(node, name);
    if (v.empty())
      v.assign(spatial, dflt);
    return v;
  };
  std::vector<int64_t> strides = listOr("strides", 1),
                       dilations = listOr("dilations", 1),
                       kernel = gi.intsAttr(node, "kernel_shape");
  if (kernel.empty())
    kernel.assign(wt.getShape().begin() + 2, wt.getShape().end());
  std::vector<int64_t> pads = gi.intsAttr(node, "pads");
  if (pads.empty())
    pads.assign(2 * spatial, 0);
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(kernel.size()) != spatial || int64_t(pads.size()) != 2 * spatial)
    return gi.error(node, "strides, dilations, kernel_shape and pads must "
                          "have one entry per spatial dimension (pads two)");
  std::string autoPad = gi.stringAttr(node, "auto_pad", "NOTSET");
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  SmallVector<int64_t> outSpatial, low(rank, 0);
  SmallVector<OpFoldResult> outSizes{gi.dimOf(x, 0)},
      paddedSizes = gi.sizesOf(x);
  bool needsPad = false;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t size = xt.getDimSize(2 + i), s = strides[i], d = dilations[i],
            k = kernel[i];
    if (s < 1 || d < 1 || k != wt.getDimSize(2 + i) || pads[i] < 0 ||
        pads[i + spatial] < 0 || k > (int64_t(1) << 24) ||
        d > (int64_t(1) << 24) || s > (int64_t(1) << 24))
      return gi.error(node, "bad stride, dilation, kernel size or pad for "
                            "spatial dimension " +
                                Twine(i));
    int64_t span = (k - 1) * d + 1;
    int64_t before = pads[i], after = pads[i + spatial];
    if (ShapedType::isDynamic(size)) {
      if (autoPad != "NOTSET" && autoPad != "VALID")
        return gi.error(node, "not supported: auto_pad " + autoPad +
                                  " on a spatial size known only at run time");
      if (autoPad == "VALID")
        before = after = 0;
      // (size + pads − span) floordiv stride + 1; a kernel longer than the
      // padded input gives a negative size, which the runtime refuses.
      Value full = arith::AddIOp::create(
          b, loc, getValueOrCreateConstantIndexOp(b, loc, gi.dimOf(x, 2 + i)),
          arith::ConstantIndexOp::create(b, loc, before + after));
      Value o = arith::AddIOp::create(
          b, loc,
          arith::FloorDivSIOp::create(
              b, loc,
              arith::SubIOp::create(
                  b, loc, full, arith::ConstantIndexOp::create(b, loc, span)),
              arith::ConstantIndexOp::create(b, loc, s)),
          arith::ConstantIndexOp::create(b, loc, 1));
      outSpatial.push_back(ShapedType::kDynamic);
      outSizes.push_back(o);
      low[2 + i] = before;
      paddedSizes[2 + i] = full;
      needsPad |= before || after;
      continue;
    }
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t o = (size + s - 1) / s;
      int64_t total = std::max<int64_t>((o - 1) * s + span - size, 0);
      before = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      after = total - before;
    } else if (autoPad == "VALID") {
      before = after = 0;
    } else if (autoPad != "NOTSET") {
      return gi.error(node, "unknown auto_pad '" + autoPad + "'");
    }
    int64_t full = size + before + after;
    if (full < span)
      return gi.error(node, "the kernel is larger than the padded input");
    outSpatial.push_back((full - span) / s + 1);
    outSizes.push_back(b.getIndexAttr(outSpatial.back()));
    low[2 + i] = before;
    paddedSizes[2 + i] = b.getIndexAttr(full);
    needsPad |= before || after;
  }
  MLIRContext *ctx = b.getContext();
  Type elt = xt.getElementType();
  if (needsPad)
    x = padWith(b, loc, x, low, paddedSizes, b.getZeroAttr(elt));
  int64_t mg = m / groups, cg = c / groups;
  // W as [G, M/G, C/G, K...].
  SmallVector<int64_t> wShape{groups, mg, cg};
  wShape.append(wt.getShape().begin() + 2, wt.getShape().end());
  SmallVector<ReassociationIndices> wGroups{{0, 1}, {2}};
  for (int64_t i = 0; i < spatial; ++i)
    wGroups.push_back({3 + i});
  Value wg = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(wShape, elt), w, wGroups);
  // Loops: n, g, mg, o_1..o_s (parallel), c, k_1..k_s (reduction).
  int64_t numLoops = 3 + 2 * spatial + 1;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  int64_t cLoop = 3 + spatial, kLoop = 4 + spatial;
  SmallVector<AffineExpr> xExprs{dim(0), dim(1) * cg + dim(cLoop)};
  SmallVector<AffineExpr> wExprs{dim(1), dim(2), dim(cLoop)};
  SmallVector<AffineExpr> yExprs{dim(0), dim(1), dim(2)};
  for (int64_t i = 0; i < spatial; ++i) {
    xExprs.push_back(dim(3 + i) * strides[i] + dim(kLoop + i) * dilations[i]);
    wExprs.push_back(dim(kLoop + i));
    yExprs.push_back(dim(3 + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, xExprs, ctx),
                              AffineMap::get(numLoops, 0, wExprs, ctx),
                              AffineMap::get(numLoops, 0, yExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::reduction);
  for (int64_t i = 0; i < 3 + spatial; ++i)
    iterators[i] = utils::IteratorType::parallel;
  SmallVector<OpFoldResult> ySizes{outSizes[0], b.getIndexAttr(groups),
                                   b.getIndexAttr(mg)};
  ySizes.append(outSizes.begin() + 1, outSizes.end());
  Value init = filledTensor(b, loc, ySizes, b.getZeroAttr(elt));
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x, wg}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l,
                                multiplyAdd(nb, l, a.drop_back(), a.back()));
      });
  SmallVector<ReassociationIndices> yGroups{{0}, {1, 2}};
  for (int64_t i = 0; i < spatial; ++i)
    yGroups.push_back({3 + i});
  Value y = tensor::CollapseShapeOp::create(b, loc, op.getResult(0), yGroups);
  if (count == 3) {
    Value bias = ins[2];
    if (typeOf(bias).getShape() != ArrayRef<int64_t>{m})
      return gi.error(node, "B must have one value per output channel");
    // [M] → [M, 1, ...] to broadcast over the spatial dims.
    SmallVector<int64_t> bShape{m};
    bShape.append(spatial, 1);
    SmallVector<ReassociationIndices> bGroups{{}};
    for (int64_t i = 0; i <= spatial; ++i)
      bGroups[0].push_back(i);
    bias = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(bShape, elt), bias, bGroups);
    return setResult(
        gi, node,
        elementwise(b, loc, {y, bias}, elt,
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::AddFOp::create(nb, l, a[0], a[1]);
                    }));
  }
  gi.setOutput(node, 0, y);
  return success();
}
} // namespace

void registerContractionImporters(ImporterTable &onnx) {
  onnx["Einsum"] = {importEinsum, {1, kVariadic}};
  onnx["Conv"] = {importConv, {2, 3}};
}

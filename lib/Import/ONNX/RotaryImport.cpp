//===- RotaryImport.cpp - RotaryEmbedding-23 → linalg.generic -------------===//
//
// out[d] = cos·x[d] ∓ sin·x[partner] for the first rotary_embedding_dim
// elements of each head (partner: the other half, or the neighbour when
// interleaved), x[d] beyond them; cos and sin looked up by position id or
// given per (batch, position). One generic over the output: x's partner
// element and the caches looked up by id with tensor.extract, the caches
// given per position through the generic's maps.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseSupport.h"
#include "TensorOps.h"

#include "hydra/Dialect/Hydra/Utils/ShapeText.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

LogicalResult importRotaryEmbedding(GraphImporter &gi,
                                    const onnx::NodeProto &node) {
  SmallVector<Value> ins;
  if (failed(sameTypeInputs(gi, node, 3, isFloatElement, "float", ins)))
    return failure();
  Value x = ins[0], cosCache = ins[1], sinCache = ins[2];
  Value ids = gi.optionalInput(node, 3);
  auto xt = typeOf(x), ct = typeOf(cosCache);
  if (typeOf(sinCache) != ct)
    return gi.error(node, "cos_cache and sin_cache must have one shape");
  int64_t rank = xt.getRank();
  if (rank != 3 && rank != 4)
    return gi.error(node, "X must be 3D [B, S, H·D] or 4D [B, H, S, D]");
  if (xt.isDynamicDim(rank - 1) || (rank == 4 && xt.isDynamicDim(1)))
    return gi.error(node, "not supported: a run-time head count or size");
  int64_t seqAxis = rank == 4 ? 2 : 1;
  int64_t batch = xt.getDimSize(0), seq = xt.getDimSize(seqAxis);
  int64_t headSize = xt.getDimSize(rank - 1);
  if (rank == 3) {
    int64_t heads = gi.intAttr(node, "num_heads", 0);
    if (heads <= 0 || xt.getDimSize(2) % heads)
      return gi.error(node, "3D input: num_heads must divide the hidden size " +
                                Twine(xt.getDimSize(2)));
    headSize = xt.getDimSize(2) / heads;
  }
  int64_t rot = gi.intAttr(node, "rotary_embedding_dim", 0);
  if (rot == 0)
    rot = headSize;
  if (rot < 0 || rot > headSize || rot % 2)
    return gi.error(node, "rotary_embedding_dim " + Twine(rot) +
                              " must be even and at most the head size " +
                              Twine(headSize));
  int64_t half = rot / 2;
  // Sizes equal when static; dynamic ones are tied by the generic's maps
  // (the artifact checks them per call).
  auto agree = [](int64_t a, int64_t b) { return !sizesDiffer(a, b); };
  bool broadcastBatch = false;
  if (ids) {
    auto it = typeOf(ids);
    if (!isa<IntegerType>(it.getElementType()) || it.getRank() != 2 ||
        !agree(it.getDimSize(0), batch) || !agree(it.getDimSize(1), seq))
      return gi.error(node, "position_ids must be integers of shape " +
                                formatShape({batch, seq}));
    if (ct.getRank() != 2 || ct.getDimSize(1) != half || ct.getDimSize(0) < 1)
      return gi.error(node, "with position_ids the caches must be " +
                                Twine("[max position, ") + Twine(half) +
                                "], not " + formatShape(ct.getShape()));
  } else {
    // A cache of batch 1 serves every batch (the dynamo exporter writes
    // one from position ids of batch 1), as in PyTorch.
    broadcastBatch = ct.getRank() == 3 && ct.getDimSize(0) == 1;
    if (ct.getRank() != 3 || ct.getDimSize(2) != half ||
        !(broadcastBatch || agree(ct.getDimSize(0), batch)) ||
        !agree(ct.getDimSize(1), seq))
      return gi.error(node, "without position_ids the caches must be " +
                                formatShape({batch, seq, half}) +
                                " (or of batch 1), not " +
                                formatShape(ct.getShape()));
  }
  bool interleaved = gi.intAttr(node, "interleaved", 0) != 0;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  int64_t maxPos = ct.getDimSize(0);
  // The generic's operands: x, then the ids or the caches. Cache element
  // (batch, position, j) with j the pair's index inside the head, kept in
  // range beyond the rotary part, where it goes unused.
  MLIRContext *ctx = b.getContext();
  AffineExpr bd = getAffineDimExpr(0, ctx), sd = getAffineDimExpr(seqAxis, ctx);
  AffineExpr inHead = getAffineDimExpr(rank - 1, ctx) % headSize;
  AffineExpr pair = (interleaved ? inHead.floorDiv(2) : inHead) % half;
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  if (ids) {
    inputs.push_back(ids);
    maps.push_back(AffineMap::get(rank, 0, {bd, sd}, ctx));
  } else {
    AffineMap cacheMap = AffineMap::get(
        rank, 0,
        {broadcastBatch ? getAffineConstantExpr(0, ctx) : bd, sd, pair}, ctx);
    inputs.append({cosCache, sinCache});
    maps.append({cacheMap, cacheMap});
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  auto body = [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(nb, l, v);
    };
    SmallVector<Value> ivs;
    for (int64_t i = 0; i < rank; ++i)
      ivs.push_back(linalg::IndexOp::create(nb, l, i));
    Value last = ivs[rank - 1];
    // d: the position inside the head; base: where the head starts.
    Value d = rank == 4
                  ? last
                  : Value(arith::RemUIOp::create(nb, l, last, c(headSize)));
    Value base = arith::SubIOp::create(nb, l, last, d);
    auto lt = [&](Value u, Value v) {
      return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, u, v);
    };
    Value first, j, partner;
    if (interleaved) {
      j = arith::DivUIOp::create(nb, l, d, c(2));
      Value even =
          arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                arith::RemUIOp::create(nb, l, d, c(2)), c(0));
      first = even;
      partner = arith::SelectOp::create(nb, l, even,
                                        arith::AddIOp::create(nb, l, d, c(1)),
                                        arith::SubIOp::create(nb, l, d, c(1)));
    } else {
      first = lt(d, c(half));
      j = arith::SelectOp::create(nb, l, first, d,
                                  arith::SubIOp::create(nb, l, d, c(half)));
      partner = arith::SelectOp::create(
          nb, l, first, arith::AddIOp::create(nb, l, d, c(half)),
          arith::SubIOp::create(nb, l, d, c(half)));
    }
    Value rotated = lt(d, c(rot));
    // Beyond the rotary part the lookups are unused; keep them in range.
    j = arith::MinUIOp::create(nb, l, j, c(half - 1));
    partner = arith::MinUIOp::create(nb, l, partner, c(headSize - 1));
    SmallVector<Value> at(ivs);
    at[rank - 1] = arith::AddIOp::create(nb, l, base, partner);
    Value xp = tensor::ExtractOp::create(nb, l, x, at);
    Value cs = a[1], sn = a[2];
    if (ids) {
      SmallVector<Value> cacheAt{
          wrapIndex(nb, l, a[1], nb.getIndexAttr(maxPos)), j};
      cs = tensor::ExtractOp::create(nb, l, cosCache, cacheAt);
      sn = tensor::ExtractOp::create(nb, l, sinCache, cacheAt);
    }

    Value r = inFloat32(
        nb, l, {a[0], xp, cs, sn},
        [&](OpBuilder &fb, Location fl, ValueRange v) -> Value {
          Value own = arith::MulFOp::create(fb, fl, v[2], v[0]);
          Value other = arith::MulFOp::create(fb, fl, v[3], v[1]);
          return arith::SelectOp::create(
              fb, fl, first, arith::SubFOp::create(fb, fl, own, other),
              arith::AddFOp::create(fb, fl, own, other));
        });
    return arith::SelectOp::create(nb, l, rotated, r, a[0]);
  };
  Value init =
      tensor::EmptyOp::create(b, loc, gi.sizesOf(x), xt.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l, body(nb, l, a));
      });
  gi.setOutput(node, 0, op.getResult(0));
  return success();
}
} // namespace

void registerRotaryImporters(ImporterTable &onnx) {
  onnx["RotaryEmbedding"] = {importRotaryEmbedding, {3, 4}};
}

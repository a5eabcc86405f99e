//===- RotaryImport.cpp - RotaryEmbedding-23 → linalg.generic -------------===//
//
// out[d] = cos·x[d] ∓ sin·x[partner] for the first rotary_embedding_dim
// elements of each head (partner: the other half, or the neighbour when
// interleaved), x[d] beyond them; cos and sin looked up by position id or
// given per (batch, position). One generic over the output reading x, the
// caches and the ids with tensor.extract. Static shapes.
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
  if (!xt.hasStaticShape() || !ct.hasStaticShape() ||
      (ids && !typeOf(ids).hasStaticShape()))
    return gi.error(node, "not supported: RotaryEmbedding on dynamic shapes");
  if (typeOf(sinCache) != ct)
    return gi.error(node, "cos_cache and sin_cache must have one shape");
  int64_t rank = xt.getRank();
  if (rank != 3 && rank != 4)
    return gi.error(node, "X must be 3D [B, S, H·D] or 4D [B, H, S, D]");
  int64_t batch = xt.getDimSize(0);
  int64_t seq = xt.getDimSize(rank == 4 ? 2 : 1);
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
  if (ids) {
    auto it = typeOf(ids);
    if (!isa<IntegerType>(it.getElementType()) ||
        it.getShape() != ArrayRef<int64_t>{batch, seq})
      return gi.error(node, "position_ids must be integers of shape [" +
                                Twine(batch) + ", " + Twine(seq) + "]");
    if (ct.getRank() != 2 || ct.getDimSize(1) != half || ct.getDimSize(0) < 1)
      return gi.error(node, "with position_ids the caches must be " +
                                Twine("[max position, ") + Twine(half) +
                                "], not " + formatShape(ct.getShape()));
  } else if (ct.getShape() != ArrayRef<int64_t>{batch, seq, half}) {
    return gi.error(node, "without position_ids the caches must be [" +
                              Twine(batch) + ", " + Twine(seq) + ", " +
                              Twine(half) + "], not " +
                              formatShape(ct.getShape()));
  }
  bool interleaved = gi.intAttr(node, "interleaved", 0) != 0;
  OpBuilder &b = gi.builder();
  Location loc = gi.loc(node);
  int64_t maxPos = ct.getDimSize(0);
  auto body = [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(nb, l, v);
    };
    SmallVector<Value> ivs;
    for (int64_t i = 0; i < rank; ++i)
      ivs.push_back(linalg::IndexOp::create(nb, l, i));
    Value bi = ivs[0], si = ivs[rank == 4 ? 2 : 1], last = ivs[rank - 1];
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
    SmallVector<Value> cacheAt;
    if (ids) {
      Value p = tensor::ExtractOp::create(nb, l, ids, ValueRange{bi, si});
      cacheAt = {wrapIndex(nb, l, p, maxPos), j};
    } else {
      cacheAt = {bi, si, j};
    }
    Value cs = tensor::ExtractOp::create(nb, l, cosCache, cacheAt);
    Value sn = tensor::ExtractOp::create(nb, l, sinCache, cacheAt);
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
  return setResult(gi, node,
                   elementwise(b, loc, {x}, xt.getElementType(), body));
}
} // namespace

void registerRotaryImporters(ImporterTable &onnx) {
  onnx["RotaryEmbedding"] = {importRotaryEmbedding, {3, 4}};
}

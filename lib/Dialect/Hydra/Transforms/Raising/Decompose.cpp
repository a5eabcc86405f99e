//===- Decompose.cpp - hydra.rms_norm and linalg.softmax to generics ------===//

#include "hydra/Dialect/Hydra/Transforms/Passes.h"
#include "hydra/Dialect/Hydra/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRADECOMPOSE
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// y = x · rsqrt(mean(x², axes) + ε) · scale.
struct DecomposeRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type elt = type.getElementType();
    SmallVector<int64_t> axes;
    for (int64_t d = op.getAxis(); d < type.getRank(); ++d)
      axes.push_back(d);
    Value sq =
        *elementwise(rewriter, loc, {x}, elt,
                     [](OpBuilder &b, Location l, ValueRange a) -> Value {
                       return arith::MulFOp::create(b, l, a[0], a[0]);
                     });
    Value sum =
        reduceKeepDims(rewriter, loc, sq, axes, rewriter.getFloatAttr(elt, 0.0),
                       [](OpBuilder &b, Location l, ValueRange a) -> Value {
                         return arith::AddFOp::create(b, l, a[0], a[1]);
                       });
    Value n = countAlong(rewriter, loc, x, axes, elt);
    double eps = op.getEpsilon().convertToDouble();
    auto y = elementwise(
        rewriter, loc, {x, sum, op.getScale()}, elt,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value e = arith::ConstantOp::create(b, l, b.getFloatAttr(elt, eps));
          Value mean = arith::DivFOp::create(b, l, a[1], n);
          Value r =
              math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, mean, e));
          return arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, a[0], r), a[2]);
        });
    if (failed(y))
      return rewriter.notifyMatchFailure(op, "scale does not broadcast");
    rewriter.replaceOp(op, *y);
    return success();
  }
};

/// linalg.softmax's own decomposition (max, exp(x - max), sum, divide).
struct DecomposeSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "softmax on buffers");
    FailureOr<SmallVector<Value>> parts = op.decomposeOperation(rewriter);
    if (failed(parts))
      return failure();
    rewriter.replaceOp(op, *parts);
    return success();
  }
};

struct HydraDecomposePass
    : public hydra::impl::HydraDecomposeBase<HydraDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeRMSNorm, DecomposeSoftmax>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

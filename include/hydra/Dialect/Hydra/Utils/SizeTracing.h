//===- SizeTracing.h - sizes as expressions of the input sizes -*- C++ -*-===//
//
// Every dynamic size in a function (of a buffer, a grid, an operand that
// attention needs equal to another) is computed from the inputs' sizes by
// the ops that produced it: projections keep a batch, Reshape multiplies
// and divides, Concat adds a cache length. The tracer follows those ops
// back to the function's arguments and returns the size as an AffineExpr
// whose symbols the caller assigns to argument dimensions. Works on
// tensors (the importer, before bufferization) and on memrefs (host
// programs); ops of other dialects come through `otherDim`.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_UTILS_SIZETRACING_H
#define HYDRA_DIALECT_HYDRA_UTILS_SIZETRACING_H

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir::hydra {

/// The min or max of two sizes (a Slice clamps its bounds to the axis),
/// which an AffineExpr cannot say: the tracer names extremum i the dim
/// expression d_i (the sizes use only symbols otherwise), and the artifact
/// computes it with its min/max size ops.
struct SizeExtremum {
  bool isMax;
  AffineExpr lhs, rhs;
  bool nonNegative; // provably ≥ 0
};

/// Simplifies a size expression over symbols and the extrema's dims.
AffineExpr simplifySize(AffineExpr e, unsigned numExtrema);

/// Whether `e` is provably ≥ 0: symbols are sizes, extrema as recorded.
bool provablyNonNegative(AffineExpr e, ArrayRef<SizeExtremum> extrema);

class SizeTracer {
public:
  /// The expression of dim `axis` of function argument `arg`, or nothing if
  /// it has none (a static dim never reaches this).
  using ArgDim =
      std::function<std::optional<AffineExpr>(unsigned arg, unsigned axis)>;

  /// For ops the tracer does not know: the operand value and axis whose
  /// size result `result`'s dim `axis` has, if any.
  using OtherDim = std::function<std::optional<std::pair<Value, int64_t>>(
      OpResult result, int64_t axis)>;

  SizeTracer(MLIRContext *context, ArgDim argDim, OtherDim otherDim = {})
      : context_(context), argDim_(std::move(argDim)),
        otherDim_(std::move(otherDim)) {}

  /// An index (or integer) value as an expression; failure if some op on
  /// the way is not one the tracer knows (a loaded value, ...).
  FailureOr<AffineExpr> size(Value index);
  /// Dim `axis` of a ranked tensor or memref value.
  FailureOr<AffineExpr> dim(Value shaped, int64_t axis);

  /// min/max(lhs, rhs): the one that is provably the smaller/larger, else
  /// an extremum (one per distinct operation).
  AffineExpr extremum(bool isMax, AffineExpr lhs, AffineExpr rhs);
  /// The extrema the traced sizes name, d_i being extrema()[i].
  ArrayRef<SizeExtremum> extrema() const { return extrema_; }

private:
  FailureOr<AffineExpr> sizeUncached(Value index);
  FailureOr<AffineExpr> dimUncached(Value shaped, int64_t axis);
  FailureOr<AffineExpr> mixed(OpFoldResult size);

  MLIRContext *context_;
  ArgDim argDim_;
  OtherDim otherDim_;
  llvm::DenseMap<Value, AffineExpr> sizes_;
  llvm::DenseMap<std::pair<Value, int64_t>, AffineExpr> dims_;
  std::vector<SizeExtremum> extrema_;
};

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_UTILS_SIZETRACING_H

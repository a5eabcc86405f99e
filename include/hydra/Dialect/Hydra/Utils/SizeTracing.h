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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir::hydra {

/// One element of a function argument: a size read from data.
struct ArgumentElement {
  unsigned input;  // the argument
  int64_t element; // its flat (row-major) index
  bool isFloat = false;
  bool operator==(const ArgumentElement &o) const {
    return input == o.input && element == o.element;
  }
};

/// A size an AffineExpr cannot say: the min or max of two sizes (a Slice
/// clamps its bounds to the axis), an element of an integer input read at
/// run time (a Reshape's shape given as a graph input), or the element
/// count ⌈(limit − start) / delta⌉ of a Range whose float scalars are
/// graph inputs, computed in double. The tracer names term i the dim
/// expression d_i (the sizes use only symbols otherwise), and the artifact
/// computes it with its min/max, element and float size ops.
struct SizeTerm {
  enum class Kind { Min, Max, Element, RangeCount };
  Kind kind;
  AffineExpr lhs, rhs; // Min and Max
  bool nonNegative;    // provably ≥ 0 (an element never is)
  unsigned input = 0;  // Element: the function argument
  int64_t element = 0; // Element: its flat (row-major) index
  // RangeCount: the float elements it reads.
  ArgumentElement limit{0, 0}, start{0, 0}, delta{0, 0};

  bool isMax() const { return kind == Kind::Max; }
  bool isExtremum() const { return kind == Kind::Min || kind == Kind::Max; }
  /// Whether the term reads the call's data (so may be any integer).
  bool readsData() const { return !isExtremum(); }
};

/// Simplifies a size expression over symbols and the terms' dims.
AffineExpr simplifySize(AffineExpr e, unsigned numTerms);

/// Whether `e` is provably ≥ 0: symbols are sizes, terms as recorded.
bool provablyNonNegative(AffineExpr e, ArrayRef<SizeTerm> terms);

/// What `op` reads if it is a memref.load or tensor.extract of an integer
/// or float function argument of static shape at constant indices (through
/// casts): a value the artifact reads before any launch and kernels read
/// again from the same buffer, which no launch writes.
std::optional<ArgumentElement> argumentElement(Operation *op);
inline bool isArgumentElementRead(Operation *op) {
  return argumentElement(op).has_value();
}

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
  /// the way is not one the tracer knows (a value computed from data other
  /// than an element of an integer function argument, ...).
  FailureOr<AffineExpr> size(Value index);
  /// Dim `axis` of a ranked tensor or memref value.
  FailureOr<AffineExpr> dim(Value shaped, int64_t axis);

  /// min/max(lhs, rhs): the one that is provably the smaller/larger, else
  /// an extremum (one per distinct operation).
  AffineExpr extremum(bool isMax, AffineExpr lhs, AffineExpr rhs);
  /// The terms the traced sizes name, d_i being terms()[i].
  ArrayRef<SizeTerm> terms() const { return terms_; }
  /// Whether `e` (a traced size) depends on an element read from data.
  bool readsElement(AffineExpr e) const;

private:
  FailureOr<AffineExpr> sizeUncached(Value index);
  FailureOr<AffineExpr> dimUncached(Value shaped, int64_t axis);
  FailureOr<AffineExpr> mixed(OpFoldResult size);
  /// The term of an element read from data (one per element).
  AffineExpr element(const ArgumentElement &e);
  /// The term of a Range's element count over float elements.
  FailureOr<AffineExpr> rangeCount(arith::FPToSIOp op);

  MLIRContext *context_;
  ArgDim argDim_;
  OtherDim otherDim_;
  llvm::DenseMap<Value, AffineExpr> sizes_;
  llvm::DenseMap<std::pair<Value, int64_t>, AffineExpr> dims_;
  std::vector<SizeTerm> terms_;
};

} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_UTILS_SIZETRACING_H

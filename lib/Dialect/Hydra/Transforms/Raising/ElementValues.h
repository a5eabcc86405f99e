//===- ElementValues.h - what index and bool tensors hold -------*- C++ -*-===//
//
// Exporters build attention masks at run time: positions from Range (or an
// iota), broadcast, gathered, compared and and-ed (transformers 5 builds
// even its causal mask so). Whether such a mask is the causal one is a fact
// about values, not about op shapes. This analysis reads an integer or bool
// tensor built from the imported linalg ops as a function of its indices:
// an integer element as an affine expression of the indices and of size
// symbols, a bool element as a conjunction of affine constraints. Claims
// about them are decided exactly over the integers (MLIR's Presburger
// library), with the tensors' sizes and the min/max of sizes (which Slice
// and GatherND write) as symbols: a claim holds for every size, not for
// the sizes tried.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_ELEMENTVALUES_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_ELEMENTVALUES_H

#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>
#include <optional>

namespace mlir::hydra {

/// `expr` ≥ 0, or `expr` = 0 with `equality`; over a frame's dims and the
/// analysis' symbols.
struct Atom {
  AffineExpr expr;
  bool equality = false;
};

/// A conjunction of atoms (true when empty), or false (`never`).
struct Predicate {
  bool never = false;
  SmallVector<Atom> atoms;

  bool isTrue() const { return !never && atoms.empty(); }
};

/// An index space: dims d0 … d(n−1) with 0 ≤ di < sizes[i] (sizes over the
/// symbols).
struct Frame {
  SmallVector<AffineExpr> sizes;
};

struct ElementFunction;

class ElementValues {
public:
  /// For values of the function around `scope`.
  explicit ElementValues(Operation *scope);
  ~ElementValues();

  /// What bool tensor `v` holds at `index` (expressions over `frame`'s
  /// dims), if the analysis can say.
  std::optional<Predicate> predicateAt(Value v, ArrayRef<AffineExpr> index,
                                       const Frame &frame);

  /// Which scores mask `v` keeps at `index`: a bool mask's predicate, or
  /// where a float mask added to the scores is 0 rather than at most
  /// `dropAtMost` (it must be one or the other everywhere).
  std::optional<Predicate> keptAt(Value mask, ArrayRef<AffineExpr> index,
                                  const Frame &frame, double dropAtMost);

  /// Dim `i` of tensor `v` as an expression of the symbols.
  AffineExpr dimSize(Value v, int64_t i);

  /// Whether every point of `frame` meeting `assumed` meets `claim`.
  bool implies(const Frame &frame, ArrayRef<Atom> assumed, Atom claim);

  /// Whether every point of `frame` meeting `assumed` meets `pred`.
  bool implies(const Frame &frame, ArrayRef<Atom> assumed,
               const Predicate &pred);

private:
  /// A size the analysis cannot see through (a graph input's dim, a value
  /// it does not model), or the min or max of two size expressions.
  struct Symbol {
    enum Kind { Opaque, Min, Max } kind;
    AffineExpr a, b;
    bool nonNegative = false;
  };
  struct Scalar;
  using FunctionPtr = std::shared_ptr<const ElementFunction>;

  FunctionPtr functionOf(Value v);
  FunctionPtr compute(Value v);
  FunctionPtr interpretGeneric(Operation *op, unsigned result);
  std::optional<Scalar> at(const FunctionPtr &f, ArrayRef<AffineExpr> index,
                           const Frame &frame);
  AffineExpr sizeOf(Value v);
  AffineExpr fromTracer(AffineExpr e);
  AffineExpr symbolFor(Value v, int64_t dim, bool nonNegative);
  AffineExpr minMaxSymbol(bool isMin, AffineExpr a, AffineExpr b);
  bool isEmpty(unsigned numDims, ArrayRef<Atom> constraints);

  MLIRContext *ctx;
  SmallVector<Symbol> symbols;
  llvm::DenseMap<std::pair<Value, int64_t>, AffineExpr> opaque;
  SizeTracer tracer;
  SmallVector<AffineExpr> extremumSymbols; // the tracer's d_i
  llvm::DenseMap<Value, FunctionPtr> functions;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_RAISING_ELEMENTVALUES_H

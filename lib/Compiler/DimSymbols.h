//===- DimSymbols.h - dynamic sizes as shared symbols ----------*- C++ -*-===//

#ifndef HYDRA_LIB_COMPILER_DIMSYMBOLS_H
#define HYDRA_LIB_COMPILER_DIMSYMBOLS_H

#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/IR/AffineExpr.h"

#include <map>
#include <string>

namespace mlir::hydra {

/// Assigns a symbol to every dynamic size of a function's inputs such that
/// sizes the ops require to be equal (one batch for query, key and value,
/// one key length for key and value, ...) share a symbol. Computed on the
/// tensor-level function; the runtime checks the equalities at each call.
class DimSymbols {
public:
  /// Fails, with a diagnostic, on a dynamic size it cannot trace.
  static FailureOr<DimSymbols> analyze(func::FuncOp func);

  /// The symbol of dynamic dim `axis` of input `input`.
  int64_t symbol(unsigned input, unsigned axis) const {
    return symbols_.at({input, axis});
  }
  bool isDynamic(unsigned input, unsigned axis) const {
    return symbols_.count({input, axis});
  }
  unsigned numSymbols() const { return numSymbols_; }
  /// Two sizes (over the symbols) that must agree but are not provably
  /// equal (a key length P_k + S_k against a value length P_v + S_v, a
  /// Reshape's shape read from data against its input's element count):
  /// the runtime checks them per call. `note` says what the check means
  /// (empty: the input shapes must fit together).
  struct Check {
    AffineExpr lhs, rhs;
    std::string note;
  };
  ArrayRef<Check> runtimeChecks() const { return checks_; }
  /// The min/max sizes and data elements the checks name (d_i is
  /// terms()[i]).
  ArrayRef<SizeTerm> terms() const { return terms_; }

private:
  std::map<std::pair<unsigned, unsigned>, int64_t> symbols_;
  unsigned numSymbols_ = 0;
  SmallVector<Check> checks_;
  std::vector<SizeTerm> terms_;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_DIMSYMBOLS_H

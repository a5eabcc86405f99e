//===- WorkEstimate.h - building hydra.work ops ----------------*- C++ -*-===//
//
// The tiling passes state what their kernels compute and move as sums of
// products of sizes; static sizes fold into the coefficients.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_WORKESTIMATE_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_WORKESTIMATE_H

#include "mlir/IR/Builders.h"

namespace mlir::hydra {

class WorkEstimate {
public:
  /// c · ∏ factors FLOPs / bytes; factors are index values.
  void flops(double c, ArrayRef<Value> factors) { add(flops_, c, factors); }
  void bytes(double c, ArrayRef<Value> factors) { add(bytes_, c, factors); }
  /// Bytes of a whole buffer: its element size times its sizes.
  void bytesOf(OpBuilder &b, Location loc, Value memref, double times = 1.0);
  /// Emits the hydra.work op at b's insertion point.
  void emit(OpBuilder &b, Location loc);

private:
  struct Term {
    double coefficient;
    SmallVector<int64_t> sizes;
  };
  void add(SmallVector<Term> &terms, double c, ArrayRef<Value> factors);
  SmallVector<Value> sizes_;
  SmallVector<Term> flops_, bytes_;
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_TILING_WORKESTIMATE_H

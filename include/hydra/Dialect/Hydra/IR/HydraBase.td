//===- HydraBase.td - hydra dialect definition -------------*- tablegen -*-===//
//
// The hydra dialect carries head-level hybrid attention: per query head,
// full (softmax) or linear (recurrent state) attention, reconciled by a
// scale-normalized fusion.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_IR_HYDRABASE_TD
#define HYDRA_DIALECT_HYDRA_IR_HYDRABASE_TD

include "mlir/IR/OpBase.td"

def Hydra_Dialect : Dialect {
  let name = "hydra";
  let cppNamespace = "::mlir::hydra";
  let summary = "Head-level hybrid attention (full and linear heads in one layer)";
  let description = [{
    Ops for attention layers whose query heads are split between full
    (softmax) attention and linear (recurrent-state) attention, and the
    scale-normalized fusion that reconciles the two. See docs/dialect.md.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

class Hydra_Op<string mnemonic, list<Trait> traits = []>
    : Op<Hydra_Dialect, mnemonic, traits>;

#endif // HYDRA_DIALECT_HYDRA_IR_HYDRABASE_TD

//===- HydraAttrs.td - hydra attributes --------------------*- tablegen -*-===//

#ifndef HYDRA_DIALECT_HYDRA_IR_HYDRAATTRS_TD
#define HYDRA_DIALECT_HYDRA_IR_HYDRAATTRS_TD

include "hydra/Dialect/Hydra/IR/HydraBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// The LinearAttention-27 state update rules.
def Hydra_UpdateRule : I32EnumAttr<"UpdateRule", "linear attention update rule", [
    I32EnumAttrCase<"Linear", 0, "linear">,
    I32EnumAttrCase<"Gated", 1, "gated">,
    I32EnumAttrCase<"Delta", 2, "delta">,
    I32EnumAttrCase<"GatedDelta", 3, "gated_delta">
  ]> {
  let cppNamespace = "::mlir::hydra";
  let genSpecializedAttr = 0;
}

def Hydra_UpdateRuleAttr : EnumAttr<Hydra_Dialect, Hydra_UpdateRule, "update_rule"> {
  let assemblyFormat = "`<` $value `>`";
}

// The per-query-head kind map, one character a head: F (full) or L (linear).
def Hydra_HeadMapAttr : AttrDef<Hydra_Dialect, "HeadMap"> {
  let mnemonic = "heads";
  let summary = "per-query-head attention kind: F (full) or L (linear)";
  let description = [{
    A string with one character per query head, in head order: `F` for a
    full (softmax) attention head, `L` for a linear attention head. Example:
    `#hydra.heads<"FLLLLLLL">` is the 7:1 LA:FA map of eight heads.
  }];
  let parameters = (ins StringRefParameter<"the kinds, one character a head">:$kinds);
  let assemblyFormat = "`<` $kinds `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of query heads the map describes.
    int64_t getNumHeads() const { return getKinds().size(); }
    /// Whether query head `h` is a full attention head.
    bool isFull(int64_t h) const { return getKinds()[h] == 'F'; }
    /// Query head indices of one kind, in order.
    ::llvm::SmallVector<int64_t> getFullHeads() const;
    ::llvm::SmallVector<int64_t> getLinearHeads() const;
    /// The kv heads that at least one head of `kind` ('F' or 'L') reads,
    /// increasing, when query head h reads kv head h / (Hq / numKvHeads):
    /// the heads a key cache (F) or the states (L) hold.
    ::llvm::SmallVector<int64_t> getKvHeads(char kind,
                                            int64_t numKvHeads) const;
  }];
}

#endif // HYDRA_DIALECT_HYDRA_IR_HYDRAATTRS_TD

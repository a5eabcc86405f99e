//===- HydraOps.td - hydra operations ----------------------*- tablegen -*-===//
//
// One op for the whole hybrid layer, and the three parts it splits into:
// full attention over a subset of heads, linear attention over a subset, and
// the scale-normalized merge. The part ops are destination-style so that a
// head can be written straight into its slot of a shared output.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_IR_HYDRAOPS_TD
#define HYDRA_DIALECT_HYDRA_IR_HYDRAOPS_TD

include "hydra/Dialect/Hydra/IR/HydraBase.td"
include "hydra/Dialect/Hydra/IR/HydraAttrs.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"

def Hydra_TensorOrMemRef : AnyTypeOf<[AnyRankedTensor, AnyMemRef]>;

//===----------------------------------------------------------------------===//
// hybrid_attention
//===----------------------------------------------------------------------===//

def Hydra_HybridAttentionOp : Hydra_Op<"hybrid_attention",
    [AttrSizedOperandSegments, Pure]> {
  let summary = "head-level hybrid attention: full and linear heads, fused";
  let description = [{
    Attention over query heads of two kinds, chosen per head by `heads`:
    `F` heads compute ONNX Attention-23 (QK·scale → softcap → mask →
    softmax → ·V, optional causal mask), `L` heads compute ONNX
    LinearAttention-27 with `update_rule` (state in f32, zero initial
    state). Query head `h` reads kv head `h / (Hq / Hkv)`. With
    `fusion_scale` (γ, shape [Hq, Dv]) every head's output row is
    normalized: y = γ_h ⊙ o / sqrt(mean(o²) + fusion_epsilon).

    Shapes: query [B, Hq, S, Dk], key [B, Hkv, T, Dk], value [B, Hkv, T, Dv],
    result [B, Hq, S, Dv]. decay (log-space) is [B, Hkv, T] (a scalar per
    head and step) or [B, Hkv, T, Dk] (per key dimension); beta is
    [B, Hkv, T] or [B, 1, T]; mask is broadcastable to [B, Hq, S, T], i1
    (true keeps) or the query's float type (added). Linear heads need S == T.

    Caches. `initial_state` ([B, Hkv_L, Dk, Dv]) starts the linear heads'
    states (zero without it); the optional second result `final_state` is
    the states after the last step. Hkv_L counts the kv heads that at least
    one `L` head reads, in increasing order: a kv head only `F` heads read
    keeps no state. With `full_key` and `full_value` ([B, Hkv_F, T', Dk]
    and [B, Hkv_F, T', Dv]: the past keys and values followed by this
    call's, for the Hkv_F kv heads that at least one `F` head reads, in
    increasing order) the `F` heads attend those instead of `key` and
    `value`, and the causal diagonal ends at the last key: query i attends
    keys j <= i + T' - S. The mask then broadcasts to [B, Hq, S, T'].

    Example (7:1 LA:FA, gated rule):

    ```mlir
    %y = hydra.hybrid_attention %q, %k, %v
           fusion_scale(%g : tensor<8x64xf32>)
           decay(%d : tensor<1x8x128xf32>)
           {heads = #hydra.heads<"FLLLLLLL">, causal,
            update_rule = #hydra.update_rule<gated>}
         : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>,
           tensor<1x8x128x64xf32> -> tensor<1x8x128x64xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    AnyRankedTensor:$value,
    Optional<AnyRankedTensor>:$fusion_scale,
    Optional<AnyRankedTensor>:$decay,
    Optional<AnyRankedTensor>:$beta,
    Optional<AnyRankedTensor>:$mask,
    Optional<AnyRankedTensor>:$initial_state,
    Optional<AnyRankedTensor>:$full_key,
    Optional<AnyRankedTensor>:$full_value,
    Hydra_HeadMapAttr:$heads,
    UnitAttr:$causal,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<F32Attr>:$linear_scale,
    DefaultValuedAttr<Hydra_UpdateRuleAttr, "::mlir::hydra::UpdateRule::Linear">:$update_rule,
    DefaultValuedAttr<F32Attr, "1.0e-6f">:$fusion_epsilon
  );
  let results = (outs AnyRankedTensor:$result,
                     Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`fusion_scale` `(` $fusion_scale^ `:` type($fusion_scale) `)`)?
    (`decay` `(` $decay^ `:` type($decay) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`initial_state` `(` $initial_state^ `:` type($initial_state) `)`)?
    (`full_key` `(` $full_key^ `:` type($full_key) `)`)?
    (`full_value` `(` $full_value^ `:` type($full_value) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
    (`,` type($final_state)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The FA softmax scale: the attribute, else 1/sqrt(Dk).
    float getEffectiveScale();
    /// The LA output scale: the attribute, else 1/sqrt(Dk).
    float getEffectiveLinearScale();
    /// The kv heads that at least one F (`full`) or L head reads, in
    /// increasing order: the heads of `full_key` and of the states.
    ::llvm::SmallVector<int64_t> getKvHeadsOf(bool full);
  }];
}

//===----------------------------------------------------------------------===//
// Part ops (destination style, on tensors or on buffers)
//===----------------------------------------------------------------------===//

class Hydra_PathOp<string mnemonic, list<Trait> traits = []>
    : Hydra_Op<mnemonic, !listconcat(traits, [AttrSizedOperandSegments,
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>])> {
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let hasVerifier = 1;
  code pathClassDeclaration = [{
    /// Whether `init` holds all query heads (each head written at its own
    /// index) rather than only this op's heads in list order.
    bool writesAllHeads();
    /// The output slot of the i-th head of `heads`.
    int64_t getSlot(int64_t i) {
      return writesAllHeads() ? getHeads()[i] : i;
    }
  }];
}

def Hydra_FullAttentionOp : Hydra_PathOp<"full_attention"> {
  let summary = "softmax attention over a subset of query heads";
  let description = [{
    ONNX Attention-23 for the query heads listed in `heads`, each reading kv
    head `h / (Hq / Hkv)`, or with `kv_heads` the i-th listed head kv head
    `kv_heads[i]`: scores q·kᵀ·scale, then `softcap` (c·tanh(s/c)), then
    the mask (i1: false drops the key; float: added) and the causal mask
    (key j > query i dropped; with `end_aligned`, key j > i + T − S: the
    first T − S keys are a past that every query follows), softmax over
    keys, times V.

    The result goes into `init` ([B, Ho, S, Dv]): when Ho == Hq, head h is
    written at index h and the other heads are left as they are; otherwise
    Ho == len(heads) and the i-th listed head goes to index i. With
    `fusion_scale` ([Hq, Dv]) the epilogue normalizes each output row:
    y = γ_h ⊙ o / sqrt(mean(o²) + fusion_epsilon).
  }];
  let arguments = (ins
    Hydra_TensorOrMemRef:$query,
    Hydra_TensorOrMemRef:$key,
    Hydra_TensorOrMemRef:$value,
    Optional<Hydra_TensorOrMemRef>:$mask,
    Optional<Hydra_TensorOrMemRef>:$fusion_scale,
    Hydra_TensorOrMemRef:$init,
    DenseI64ArrayAttr:$heads,
    OptionalAttr<DenseI64ArrayAttr>:$kv_heads,
    UnitAttr:$causal,
    UnitAttr:$end_aligned,
    F32Attr:$scale,
    OptionalAttr<F32Attr>:$softcap,
    DefaultValuedAttr<F32Attr, "1.0e-6f">:$fusion_epsilon
  );
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`fusion_scale` `(` $fusion_scale^ `:` type($fusion_scale) `)`)?
    `into` $init attr-dict `:` type($query) `,` type($key) `,` type($value)
    `,` type($init) (`->` type($result)^)?
  }];
  let extraClassDeclaration = pathClassDeclaration # [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
    /// The kv head (index into key and value) of the i-th listed head.
    int64_t getKvHead(int64_t i);
  }];
}

def Hydra_LinearAttentionOp : Hydra_PathOp<"linear_attention"> {
  let summary = "linear (recurrent-state) attention over a subset of query heads";
  let description = [{
    ONNX LinearAttention-27 for the query heads listed in `heads`, each
    reading kv head `h / (Hq / Hkv)`, whose state is index `h / (Hq / Hkv)`
    of `initial_state` and `final_state_init`, or with `state_heads` index
    `state_heads[i]` for the i-th listed head (heads of one kv head share
    one state; states need not cover kv heads no listed head reads). The state S (Dk × Dv,
    f32, zero at t = 0) follows `update_rule`:

    - linear:      S_t = S_{t-1} + k_t v_tᵀ
    - gated:       S_t = exp(g_t) S_{t-1} + k_t v_tᵀ
    - delta:       S_t = S_{t-1} + β_t k_t (v_t − S_{t-1}ᵀ k_t)ᵀ
    - gated_delta: S_t = exp(g_t) S_{t-1} + β_t k_t (v_t − exp(g_t) S_{t-1}ᵀ k_t)ᵀ

    and o_t = scale · q_tᵀ S_t. S_0 is `initial_state` ([B, Hkv, Dk, Dv])
    when given ([B, #states, Dk, Dv]); with `final_state_init` the state
    after the last step is written there (a second result on tensors).
    `decay` (g, log-space) is [B, Hkv, T] or
    [B, Hkv, T, Dk] and is present exactly for the gated rules; `beta` is
    [B, Hkv, T] or [B, 1, T] and is present exactly for the delta rules.
    Output placement and `fusion_scale` are as for `hydra.full_attention`.
  }];
  let arguments = (ins
    Hydra_TensorOrMemRef:$query,
    Hydra_TensorOrMemRef:$key,
    Hydra_TensorOrMemRef:$value,
    Optional<Hydra_TensorOrMemRef>:$decay,
    Optional<Hydra_TensorOrMemRef>:$beta,
    Optional<Hydra_TensorOrMemRef>:$initial_state,
    Optional<Hydra_TensorOrMemRef>:$fusion_scale,
    Hydra_TensorOrMemRef:$init,
    Optional<Hydra_TensorOrMemRef>:$final_state_init,
    DenseI64ArrayAttr:$heads,
    OptionalAttr<DenseI64ArrayAttr>:$state_heads,
    F32Attr:$scale,
    DefaultValuedAttr<Hydra_UpdateRuleAttr, "::mlir::hydra::UpdateRule::Linear">:$update_rule,
    DefaultValuedAttr<F32Attr, "1.0e-6f">:$fusion_epsilon
  );
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`decay` `(` $decay^ `:` type($decay) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`initial_state` `(` $initial_state^ `:` type($initial_state) `)`)?
    (`fusion_scale` `(` $fusion_scale^ `:` type($fusion_scale) `)`)?
    `into` $init (`,` `final_state` `(` $final_state_init^ `:` type($final_state_init) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `,` type($init) (`->` type($result)^)?
  }];
  let extraClassDeclaration = pathClassDeclaration # [{
    /// init, then final_state_init when present: consecutive operands.
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(getOperation(),
          getInitMutable().getOperandNumber(), getFinalStateInit() ? 2 : 1);
    }
    /// The kv head (index into key, value, decay, beta) of the i-th listed
    /// head.
    int64_t getKvHead(int64_t i);
    /// The index of the i-th listed head's state in the state operands.
    int64_t getStateHead(int64_t i);
  }];
}

//===----------------------------------------------------------------------===//
// scale_norm_merge
//===----------------------------------------------------------------------===//

def Hydra_ScaleNormMergeOp : Hydra_Op<"scale_norm_merge",
    [AttrSizedOperandSegments, Pure]> {
  let summary = "put full and linear head outputs back in head order, normalized";
  let description = [{
    `full` holds the outputs of the `F` heads of `heads` in order
    ([B, #F, S, Dv]), `linear` those of the `L` heads ([B, #L, S, Dv]); the
    result has all Hq heads in head order. With `fusion_scale` ([Hq, Dv]),
    each row is normalized: y_h = γ_h ⊙ o_h / sqrt(mean(o_h²) + fusion_epsilon).
    A head map of one kind takes only that kind's operand.
  }];
  let arguments = (ins
    Optional<AnyRankedTensor>:$full,
    Optional<AnyRankedTensor>:$linear,
    Optional<AnyRankedTensor>:$fusion_scale,
    Hydra_HeadMapAttr:$heads,
    DefaultValuedAttr<F32Attr, "1.0e-6f">:$fusion_epsilon
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    (`full` `(` $full^ `:` type($full) `)`)?
    (`linear` `(` $linear^ `:` type($linear) `)`)?
    (`fusion_scale` `(` $fusion_scale^ `:` type($fusion_scale) `)`)?
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

def Hydra_RMSNormOp : Hydra_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization over the trailing dimensions";
  let description = [{
    ONNX RMSNormalization: y = x / sqrt(mean(x²) + epsilon) ⊙ scale, the
    mean taken over dimensions [axis, rank) and `scale` broadcast against
    `x` by numpy's rule. Kept as one op after import so that the raising
    passes can recognize the scale-normalized merge of a hybrid layer;
    `hydra-decompose` lowers what is left of it to linalg.

    ```mlir
    %y = hydra.rms_norm %x, %g {axis = 3 : i64, epsilon = 1.0e-5 : f32}
         : tensor<1x8x128x64xf32>, tensor<64xf32> -> tensor<1x8x128x64xf32>
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    AnyRankedTensor:$scale,
    I64Attr:$axis,
    F32Attr:$epsilon
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// launch
//===----------------------------------------------------------------------===//

def Hydra_LaunchOp : Hydra_Op<"launch", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "run a kernel over a grid of independent iterations";
  let description = [{
    The host side of an outlined kernel: runs `kernel` (a `func.func`
    marked `hydra.kernel`) over the iterations [0, ∏ grid) in any order and
    in parallel. The kernel takes `buffers` followed by the first and the
    one-past-last flat iteration it is to run; a device splits the range
    among its workers (CPU threads, GPU blocks).

    ```mlir
    hydra.launch @layer_kernel0 grid(%b, %c8, %tiles)
        args(%q, %k, %v, %out) : memref<?x8x?x64xf32>, ...
    ```
  }];
  let arguments = (ins
    FlatSymbolRefAttr:$kernel,
    Variadic<Index>:$grid,
    Arg<Variadic<AnyMemRef>, "kernel buffers", [MemRead, MemWrite]>:$buffers
  );
  let assemblyFormat = [{
    $kernel `grid` `(` $grid `)` `args` `(` $buffers `)` attr-dict `:` type($buffers)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// work
//===----------------------------------------------------------------------===//

def Hydra_WorkOp : Hydra_Op<"work"> {
  let summary = "the FLOPs and bytes of the kernel it sits in, for reports";
  let description = [{
    States the work of the whole loop nest it sits in (an `scf.forall`
    body, later the kernel outlined from it) as two polynomials in
    `sizes`: each term of `flops` and of `bytes` is `[c, i, j, ...]`,
    meaning c · sizes[i] · sizes[j] · …. The tiling passes write it
    (their FLOPs count the arithmetic their kernel does; their bytes, the
    global-memory traffic of their tiling), the artifact writer turns it
    into each launch's cost in size symbols (hydra-inspect --sizes), and
    code generation drops it (hydra-strip-work). It has no results and is
    kept by not being marked side-effect free.

    ```mlir
    hydra.work sizes(%b, %s) flops [[4096.0, 0, 1, 1]] bytes [[512.0, 0, 1]]
    ```
  }];
  let arguments = (ins Variadic<Index>:$sizes, ArrayAttr:$flops,
                       ArrayAttr:$bytes);
  let assemblyFormat = [{
    `sizes` `(` $sizes `)` `flops` $flops `bytes` $bytes attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// size_check
//===----------------------------------------------------------------------===//

def Hydra_SizeCheckOp : Hydra_Op<"size_check"> {
  let summary = "two sizes that must be equal, checked per call by the runtime";
  let description = [{
    States that `lhs` and `rhs` (sizes the function computes from its
    input sizes and from elements of integer inputs) are equal for every
    call. The importer writes it where an ONNX node's shape, split or axes
    input is read at run time and the node is only defined for some
    values: a Reshape's shape must keep the element count, a Split's sizes
    must sum to the axis. The compiler decides it where it can (an
    error if two constants differ) and otherwise the artifact checks it
    before any launch, failing the call with `note` in the message.
    `hydra-drop-size-checks` removes it once the artifact's checks are
    taken; it has no results and is kept by not being marked side-effect
    free.

    ```mlir
    hydra.size_check %product, %count, "node 'r' (Reshape): the shape input does not keep the element count"
    ```
  }];
  let arguments = (ins Index:$lhs, Index:$rhs, StrAttr:$note);
  let assemblyFormat = "$lhs `,` $rhs `,` $note attr-dict";
  let hasVerifier = 1;
}

#endif // HYDRA_DIALECT_HYDRA_IR_HYDRAOPS_TD

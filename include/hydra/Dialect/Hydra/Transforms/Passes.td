//===- Passes.td - hydra passes ----------------------------*- tablegen -*-===//

#ifndef HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_TD
#define HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def HydraRaiseAttention : Pass<"hydra-raise-attention"> {
  let summary = "Raise decomposed softmax attention to hydra.hybrid_attention";
  let description = [{
    Finds softmax(mask + softcap(scale · Q·Kᵀ)) · V written in ordinary ops
    as the importer emits them (batched-matmul `linalg.generic`s,
    elementwise generics for the scalar factors, tanh and mask, and
    `linalg.softmax` over the last axis) and replaces the final product by
    one `hydra.hybrid_attention` with every head full. Scalar factors on
    Q, on Kᵀ and on the scores multiply into `scale`; K is read back
    through the transposes that made Kᵀ and through a GQA head repeat
    (expand_shape, broadcast, collapse_shape); a constant causal mask
    becomes `causal`, an all-zero one disappears, Where(bool, 0, -inf)
    becomes the bool mask, any other mask broadcast over the scores is
    kept as a float mask. A hydra.hybrid_attention with every head full
    whose key and value are such a head repeat (Attention-23 after torch's
    repeat_interleave) reads the kv heads themselves instead. A mask built
    at run time (positions from iotas, compared, broadcast, gathered) that
    keeps exactly the keys j <= i for every size becomes `causal`; one that
    keeps every key, or that `causal` implies, is dropped (a value analysis
    decided over the integers, ElementValues.cpp).
  }];
  let dependentDialects = [
    "::mlir::hydra::HydraDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def HydraRaiseHybrid : Pass<"hydra-raise-hybrid"> {
  let summary = "Raise a hybrid layer spelled in standard ops to hydra.hybrid_attention";
  let description = [{
    Finds the HydraHead layer as an exporter writes it without the custom
    op: query, key and value heads selected (Gather, Slice, Split → slices
    and concats) into groups computed by single-kind
    `hydra.hybrid_attention` ops (imported Attention and LinearAttention),
    the group outputs concatenated back into head order, then optionally
    `hydra.rms_norm` over the last axis and an elementwise product by a
    per-head scale. The groups become one `hydra.hybrid_attention` over the
    whole query, key, value, decay and beta tensors with the head map read
    off the groups; the norm and the product become its `fusion_scale`
    (γ[h, d] = norm scale[d] · product scale[h, d]) and `fusion_epsilon`.
    A group must take each query head at its own index and its kv heads as
    the layer's GQA grouping says; anything else is left as it is.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::hydra::HydraDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def HydraDecompose : Pass<"hydra-decompose"> {
  let summary = "Lower hydra.rms_norm and linalg.softmax to linalg.generic";
  let description = [{
    The importer keeps RMSNormalization and Softmax as single ops
    (`hydra.rms_norm`, `linalg.softmax`) so that the raising passes can
    recognize them. What the raising leaves behind is decomposed here into
    elementwise and reduction `linalg.generic` ops: x² → mean → rsqrt ·
    x · scale; max → exp(x − max) → sum → divide.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def HydraSplitHeads : Pass<"hydra-split-heads"> {
  let summary = "Split hydra.hybrid_attention into its full, linear and merge parts";
  let description = [{
    Rewrites each `hydra.hybrid_attention` into a `hydra.full_attention` over
    its F heads, a `hydra.linear_attention` over its L heads (each writing
    its heads compacted into a fresh tensor) and a `hydra.scale_norm_merge`
    that puts them back in head order and applies the fusion scale. A map of
    one kind becomes a single part op writing all heads in order; the merge
    remains only when a fusion scale must be applied.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def HydraFuseMerge : Pass<"hydra-fuse-merge"> {
  let summary = "Fuse the scale-normalized merge into the attention epilogues";
  let description = [{
    Folds every `hydra.scale_norm_merge` into the part ops that feed it: the
    part ops take the fusion scale and epsilon (normalizing in their
    epilogue) and write each head straight into its slot of one shared
    [B, Hq, S, Dv] destination, the linear part into the full part's
    result. No concat, gather or scatter is left.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def HydraTransposeViews : Pass<"hydra-transpose-views"> {
  let summary = "Let attention read and write transposed views instead of transposed copies";
  let description = [{
    An export's attention reads Q, K and V as [B, S, H, D] transposed to
    [B, H, S, D] and writes its output back through the inverse
    transpose; bufferized, each transpose is a copy of the whole tensor
    (at 32 heads × 128 and 1K tokens, four 16 MiB passes over memory
    around the attention itself). On buffers, this pass replaces such a
    copy by a `memref.transpose` view of its source when only
    `hydra.full_attention` and `hydra.linear_attention` read the copy, and
    lets the ops write their output through a view of the transpose's
    destination when they alone write the buffer it copies. Views keep the
    last dimension last (its rows stay contiguous for vector loads); the
    source must not be written between the copy and its last reader.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def HydraTileAttention : Pass<"hydra-tile-attention"> {
  let summary = "Tile the part ops on buffers into online-softmax and chunkwise loops";
  let description = [{
    Lowers bufferized `hydra.full_attention` and `hydra.linear_attention`
    into loop nests on memrefs. Full attention: an `scf.forall` over
    (batch, head, query tile), online softmax over key/value tiles (running
    max and sum, rescaled accumulator); with `causal`, the loop over key
    tiles stops at the diagonal so fully masked tiles are never visited.
    Linear attention: an `scf.forall` over (batch, head) and a loop over
    chunks; within a chunk the masked intra-chunk product plus the carried
    state's contribution, then the state update. The delta rules first
    solve the chunk's unit lower-triangular system (UT transform) for the
    pseudo-values. Work along a head dimension is vector ops on whole rows.
    The fused normalization runs in the epilogue, one write per output
    element.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t",
           /*default=*/"::mlir::hydra::kDefaultQueryTile",
           "Query rows per full-attention tile">,
    Option<"keyTile", "key-tile", "int64_t",
           /*default=*/"::mlir::hydra::kDefaultKeyTile",
           "Keys per full-attention key/value tile">,
    Option<"chunkSize", "chunk-size", "int64_t",
           /*default=*/"::mlir::hydra::kDefaultChunkSize",
           "Steps per linear-attention chunk">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def HydraFuseElementwise : Pass<"hydra-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise linalg ops into their consumers";
  let description = [{
    Upstream's elementwise fusion on tensors (a producer with one use, all
    loops parallel, is inlined into the body of its consumer), restricted
    to consumers that read the producer's every element exactly once: the
    consumer's map for that operand must use every loop. A normalization
    feeding a matrix product therefore stays outside the product, where it
    would be recomputed once per output column. One kernel then does what
    a chain of Mul, Add, Sqrt, Div, or a SiLU times a gate, did in several
    passes over memory.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def HydraCloneFills : Pass<"hydra-clone-fills"> {
  let summary = "Give each user of a filled tensor its own fill";
  let description = [{
    CSE merges identical `linalg.fill`s of `tensor.empty` (the zero
    initial values of a layer's gate and up projections, say) into one
    tensor with several users; bufferization then fills one buffer and
    copies it into each product's output. This pass, run right before
    bufferization, clones the fill (and its `tensor.empty`) for every user
    after the first, so each product's output is filled in place and the
    fill folds into the product (hydra-tile-contractions): no copy, no
    separate pass over memory.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def HydraTileContractions : Pass<"hydra-tile-contractions", "::mlir::ModuleOp"> {
  let summary = "Tile f32 matrix products on buffers into packed, register-tiled, parallel loops";
  let description = [{
    Rewrites each bufferized f32 contraction (a `linalg.generic` or named
    op that computes C[.., m, n] += A[.., m, k] · B[.., k, n] with one
    reduction dimension; other parallel dimensions and broadcast batch
    dimensions are allowed) into an `scf.forall` over (outer index,
    m-block, n-block). Each iteration owns a block of C: per k-block it
    packs its panel of B into a contiguous stack buffer, then runs a
    register-tiled micro-kernel (`mr` rows × `nr` columns of accumulators,
    `vector.fma` of a broadcast A element and a packed B row) over it. A
    zero `linalg.fill` of C right before the product folds into the
    accumulators' start. Tails in m and n are masked, not padded in C.
  }];
  let options = [
    Option<"rowTile", "row-tile", "int64_t", /*default=*/"6",
           "Rows of C per micro-kernel (mr)">,
    Option<"columnTile", "column-tile", "int64_t", /*default=*/"64",
           "Columns of C per micro-kernel (nr), a multiple of 16">,
    Option<"rowBlock", "row-block", "int64_t", /*default=*/"192",
           "Rows of C per parallel iteration, a multiple of row-tile">,
    Option<"columnBlock", "column-block", "int64_t", /*default=*/"256",
           "Columns of C per parallel iteration, a multiple of column-tile">,
    Option<"depthBlock", "depth-block", "int64_t", /*default=*/"256",
           "Reduction steps per packed panel">,
    Option<"prefetchDistance", "prefetch-distance", "int64_t",
           /*default=*/"8",
           "Steps ahead of the micro-kernel that its panel rows are "
           "prefetched (0: none)">,
    Option<"weightType", "weight-type", "std::string", /*default=*/"\"f32\"",
           "Element type of the packed constant weights: f32, or bf16 "
           "(rounded to nearest even; products still accumulate in f32)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::hydra::HydraDialect"
  ];
}

def HydraOwnResultBuffers : Pass<"hydra-own-result-buffers", "::mlir::func::FuncOp"> {
  let summary = "Make every function result a fresh buffer of its own";
  let description = [{
    A hydra host program returns buffers it allocated, each once, in the
    result's own shape. After bufferization a result may instead be a
    reshape view of an allocation (a 3D output made from a 4D one), a
    function argument or constant (an output that is an input), or a buffer
    returned twice. Views of statically shaped allocations are turned
    around: the allocation takes the result's shape and its other users
    see a view of it. Anything else is copied into a fresh allocation.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def HydraWrapHostOps : Pass<"hydra-wrap-host-ops", "::mlir::func::FuncOp"> {
  let summary = "Wrap the computations left in a host function into one-iteration loops";
  let description = [{
    After bufferization and tiling, a function should hold only host work
    (allocations, sizes, views, constants) and the tiled `scf.forall`
    loops. Every other op that touches memory — the linalg ops of ordinary
    model operators, `memref.copy` — is moved into its own
    `scf.forall (%i) in (1)` so that `hydra-outline-kernels` makes it a
    kernel too. `memref.copy` becomes `linalg.copy`, which lowers to loops
    in the kernel rather than to a runtime library call. With
    `split-parallel` (the CPU pipeline), a linalg op whose loops start with
    parallel ones gets a forall over those loops instead (all but the
    innermost, which stays whole to vectorize; a one-loop op in chunks of
    4096), each iteration the op on views of its operands.
  }];
  let options = [
    Option<"splitParallel", "split-parallel", "bool", /*default=*/"false",
           "Spread each linalg op over an scf.forall across its leading "
           "parallel loops (one view of the operands an iteration) instead "
           "of one iteration: the CPU's thread pool then shares the op">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::hydra::HydraDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

def HydraTileAttentionGpu : Pass<"hydra-tile-attention-gpu"> {
  let summary = "Tile the part ops on buffers into GPU blocks";
  let description = [{
    The GPU form of hydra-tile-attention: each bufferized part op becomes
    an `scf.forall` over blocks, marked `hydra.block_size`, whose body is
    the code of one block of that many threads (`gpu.thread_id`,
    `gpu.barrier`, `gpu.shuffle`, shared-memory tiles as `memref.alloc`s in
    the workgroup address space). Full attention: a block of four warps per
    (batch, head, 16 query rows, key split), 32-key tiles staged in shared
    memory, online softmax with warp reductions. f16 and bf16 full
    attention (Dk a multiple of 16, Dv of 8) runs QKᵀ and PV on tensor
    cores (`nvgpu.mma.sync` m16n8k16, 64 query rows a block), its K/V tiles
    in two stages, the next staged with `nvgpu.device_async_copy`
    (cp.async, where the rows are 16-byte aligned) while the block works on
    the current one. Linear attention: f16/bf16
    with the linear or per-head gated rule in chunks on tensor cores
    (chunk states, their scan, outputs); otherwise a block per (batch,
    head), a warp per eight value columns holding its part of the f32
    state in registers. The tensor-core forms need `min-arch` 80 (sm_80);
    below, the CUDA-core forms run. The tiles must fit the shared-memory
    budget (48 KiB a block); anything else is reported as not supported.
  }];
  let options = [
    Option<"minArch", "min-arch", "unsigned", /*default=*/"80",
           "The oldest CUDA arch the kernels run on (75: sm_75); the "
           "tensor-core forms (mma.sync m16n8k16, cp.async) need 80">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def HydraDistributeHostOps : Pass<"hydra-distribute-host-ops",
                                   "::mlir::func::FuncOp"> {
  let summary = "Spread ordinary operators over GPU blocks and threads";
  let description = [{
    For the GPU: each one-iteration `scf.forall` that hydra-wrap-host-ops
    made around a linalg op becomes a forall over blocks of 256 threads
    (`hydra.block_size`). The op's parallel loops, flattened, are strided
    over every thread of the grid (index = block · 256 + thread, step =
    blocks · 256); its reduction loops run inside each thread. The grid is
    ceil(iterations / 256) blocks (at most 1024) when the sizes are static,
    else 256 blocks. Ops without a parallel loop stay on one thread.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def HydraOutlineKernels : Pass<"hydra-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline each top-level scf.forall into a kernel run by hydra.launch";
  let description = [{
    Every `scf.forall` directly in a function body (the tiled attention
    loops) becomes a `func.func` marked `hydra.kernel`, taking the buffers
    the loop uses and a flat iteration range [begin, end): its body is an
    `scf.for` over the range that recovers the forall's indices and runs
    the original iteration. Index values the loop reads (sizes, constants)
    are recomputed inside the kernel from its buffers. The forall is
    replaced by `hydra.launch` with the forall's upper bounds as the grid,
    so what is left in the function is the host program: allocations,
    launches and the return. Loops must start at 0 with step 1.

    With `gpu`, each kernel is the code of one GPU block: flat iteration
    `begin + gpu.block_id x` (if below `end`) runs the forall body, which
    for foralls marked `hydra.block_size` is written for that many threads;
    other foralls (ordinary operators) run on the block's first thread. The
    kernel is marked `hydra.block_size`.
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Outline into GPU block kernels">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::hydra::HydraDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def HydraApproximateMath : Pass<"hydra-approximate-math"> {
  let summary = "Replace f32 exp and tanh by polynomial approximations";
  let description = [{
    Rewrites `math.exp` and `math.tanh` on f32 scalars and vectors into
    MLIR's polynomial approximations (a few FMAs and bit operations), so
    that a vector of exponentials stays a vector instead of becoming one
    libm call per lane. Accurate to a few ulp over the whole f32 range
    (checked by the execution tests' 1e-4 bound).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def HydraEmulateGpu : Pass<"hydra-emulate-gpu", "::mlir::ModuleOp"> {
  let summary = "Make GPU block kernels runnable on the host by the runtime's GPU emulator";
  let description = [{
    For every kernel marked `hydra.block_size` (hydra-outline-kernels{gpu}),
    appends two arguments, the block's shared memory (`memref<?xi8>`) and
    the emulated thread's context (`!llvm.ptr`), and replaces the GPU
    operations by what the emulator provides: `gpu.thread_id x` and
    `gpu.block_id x` are loads from the context, `gpu.barrier` and
    `gpu.shuffle` are calls through the context's function pointers (the
    emulator switches threads there), `nvgpu.mma.sync` (m16n8k16 into f32)
    is a call that hands the lane's fragments to the emulator, which
    assembles the warp's matrices from the PTX fragment layouts, and each
    workgroup `memref.alloc`
    becomes a `memref.view` at its offset in the shared memory. The
    context's layout is runtime/src/gpu_emulator.h's EmuThreadContext.
    Anything else GPU-specific is reported as not supported.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::vector::VectorDialect"
  ];
}

def HydraDropSizeChecks : Pass<"hydra-drop-size-checks"> {
  let summary = "Drop hydra.size_check ops once the artifact has its checks";
  let description = [{
    The artifact's size checks are taken from the tensor-level function
    before it is lowered (hydra-compile); the ops themselves compute
    nothing. First pass of the pipelines that bufferize.
  }];
}

def HydraStripWork : Pass<"hydra-strip-work"> {
  let summary = "Drop hydra.work ops before code generation";
  let description = [{
    `hydra.work` states a kernel's FLOPs and bytes for the artifact; code
    generation has no use for it. First pass of the lowerings to LLVM, NVVM
    and the GPU emulator.
  }];
}

def HydraKernelsToGpuModule : Pass<"hydra-kernels-to-gpu-module",
                                    "::mlir::ModuleOp"> {
  let summary = "Move the GPU block kernels into a gpu.module as gpu.func kernels";
  let description = [{
    Every `func.func` marked `hydra.kernel` and `hydra.block_size`
    (hydra-outline-kernels{gpu}) becomes a `gpu.func` kernel of one
    `gpu.module @hydra_kernels` targeting an `#nvvm.target` (O3) for each
    of `chips`, and the module is marked `gpu.container_module`. The
    kernel keeps its body; its workgroup `memref.alloc`s become workgroup
    attributions, its block size `known_block_size`, and it gets
    `nvvm.minctasm = 1`: one resident block an SM is all a kernel needs,
    and without it ptxas caps the registers to fit as many blocks as an SM
    holds, and spills. A kernel without a block size, a workgroup buffer
    of dynamic size and a chip NVVM does not know are errors.
  }];
  let options = [
    ListOption<"chips", "chips", "std::string",
               "The NVVM target chips (sm_80, sm_90, ...)">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect"
  ];
}

def HydraLowerBf16Mma : Pass<"hydra-lower-bf16-mma"> {
  let summary = "Lower nvgpu.mma.sync on bf16 operands to nvvm.mma.sync";
  let description = [{
    Upstream's convert-nvgpu-to-nvvm lowers `nvgpu.mma.sync` on f16 but not
    on bf16. This pass lowers the bf16 form hydra's tensor-core kernels
    emit, m16n8k16 into f32, to `nvvm.mma.sync`: each pair of bf16
    operands is one i32 register, as the PTX instruction takes them, and
    the four f32 results go back into the 2x2 accumulator vector. Any
    other bf16 shape is reported as not supported. Runs before
    convert-nvgpu-to-nvvm.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"
  ];
}

def HydraKernelEntries : Pass<"hydra-kernel-entries", "::mlir::ModuleOp"> {
  let summary = "Give each lowered kernel a packed entry point for the runtime";
  let description = [{
    Runs on the LLVM dialect. For every kernel `K` whose C interface
    `_mlir_ciface_K` exists, adds `hydra_entry_K(ptr argv)`: argument i of
    the C interface is read from `argv[i]`, a pointer to a memref
    descriptor for buffers and a pointer to an i64 for the iteration range.
    One signature for every kernel lets the runtime call any of them
    without knowing its arity.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // HYDRA_DIALECT_HYDRA_TRANSFORMS_PASSES_TD

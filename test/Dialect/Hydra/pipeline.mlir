// RUN: hydra-opt %s --hydra-to-llvm | FileCheck %s
// RUN: hydra-opt %s --hydra-bufferize | FileCheck %s --check-prefix=BUF
// RUN: hydra-opt %s --hydra-to-gpu-kernels | FileCheck %s --check-prefix=GPU
// RUN: hydra-opt %s --hydra-to-llvm --mlir-print-ir-after-all -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=STEPS
// RUN: hydra-opt %s --hydra-to-llvm="query-tile=4 key-tile=4 chunk-size=4" | FileCheck %s

// The whole way from hydra.hybrid_attention to the LLVM dialect: only LLVM
// ops are left, the result is a trailing out-parameter, and a C interface
// wrapper is emitted for callers.

// CHECK-LABEL: llvm.func @hybrid
// CHECK-SAME:    attributes {llvm.emit_c_interface}
// CHECK-NOT:     hydra.
// CHECK-NOT:     scf.
// CHECK-NOT:     memref.
// CHECK-NOT:     vector.
// CHECK-NOT:     arith.
// CHECK-DAG:     llvm.intr.fmuladd
// CHECK-DAG:     llvm.intr.vector.reduce.fadd
// exp is a polynomial, not a libm call.
// CHECK-NOT:     llvm.intr.exp
// CHECK-NOT:     llvm.call @expf
// CHECK-LABEL: llvm.func @_mlir_ciface_hybrid
// CHECK-SAME:    (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// After bufferization the result is written into a caller-owned buffer by
// the two part ops in turn.
// BUF-LABEL: func.func @hybrid
// BUF-SAME:    %[[OUT:[a-z0-9]+]]: memref<1x8x37x8xf32>) {
// BUF:         hydra.full_attention {{.*}} into %[[OUT]]
// BUF:         hydra.linear_attention {{.*}} into %[[OUT]]
// BUF-NEXT:    return

// The GPU pipeline: the same split, fuse and bufferize, then GPU block
// kernels (FA: 3 blocks of 16 query rows, and one split of the keys: 37
// keys are too few to split, so no partials and no combine; LA: a block
// of one warp per (batch, head), Dv = 8) launched by the host program.
// GPU-LABEL: func.func @hybrid_k0_full_attention
// GPU-SAME:    attributes {hydra.block_size = 128 : i64, hydra.kernel}
// GPU:         gpu.block_id x
// GPU-LABEL: func.func @hybrid_k1_linear_attention
// GPU-SAME:    attributes {hydra.block_size = 32 : i64, hydra.kernel}
// GPU-LABEL: func.func @hybrid
// GPU:         %[[OUT:.*]] = memref.alloc() {{.*}} : memref<1x8x37x8xf32>
// GPU-NOT:     memref.alloc
// GPU:         hydra.launch @hybrid_k0_full_attention grid(%c1, %c1, %c3, %c1) args({{.*}}, %[[OUT]])
// GPU-NOT:     combine
// GPU:         hydra.launch @hybrid_k1_linear_attention grid(%c1, %c7) args({{.*}}, %[[OUT]])
// GPU:         return %[[OUT]]

// Every step of the pipeline, in order.
// STEPS: IR Dump After HydraSplitHeads (hydra-split-heads)
// STEPS: IR Dump After HydraFuseMerge (hydra-fuse-merge)
// STEPS: IR Dump After OneShotBufferizePass (one-shot-bufferize)
// STEPS: IR Dump After BufferResultsToOutParamsPass (buffer-results-to-out-params)
// STEPS: IR Dump After HydraTransposeViews (hydra-transpose-views)
// STEPS: IR Dump After HydraTileAttention (hydra-tile-attention)
// STEPS: IR Dump After HydraApproximateMath (hydra-approximate-math)
// STEPS: IR Dump After SCFForallToForLoop (scf-forall-to-for)
// STEPS: IR Dump After BufferLoopHoistingPass (buffer-loop-hoisting)
// STEPS: IR Dump After SCFToControlFlowPass (convert-scf-to-cf)
// STEPS: IR Dump After ConvertVectorToLLVMPass (convert-vector-to-llvm)
// STEPS: IR Dump After FinalizeMemRefToLLVMConversionPass (finalize-memref-to-llvm)
// STEPS: IR Dump After ConvertFuncToLLVMPass (convert-func-to-llvm)
// STEPS: IR Dump After ReconcileUnrealizedCastsPass (reconcile-unrealized-casts)

func.func @hybrid(%q: tensor<1x8x37x16xf32>, %k: tensor<1x4x37x16xf32>, %v: tensor<1x4x37x8xf32>,
                  %g: tensor<8x8xf32>, %d: tensor<1x4x37xf32>) -> tensor<1x8x37x8xf32> {
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<8x8xf32>) decay(%d : tensor<1x4x37xf32>)
       {heads = #hydra.heads<"FLLLLLLL">, causal, update_rule = #hydra.update_rule<gated>}
     : tensor<1x8x37x16xf32>, tensor<1x4x37x16xf32>, tensor<1x4x37x8xf32> -> tensor<1x8x37x8xf32>
  return %y : tensor<1x8x37x8xf32>
}

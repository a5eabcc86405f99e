// RUN: hydra-opt %s --hydra-tile-attention-gpu --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.full_attention --implicit-check-not=hydra.linear_attention
// RUN: hydra-opt %s --hydra-tile-attention-gpu=min-arch=75 --split-input-file \
// RUN:   | FileCheck %s --check-prefix=SM75 --implicit-check-not=nvgpu.mma.sync \
// RUN:       --implicit-check-not=nvgpu.device_async --implicit-check-not=nvvm.cp.async

// f32 full attention: a block of 128 threads (4 warps of 4 rows) per
// (batch, listed head, 16 query rows); Q, K (row stride Dk + 1) and V
// tiles in workgroup memory; warp reductions by xor shuffles; P·V with
// each probability broadcast from its lane.

// CHECK-LABEL: func @full_f32
// CHECK-SAME: (%[[Q:.*]]: memref<2x4x?x16xf32>, %[[K:.*]]: memref<2x2x?x16xf32>, %[[V:.*]]: memref<2x2x?x8xf32>, %{{.*}}: memref<4x8xf32>, %[[OUT:.*]]: memref<2x4x?x8xf32>)
// CHECK:       %[[S:.*]] = memref.dim %[[Q]], %c2
// CHECK:       %[[TILES:.*]] = arith.ceildivui %[[S]], %c16
// CHECK:       %[[WANTED:.*]] = arith.ceildivui %c264
// Fewer than 264 blocks split the keys (the split dimension; see
// tile-attention-caches.mlir).
// CHECK:       %[[SPLITS:.*]] = arith.maxui %{{.*}}, %c1 : index
// CHECK-NEXT:  arith.ceildivui
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) in (%c2, %c2, %[[TILES]], %[[SPLITS]]) {
// CHECK:         hydra.work sizes(
// CHECK:         %[[TID:.*]] = gpu.thread_id x
// CHECK-DAG:     memref.alloc() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-DAG:     %[[KT:.*]] = memref.alloc() : memref<32x17xf32, #gpu.address_space<workgroup>>
// CHECK-DAG:     memref.alloc() : memref<32x8xf32, #gpu.address_space<workgroup>>
// The block strides through the Q tile's 16 · 16 elements.
// CHECK:         scf.for %{{.*}} = %[[TID]] to %c256 step %c128 {
// Key tiles of 32 from the split's first key; staging between two
// barriers.
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32 iter_args(
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[KT]]
// CHECK:           gpu.barrier
// CHECK:           %[[R:.*]], %{{.*}} = gpu.shuffle  xor %{{.*}}, %c16_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK-NEXT:      arith.maximumf %{{.*}}, %[[R]] : f32
// CHECK:           gpu.shuffle  idx
// The epilogue: a warp sum of squares for the fused normalization, then
// one guarded store per element.
// CHECK:         math.rsqrt
// CHECK:         scf.if
// CHECK:           memref.store %{{.*}}, %[[OUT]]
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "full_attention"}
// CHECK:       } {hydra.block_size = 32 : i64, hydra.computes = "full_attention_combine"}
func.func @full_f32(%q: memref<2x4x?x16xf32>, %k: memref<2x2x?x16xf32>, %v: memref<2x2x?x8xf32>,
                    %g: memref<4x8xf32>, %out: memref<2x4x?x8xf32>) {
  hydra.full_attention %q, %k, %v fusion_scale(%g : memref<4x8xf32>) into %out
      {heads = array<i64: 0, 2>, scale = 0.25 : f32, causal}
      : memref<2x4x?x16xf32>, memref<2x2x?x16xf32>, memref<2x2x?x8xf32>, memref<2x4x?x8xf32>
  return
}

// -----

// f16 full attention: tensor cores. 64 query rows a block (16 a warp), Q's
// fragments read from global memory once; K and V tiles of 32 keys in two
// stages (rows padded by 8): the first staged before the key loop, the next
// at the top of each iteration with cp.async (16 bytes a thread, zeros past
// the last key) where the rows are 16-byte aligned, plain loads otherwise;
// K's and V's fragments by ldmatrix (V's transposed), four 8 × 8 matrices
// at a time; QKᵀ and PV as mma.sync m16n8k16 into f32 accumulators; row
// statistics over the lane quads.

// sm_75 has neither mma.sync m16n8k16 on f16/bf16 nor cp.async: every
// kernel is a CUDA-core form.
// SM75-LABEL: func @full_f16
// SM75:         hydra.computes = "full_attention"}
// SM75-LABEL: func @linear_gated_f16
// SM75:         hydra.computes = "linear_attention"}
// SM75-LABEL: func @linear_step_f16
// SM75:         hydra.computes = "linear_attention"}

// CHECK-LABEL: func @full_f16
// CHECK:       %[[TILES:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK:       scf.forall ({{.*}}) in (%c1, %c1, %[[TILES]], %{{.*}}) {
// CHECK-COUNT-8: vector.bitcast {{.*}} : vector<2xi16> to vector<2xf16>
// CHECK:         memref.alloc() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:         memref.alloc() : memref<64x24xf16, #gpu.address_space<workgroup>>
// CHECK:         memref.extract_aligned_pointer_as_index %[[K:arg1]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[V:arg2]]
// CHECK:         scf.if
// CHECK:           scf.if %[[K_ALIGNED:.*]] {
// CHECK:             nvgpu.device_async_copy %[[K]][{{.*}}], %{{.*}}[{{.*}}], 8, %{{.*}} {bypassL1} : memref<1x1x?x32xf16> to memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:           } else {
// CHECK:             memref.store {{.*}} : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:             nvgpu.device_async_copy %[[V]][{{.*}}], %{{.*}}[{{.*}}], 8, %{{.*}} {bypassL1} : memref<1x1x?x16xf16> to memref<64x24xf16, #gpu.address_space<workgroup>>
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           scf.if
// CHECK:             nvgpu.device_async_copy %[[K]]
// CHECK:             nvgpu.device_async_copy %[[V]]
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK:           gpu.barrier
// CHECK:           nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK:           nvgpu.mma.sync(%{{.*}}, %{{.*}}, %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK:           gpu.shuffle  xor %{{.*}}, %c2_i32{{.*}}, %c32_i32
// CHECK:           gpu.shuffle  xor %{{.*}}, %c1_i32{{.*}}, %c32_i32
// CHECK:           arith.truncf %{{.*}} : f32 to f16
// CHECK:           nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = true} : memref<64x24xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK:           nvgpu.mma.sync
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "full_attention_mma"}
func.func @full_f16(%q: memref<1x1x?x32xf16>, %k: memref<1x1x?x32xf16>, %v: memref<1x1x?x16xf16>,
                    %out: memref<1x1x?x16xf16>) {
  hydra.full_attention %q, %k, %v into %out {heads = array<i64: 0>, scale = 0.25 : f32}
      : memref<1x1x?x32xf16>, memref<1x1x?x32xf16>, memref<1x1x?x16xf16>, memref<1x1x?x16xf16>
  return
}

// -----

// Linear attention: a block per (batch, head) with a warp per 8 value
// columns (Dv = 24: 3 warps); chunks of 16 steps staged in workgroup
// memory; the state in registers (loop-carried), column sums by shuffles.

// CHECK-LABEL: func @linear_gated_delta
// CHECK:       scf.forall ({{.*}}) in (%c1, %c2) {
// CHECK:         hydra.work sizes() flops
// CHECK:         memref.alloc() : memref<16x32xf32, #gpu.address_space<workgroup>>
// CHECK:         scf.for %{{.*}} = %c0 to %c20 step %c16 iter_args(
// CHECK:           gpu.barrier
// CHECK:           gpu.barrier
// CHECK:           scf.for {{.*}} iter_args(
// CHECK:             math.exp
// CHECK:             gpu.shuffle  xor
// CHECK:           gpu.barrier
// CHECK:       } {hydra.block_size = 96 : i64, hydra.computes = "linear_attention"}
func.func @linear_gated_delta(%q: memref<1x2x20x16xf32>, %k: memref<1x2x20x16xf32>, %v: memref<1x2x20x24xf32>,
                              %decay: memref<1x2x20xf32>, %beta: memref<1x2x20xf32>, %out: memref<1x2x20x24xf32>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x20xf32>) beta(%beta : memref<1x2x20xf32>) into %out
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated_delta>}
      : memref<1x2x20x16xf32>, memref<1x2x20x16xf32>, memref<1x2x20x24xf32>, memref<1x2x20x24xf32>
  return
}

// -----

// f16 linear attention, gated with a decay per head: parallel over chunks
// of 64 on tensor cores, in three grids over an f32 scratch of chunk
// states [B, states, chunks, Dk, Dv] and chunk decays [B, states, chunks, 1]:
// each chunk's ΔS (a warp per 16 rows of Dk), the scan over chunks (a
// thread per state element, S_c written where ΔS_c was), then each chunk's
// outputs (a warp per 16 rows, Q's fragments from memory, S_c's from the
// scratch).

// CHECK-LABEL: func @linear_gated_f16
// CHECK:       %[[CHUNKS:.*]] = arith.ceildivui %c40, %c64 : index
// CHECK:       %[[STATES:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x32x32xf32>
// CHECK:       %[[DECAYS:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x1xf32>
// CHECK:       scf.forall (%[[B:.*]], %[[G:.*]], %[[C:.*]]) in (%c1, %c2, %[[CHUNKS]]) {
// CHECK:         memref.alloc() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:         memref.alloc() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:         memref.alloc() : memref<65x1xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %[[STATES]][%[[B]], %[[G]], %[[C]], %{{.*}}, %{{.*}}]
// CHECK:         memref.store %{{.*}}, %[[DECAYS]][%[[B]], %[[G]], %[[C]], %{{.*}}]
// CHECK:       } {hydra.block_size = 64 : i64, hydra.computes = "linear_attention_chunk_states_mma"}
// CHECK:       scf.forall (%[[SB:.*]], %[[SG:.*]], %{{.*}}) in (%c1, %c2, %c4) {
// CHECK:         scf.for %[[SC:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%[[S:.*]] = %{{.*}}) -> (f32) {
// CHECK:           %[[DELTA:.*]] = memref.load %[[STATES]][%[[SB]], %[[SG]], %[[SC]], %{{.*}}, %{{.*}}]
// CHECK:           memref.store %[[S]], %[[STATES]][%[[SB]], %[[SG]], %[[SC]], %{{.*}}, %{{.*}}]
// CHECK:           memref.load %[[DECAYS]][%[[SB]], %[[SG]], %[[SC]], %c0]
// CHECK:           math.exp
// CHECK:       } {hydra.block_size = 256 : i64, hydra.computes = "linear_attention_chunk_scan"}
// CHECK:       scf.forall ({{.*}}) in (%c1, %c2, %[[CHUNKS]]) {
// CHECK:         vector.load %{{.*}} : memref<1x2x40x32xf16>, vector<2xf16>
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.load %[[STATES]]
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %{{.*}} : memref<1x2x40x32xf16>
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_chunk_outputs_mma"}
func.func @linear_gated_f16(%q: memref<1x2x40x32xf16>, %k: memref<1x2x40x32xf16>, %v: memref<1x2x40x32xf16>,
                            %decay: memref<1x2x40xf32>, %out: memref<1x2x40x32xf16>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x40xf32>) into %out
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated>}
      : memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>
  return
}

// -----

// f16 gated linear attention with a decay per key dimension on tensor
// cores: cumulative decays [65, Dk] per chunk (a thread per key dimension),
// chunk decays [B, states, chunks, Dk] for the scan; each key block's
// scores of the outputs kernel by warp: one mma product of Q ⊙ e^{G_t −
// G_r0} and K ⊙ e^{G_r0 − G_s} before the warp's rows, an f32 sum over Dk
// on its diagonal (eight scores a lane), zeros after.

// CHECK-LABEL: func @linear_gated_per_key_f16
// CHECK-SAME:  %[[DECAY:[^:]*]]: memref<1x2x40x32xf32>
// CHECK:       %[[STATES:.*]] = memref.alloc(%c1, %[[CHUNKS:.*]]) : memref<?x2x?x32x32xf32>
// CHECK:       %[[DECAYS:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x32xf32>
// CHECK:       scf.forall (%[[B:.*]], %[[G:.*]], %[[C:.*]]) in (%c1, %c2, %[[CHUNKS]]) {
// CHECK:         %[[GT:.*]] = memref.alloc() : memref<65x32xf32, #gpu.address_space<workgroup>>
// CHECK:         scf.for %[[D:.*]] = %{{.*}} to %c32 step %c64 {
// CHECK:           scf.for
// CHECK:             memref.load %[[DECAY]][%[[B]], %{{.*}}, %{{.*}}, %[[D]]]
// CHECK:             memref.store %{{.*}}, %[[GT]][%{{.*}}, %[[D]]]
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %[[DECAYS]][%[[B]], %[[G]], %[[C]], %{{.*}}]
// CHECK:       } {hydra.block_size = 64 : i64, hydra.computes = "linear_attention_chunk_states_mma"}
// CHECK:       scf.forall
// CHECK:         memref.load %[[DECAYS]]
// CHECK:       } {hydra.block_size = 256 : i64, hydra.computes = "linear_attention_chunk_scan"}
// CHECK:       scf.forall
// CHECK:         %{{.*}}:2 = scf.if %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>) {
// CHECK:           nvgpu.mma.sync
// CHECK:         } else {
// CHECK:           scf.if %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>) {
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:               math.exp
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_chunk_outputs_mma"}
func.func @linear_gated_per_key_f16(%q: memref<1x2x40x32xf16>, %k: memref<1x2x40x32xf16>, %v: memref<1x2x40x32xf16>,
                                    %decay: memref<1x2x40x32xf32>, %out: memref<1x2x40x32xf16>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x40x32xf32>) into %out
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated>}
      : memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>
  return
}

// -----

// f16 gated delta rule on tensor cores: the UT transform per chunk (T by
// mma, A = (I + T)⁻¹ by forward substitution in shared memory, a barrier
// pair per row; U = A diag(β) V into an f32 scratch, Wk = A diag(β e^G) K
// into an f16 one), then the recurrence over chunks a block per (batch,
// kv head, 16 value columns) — S_c written for the outputs, W = U − Wk S_c
// over U, the next S — and the outputs reading W where V was.

// CHECK-LABEL: func @linear_gated_delta_f16
// CHECK-SAME:  %[[S0:[^:]*]]: memref<1x2x32x32xf32>, %{{.*}}: memref<1x2x40x32xf16>, %[[SF:[^:]*]]: memref<1x2x32x32xf32>)
// CHECK:       %[[CHUNKS:.*]] = arith.ceildivui %c40, %c64 : index
// CHECK:       %[[STATES:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x32x32xf32>
// CHECK:       %[[U:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x64x32xf32>
// CHECK:       %[[WK:.*]] = memref.alloc(%c1, %[[CHUNKS]]) : memref<?x2x?x64x32xf16>
// CHECK:       scf.forall (%[[B:.*]], %[[G:.*]], %[[C:.*]]) in (%c1, %c2, %[[CHUNKS]]) {
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64x68xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         nvgpu.ldmatrix
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %[[A]]
// CHECK:         gpu.barrier
// CHECK:         scf.for %[[T:.*]] = %c1 to %c64 step %c1 {
// CHECK:           scf.for
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[A]][%[[T]], %{{.*}}]
// CHECK:           gpu.barrier
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %[[U]][%[[B]], %[[G]], %[[C]], %{{.*}}, %{{.*}}] : memref<?x2x?x64x32xf32>
// CHECK:         nvgpu.mma.sync
// CHECK:         memref.store %{{.*}}, %[[WK]][%[[B]], %[[G]], %[[C]], %{{.*}}, %{{.*}}] : memref<?x2x?x64x32xf16>
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_delta_weights_mma"}
// CHECK:       scf.forall (%[[RB:.*]], %[[RG:.*]], %{{.*}}) in (%c1, %c2, %c2) {
// CHECK:         %[[S:.*]] = memref.alloc() : memref<32x20xf32, #gpu.address_space<workgroup>>
// CHECK:         memref.load %[[S0]]
// CHECK:         scf.for %[[RC:.*]] = %c0 to %[[CHUNKS]] step %c1 {
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %[[STATES]][%[[RB]], %[[RG]], %[[RC]], %{{.*}}, %{{.*}}]
// CHECK:           vector.load %[[WK]][%[[RB]], %[[RG]], %[[RC]], %{{.*}}, %{{.*}}] : memref<?x2x?x64x32xf16>, vector<2xf16>
// CHECK:           nvgpu.mma.sync
// CHECK:           memref.load %[[U]][%[[RB]], %[[RG]], %[[RC]], %{{.*}}, %{{.*}}]
// CHECK:           memref.store %{{.*}}, %[[U]][%[[RB]], %[[RG]], %[[RC]], %{{.*}}, %{{.*}}]
// CHECK:           gpu.barrier
// CHECK:           math.exp
// CHECK:           nvgpu.mma.sync
// CHECK:           memref.store %{{.*}}, %[[S]]
// CHECK:           gpu.barrier
// CHECK:         memref.store %{{.*}}, %[[SF]]
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_delta_recurrence_mma"}
// CHECK:       scf.forall ({{.*}}) in (%c1, %c2, %[[CHUNKS]]) {
// CHECK:         memref.load %[[U]]
// CHECK:         nvgpu.mma.sync
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_chunk_outputs_mma"}
func.func @linear_gated_delta_f16(%q: memref<1x2x40x32xf16>, %k: memref<1x2x40x32xf16>, %v: memref<1x2x40x32xf16>,
                                  %decay: memref<1x2x40xf32>, %beta: memref<1x1x40xf16>,
                                  %s0: memref<1x2x32x32xf32>, %out: memref<1x2x40x32xf16>,
                                  %sf: memref<1x2x32x32xf32>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x40xf32>) beta(%beta : memref<1x1x40xf16>)
      initial_state(%s0 : memref<1x2x32x32xf32>) into %out, final_state(%sf : memref<1x2x32x32xf32>)
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated_delta>}
      : memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>
  return
}

// -----

// The gated delta rule with a decay per key dimension: the chunk weights
// kernel's T by the per-key scores of keys against keys, strictly below
// the diagonal (s < t: `ult` masks in the diagonal block's f32 sums).

// CHECK-LABEL: func @linear_gated_delta_per_key_f16
// CHECK:       scf.forall
// CHECK:         memref.alloc() : memref<65x32xf32, #gpu.address_space<workgroup>>
// CHECK:         scf.if %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>) {
// CHECK:           nvgpu.mma.sync
// CHECK:         } else {
// CHECK:           scf.if %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>) {
// CHECK:             arith.cmpi ult
// CHECK:             scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:       } {hydra.block_size = 128 : i64, hydra.computes = "linear_attention_delta_weights_mma"}
// CHECK:       hydra.computes = "linear_attention_delta_recurrence_mma"
// CHECK:       hydra.computes = "linear_attention_chunk_outputs_mma"
func.func @linear_gated_delta_per_key_f16(%q: memref<1x2x40x32xf16>, %k: memref<1x2x40x32xf16>, %v: memref<1x2x40x32xf16>,
                                          %decay: memref<1x2x40x32xf32>, %beta: memref<1x2x40xf16>,
                                          %out: memref<1x2x40x32xf16>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x40x32xf32>) beta(%beta : memref<1x2x40xf16>) into %out
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated_delta>}
      : memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>, memref<1x2x40x32xf16>
  return
}

// -----

// A one-step call of the delta rule on tensor-core targets: S_0ᵀk a block
// reduction (32 slices of Dk by 8 columns, summed through shared memory),
// then S = a S_0 + k (β (v − a S_0ᵀk))ᵀ a thread per (row, column).

// CHECK-LABEL: func @linear_delta_step_f16
// CHECK-NOT:   memref<?x2x?x64x32x
// CHECK:       scf.forall ({{.*}}) in (%c1, %c2, %{{.*}}) {
// CHECK:         memref.alloc() : memref<32x8xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK:         scf.for
// CHECK:       } {hydra.block_size = 256 : i64, hydra.computes = "linear_attention_delta_step_state"}
// CHECK:       hydra.computes = "linear_attention_step_outputs"
// CHECK-NOT:   linear_attention_delta_weights
func.func @linear_delta_step_f16(%q: memref<1x2x1x32xf16>, %k: memref<1x2x1x32xf16>, %v: memref<1x2x1x32xf16>,
                                 %beta: memref<1x2x1xf16>, %s0: memref<1x2x32x32xf32>,
                                 %out: memref<1x2x1x32xf16>, %sf: memref<1x2x32x32xf32>) {
  hydra.linear_attention %q, %k, %v beta(%beta : memref<1x2x1xf16>)
      initial_state(%s0 : memref<1x2x32x32xf32>) into %out, final_state(%sf : memref<1x2x32x32xf32>)
      {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<delta>}
      : memref<1x2x1x32xf16>, memref<1x2x1x32xf16>, memref<1x2x1x32xf16>, memref<1x2x1x32xf16>
  return
}

// -----

// A one-step call (a decode step) of the tensor-core linear attention:
// the step form. The new state a thread per element (S = e^g S_0 + k vᵀ)
// into the scratch's chunk 0 and the final state; the outputs a warp per
// 8 value columns (a warp sum over Dk each), into an f32 row scratch; the
// fused normalization a warp per row.

// CHECK-LABEL: func @linear_step_f16
// CHECK-SAME:  %[[S0:[^:]*]]: memref<1x2x32x16xf32>, %{{.*}}: memref<1x4x1x16xf16>, %[[SF:[^:]*]]: memref<1x2x32x16xf32>)
// CHECK:       %[[STATES:.*]] = memref.alloc(%c1, %{{.*}}) : memref<?x2x?x32x16xf32>
// CHECK:       scf.forall (%[[B:.*]], %[[G:.*]], %{{.*}}) in (%c1, %c2, %{{.*}}) {
// CHECK:         memref.load %[[S0]]
// CHECK:         math.exp
// CHECK:         scf.if
// CHECK:           memref.store %{{.*}}, %[[STATES]][%[[B]], %[[G]], %c0, %{{.*}}, %{{.*}}]
// CHECK:           memref.store %{{.*}}, %[[SF]]
// CHECK:       } {hydra.block_size = 256 : i64, hydra.computes = "linear_attention_step_state"}
// CHECK:       %[[ROWS:.*]] = memref.alloc(%c1) : memref<?x4x16xf32>
// CHECK:       scf.forall ({{.*}}) in (%c1, %c4, %{{.*}}) {
// CHECK:         gpu.shuffle  xor
// CHECK:         memref.store %{{.*}}, %[[ROWS]]
// CHECK:       } {hydra.block_size = 32 : i64, hydra.computes = "linear_attention_step_outputs"}
// CHECK:       scf.forall ({{.*}}) in (%c1, %c4, %c1) {
// CHECK:         memref.load %[[ROWS]]
// CHECK:         math.rsqrt
// CHECK:       } {hydra.block_size = 32 : i64, hydra.computes = "linear_attention_step_normalize"}
// CHECK-NOT:   linear_attention_chunk
func.func @linear_step_f16(%q: memref<1x4x1x32xf16>, %k: memref<1x2x1x32xf16>, %v: memref<1x2x1x16xf16>,
                           %g: memref<4x16xf16>, %decay: memref<1x2x1xf32>, %s0: memref<1x2x32x16xf32>,
                           %out: memref<1x4x1x16xf16>, %sf: memref<1x2x32x16xf32>) {
  hydra.linear_attention %q, %k, %v decay(%decay : memref<1x2x1xf32>)
      initial_state(%s0 : memref<1x2x32x16xf32>) fusion_scale(%g : memref<4x16xf16>)
      into %out, final_state(%sf : memref<1x2x32x16xf32>)
      {heads = array<i64: 0, 1, 2, 3>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated>}
      : memref<1x4x1x32xf16>, memref<1x2x1x32xf16>, memref<1x2x1x16xf16>, memref<1x4x1x16xf16>
  return
}

// RUN: hydra-opt %s --hydra-tile-attention="query-tile=16 key-tile=32 chunk-size=16" --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.linear_attention

// Linear attention's blocked forms (one decay per head, a chunk of whole
// vectors): gated, Dk 16, Dv 128 (slices of 64: four vectors), chunks of 16.

// CHECK-LABEL: func @gated_blocked
// CHECK-SAME: (%[[Q:.*]]: memref<1x2x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>, %[[V:.*]]: memref<1x2x?x128xf32>, %[[D:.*]]: memref<1x2x?xf32>, %[[OUT:.*]]: memref<1x2x?x128xf32>)
// CHECK:      scf.forall
// The state, the cumulative decay, the chunk's keys transposed (zeroed
// once: lanes past a short chunk stay finite), the decayed keys, the pair
// weights and the chunk's outputs.
// CHECK:        %[[S:.*]] = memref.alloca() : memref<16x128xf32>
// CHECK:        %[[G:.*]] = memref.alloca() : memref<16xf32>
// The chunk's key, value and (one member's) query rows.
// CHECK:        %[[KR:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[VR:.*]] = memref.alloca() : memref<16x128xf32>
// CHECK:        %[[QR:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[KT:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        vector.store %{{.*}}, %[[KT]]
// CHECK:        vector.store %{{.*}}, %[[G]]
// CHECK:        %[[KW:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[EG:.*]] = memref.alloca() : memref<16xf32>
// CHECK:        %[[EW:.*]] = memref.alloca() : memref<16xf32>
// CHECK:        %[[A:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[O:.*]] = memref.alloca() : memref<16x128xf32>
// CHECK:        scf.for %{{.*}} step %c16 {
// Keys and values copied into the chunk's rows once, each row 8 steps on
// requested (one prefetch a cache line, clamped to the last step).
// CHECK:          vector.load %[[K]]
// CHECK:          vector.store %{{.*}}, %[[KR]]
// CHECK:          arith.minui
// CHECK:          memref.prefetch %[[K]]
// CHECK:          vector.load %[[V]]
// CHECK:          vector.store %{{.*}}, %[[VR]]
// CHECK-COUNT-8:  memref.prefetch %[[V]]
// Keys transposed 16 × 16 through registers (the steps past the last
// whole square element by element); e^{G_t} and e^{G_L − G_s} for the whole
// chunk as vectors; the keys scaled by the latter.
// CHECK-COUNT-16: vector.load %[[KR]]
// CHECK:          vector.transpose %{{.*}}, [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK-COUNT-16: vector.store %{{.*}}, %[[KT]]
// CHECK:          memref.load %[[KR]]
// CHECK:          memref.store %{{.*}}, %[[KT]]
// CHECK:          math.exp %{{.*}} : vector<16xf32>
// CHECK:          vector.store %{{.*}}, %[[EG]]
// CHECK:          math.exp %{{.*}} : vector<16xf32>
// CHECK:          vector.store %{{.*}}, %[[EW]]
// CHECK:          memref.load %[[EW]]
// CHECK:          vector.store %{{.*}}, %[[KW]]
// A member's query rows.
// CHECK:          vector.load %[[Q]]
// CHECK:          vector.store %{{.*}}, %[[QR]]
// Pair weights, four rows × the chunk's steps in lanes: per d one row of
// Kᵀ and a broadcast q element a row; then e^{G_t − G_s}, zero for s > t.
// CHECK:          scf.for %{{.*}} step %c4 {
// CHECK:            scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:              vector.load %[[KT]]
// CHECK:              memref.load %[[QR]]
// CHECK-COUNT-4:      vector.fma
// CHECK:            math.exp %{{.*}} : vector<16xf32>
// CHECK:            arith.cmpi ugt, %{{.*}} : vector<16xindex>
// CHECK:            arith.select
// CHECK:            vector.store %{{.*}}, %[[A]]
// Outputs a slice of Dv at a time (outermost), four rows × two vectors in
// registers (16 accumulators): q·S, times e^{G_t}, then Σ_{s ≤ t} A_ts v_s.
// Each row block also requests its share of the next chunk's query rows
// into L2, and of this chunk's output rows for writing.
// CHECK:          scf.for %[[COL:.*]] = %c0 to %c128{{.*}} step %c64{{.*}} {
// CHECK:            scf.for %{{.*}} step %c4 {
// CHECK:              scf.for
// CHECK:                memref.prefetch %[[Q]][{{.*}}], read, locality<2>, data
// CHECK:              scf.for
// CHECK:                memref.prefetch %[[OUT]][{{.*}}], write, locality<2>, data
// CHECK:              scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4:        vector.load %[[S]][
// CHECK:                memref.load %[[QR]]
// CHECK-COUNT-4:        vector.fma
// CHECK:              memref.load %[[EG]]
// CHECK:              arith.mulf {{.*}} : vector<16xf32>
// CHECK:              scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4:        vector.load %[[VR]]
// CHECK:                memref.load %[[A]]
// CHECK-COUNT-4:        vector.fma
// CHECK:              vector.store %{{.*}}, %[[O]]
// Each row scaled and stored once.
// CHECK:          scf.for
// CHECK:            vector.load %[[O]]
// CHECK:            vector.store %{{.*}}, %[[OUT]]
// The state update: S ← e^{G_L} S + Σ_s (k_s e^{G_L − G_s}) v_sᵀ, four
// rows of S × a slice in registers; each block of rows requests its share
// of the next chunk's key and value rows.
// CHECK:          scf.for %{{.*}} = %c0 to %c128{{.*}} step %c64{{.*}} {
// CHECK:            scf.for %{{.*}} = %c0 to %c16 step %c4 {
// CHECK:              memref.prefetch %[[K]][{{.*}}], read, locality<2>, data
// CHECK-COUNT-8:      memref.prefetch %[[V]][{{.*}}], read, locality<2>, data
// CHECK:              vector.load %[[S]][
// CHECK:              arith.mulf
// CHECK:              scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4:        vector.load %[[VR]]
// CHECK:                memref.load %[[KW]]
// CHECK-COUNT-4:        vector.fma
// CHECK:              vector.store %{{.*}}, %[[S]][
func.func @gated_blocked(%q: memref<1x2x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x128xf32>,
                         %d: memref<1x2x?xf32>, %out: memref<1x2x?x128xf32>) {
  hydra.linear_attention %q, %k, %v decay(%d : memref<1x2x?xf32>) into %out
    {heads = array<i64: 0, 1>, scale = 0.25 : f32, update_rule = #hydra.update_rule<gated>}
    : memref<1x2x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x128xf32>, memref<1x2x?x128xf32>
  return
}

// -----

// The linear rule: no decay, so no exponentials, and the state update
// broadcasts the keys straight from the chunk's key rows.

// CHECK-LABEL: func @linear_blocked
// CHECK-NOT:    math.exp
// CHECK:        %[[KR:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[VR:.*]] = memref.alloca() : memref<16x128xf32>
// CHECK:        scf.for %{{.*}} step %c16 {
// CHECK:          scf.for %{{.*}} = %c0 to %c128{{.*}} step %c64{{.*}} {
// CHECK:            scf.for %{{.*}} = %c0 to %c16 step %c4 {
// CHECK:          scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:            vector.load %[[VR]]
// CHECK:            memref.load %[[KR]]
// CHECK-NOT:    math.exp
// CHECK:        return
func.func @linear_blocked(%q: memref<1x2x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x128xf32>,
                          %out: memref<1x2x?x128xf32>) {
  hydra.linear_attention %q, %k, %v into %out {heads = array<i64: 0, 1>, scale = 0.25 : f32}
    : memref<1x2x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x128xf32>, memref<1x2x?x128xf32>
  return
}

// -----

// GQA: four query heads on two kv heads. One iteration per (batch, kv
// head); the chunk's keys and the state update are computed once for the
// kv head, and the outputs once for each of its two query heads (heads
// 2g and 2g + 1, from a table).

// CHECK-LABEL: func @gqa_shares_the_state
// CHECK:        scf.forall (%{{.*}}, %[[G:.*]]) in (%c1, %c2) {
// CHECK:          %[[KV:.*]] = vector.extract %{{.*}}[%[[G]]] : index from vector<2xindex>
// CHECK:          %[[HEADS:.*]] = arith.constant dense<[0, 1, 2, 3]> : vector<4xindex>
// CHECK:          %[[COUNT:.*]] = vector.extract %{{.*}}[%[[G]]] : index from vector<2xindex>
// CHECK:          scf.for %{{.*}} step %c16 {
// CHECK:            vector.load %arg1[%{{.*}}, %[[KV]], %{{.*}}, %{{.*}}] : memref<1x2x?x16xf32>
// CHECK:            vector.load %arg2[%{{.*}}, %[[KV]], %{{.*}}, %{{.*}}] : memref<1x2x?x128xf32>
// CHECK:            scf.for %[[M:.*]] = %c0 to %[[COUNT]] step %c1 {
// CHECK:              %[[H:.*]] = vector.extract %[[HEADS]][%{{.*}}] : index from vector<4xindex>
// CHECK:              vector.load %arg0[%{{.*}}, %[[H]], %{{.*}}, %{{.*}}] : memref<1x4x?x16xf32>
// CHECK:              vector.store %{{.*}}, %arg3[%{{.*}}, %[[H]], %{{.*}}, %{{.*}}] : memref<1x4x?x128xf32>
// CHECK:            }
// The state update after every member's outputs, once, from the staged
// rows.
// CHECK:            scf.for %{{.*}} = %c0 to %c128{{.*}} step %c64{{.*}} {
// CHECK-NOT:    {{memref|vector}}.load %arg{{[012]}}[
// CHECK:        return
func.func @gqa_shares_the_state(%q: memref<1x4x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x128xf32>,
                                %out: memref<1x4x?x128xf32>) {
  hydra.linear_attention %q, %k, %v into %out {heads = array<i64: 0, 1, 2, 3>, scale = 0.25 : f32}
    : memref<1x4x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x128xf32>, memref<1x4x?x128xf32>
  return
}

// -----

// Dk = 128: the carried-state part of the outputs reads S in two blocks of
// 64 rows, the second starting from the first's partial sums in the
// chunk's outputs; e^{G_t} and the intra-chunk sum follow the last block.

// CHECK-LABEL: func @depth_blocks
// CHECK:        %[[S:.*]] = memref.alloca() : memref<128x128xf32>
// CHECK:        memref.alloca() : memref<16x16xf32>
// CHECK:        %[[O:.*]] = memref.alloca() : memref<16x128xf32>
// CHECK:        scf.for %[[COL:.*]] = %c0 to %c128{{.*}} step %c64{{.*}} {
// CHECK:          scf.for %{{.*}} step %c4 {
// CHECK:            scf.for %{{.*}} = %c0 to %c64{{.*}} step %c1 iter_args
// CHECK-COUNT-4:      vector.load %[[S]][
// CHECK:            vector.store %{{.*}}, %[[O]]
// CHECK:          scf.for %{{.*}} step %c4 {
// CHECK:            vector.load %[[O]]
// CHECK:            scf.for %{{.*}} = %c64{{.*}} to %c128{{.*}} step %c1 iter_args
// CHECK-COUNT-4:      vector.load %[[S]][
// CHECK:            memref.load %[[EG:.*]][
// CHECK:            vector.store %{{.*}}, %[[O]]
func.func @depth_blocks(%q: memref<1x1x?x128xf32>, %k: memref<1x1x?x128xf32>, %v: memref<1x1x?x128xf32>,
                        %d: memref<1x1x?xf32>, %out: memref<1x1x?x128xf32>) {
  hydra.linear_attention %q, %k, %v decay(%d : memref<1x1x?xf32>) into %out
    {heads = array<i64: 0>, scale = 0.25 : f32, update_rule = #hydra.update_rule<gated>}
    : memref<1x1x?x128xf32>, memref<1x1x?x128xf32>, memref<1x1x?x128xf32>, memref<1x1x?x128xf32>
  return
}

// -----

// The delta rule, blocked: the pseudo-values from register tiles too — the
// keys' pair weights strictly below the diagonal, v − kᵀS a block of rows ×
// a slice of Dv at a time — then forward substitution, a row of Dv in
// registers, and β.

// CHECK-LABEL: func @delta_blocked
// CHECK-SAME: (%{{.*}}: memref<1x1x?x16xf32>, %{{.*}}: memref<1x1x?x16xf32>, %{{.*}}: memref<1x1x?x64xf32>, %[[BETA:.*]]: memref<1x1x?xf32>, %{{.*}}: memref<1x1x?x64xf32>)
// CHECK:        %[[S:.*]] = memref.alloca() : memref<16x64xf32>
// CHECK:        %[[U:.*]] = memref.alloca() : memref<16x64xf32>
// CHECK:        %[[KR:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        %[[VR:.*]] = memref.alloca() : memref<16x64xf32>
// CHECK:        memref.alloca() : memref<16x16xf32>
// CHECK:        memref.alloca() : memref<16x16xf32>
// CHECK:        memref.alloca() : memref<16x16xf32>
// CHECK:        %[[KA:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK:        scf.for %{{.*}} step %c16 {
// CHECK:          vector.transpose
// CHECK:          scf.for %{{.*}} step %c4 {
// CHECK:            memref.load %[[KR]]
// CHECK:            arith.cmpi uge
// CHECK:            vector.store %{{.*}}, %[[KA]]
// CHECK:          scf.for %{{.*}} = %c0 to %c64 step %c32 {
// CHECK:            scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:              vector.load %[[S]]
// CHECK:              memref.load %[[KR]]
// CHECK:            vector.load %[[VR]]
// CHECK:            arith.subf {{.*}} : vector<16xf32>
// CHECK:            vector.store %{{.*}}, %[[U]]
// CHECK:          scf.for %[[T:[^ ]*]] = %c0 to %{{[^ ]*}} step %c1 {
// CHECK:            scf.for %{{.*}} = %c0 to %[[T]] step %c1 iter_args({{.*}}) -> (vector<64xf32>) {
// CHECK:              memref.load %[[KA]]
// CHECK:              vector.load %[[U]]
// CHECK:            memref.load %[[BETA]]
// CHECK:            vector.store %{{.*}}, %[[U]]
func.func @delta_blocked(%q: memref<1x1x?x16xf32>, %k: memref<1x1x?x16xf32>, %v: memref<1x1x?x64xf32>,
                         %b: memref<1x1x?xf32>, %out: memref<1x1x?x64xf32>) {
  hydra.linear_attention %q, %k, %v beta(%b : memref<1x1x?xf32>) into %out
    {heads = array<i64: 0>, scale = 0.25 : f32, update_rule = #hydra.update_rule<delta>}
    : memref<1x1x?x16xf32>, memref<1x1x?x16xf32>, memref<1x1x?x64xf32>, memref<1x1x?x64xf32>
  return
}

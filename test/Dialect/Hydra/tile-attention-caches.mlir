// RUN: hydra-opt %s --hydra-tile-attention="query-tile=16 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.full_attention --implicit-check-not=hydra.linear_attention
// RUN: hydra-opt %s --hydra-tile-attention-gpu --cse --split-input-file \
// RUN:   | FileCheck %s --check-prefix=GPU

// The part ops as hydra-split-heads writes them for a layer with caches:
// full heads 0, 1, 3 read a key cache of two kv heads at positions 0, 0, 1
// with the causal diagonal aligned to the last key; linear heads 2, 3
// (kv head 1) keep their state at index 0 of a one-state cache.

// CHECK-LABEL: func @full_heads_on_caches
// CHECK-SAME: (%[[Q:.*]]: memref<1x4x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>
// CHECK-DAG:  %[[S:.*]] = memref.dim %[[Q]], %c2
// CHECK-DAG:  %[[T:.*]] = memref.dim %[[K]], %c2
// CHECK:      scf.forall (%{{.*}}, %[[N:.*]], %[[QT:.*]]) in (%c1, %c3, %{{.*}}) {
// The kv head is looked up from kv_heads, not computed as h / group.
// CHECK:        %[[H:.*]] = vector.extract %{{.*}}[%[[N]]] : index from vector<3xindex>
// CHECK:        %[[KVT:.*]] = arith.constant dense<[0, 0, 1]> : vector<3xindex>
// CHECK:        %[[KVH:.*]] = vector.extract %[[KVT]][%[[N]]] : index from vector<3xindex>
// CHECK:        %[[I0:.*]] = arith.muli %[[QT]], %c16
// CHECK:        %[[ROWS:.*]] = arith.minui %{{.*}}, %c16
// Row i's diagonal is key i + (T − S).
// CHECK:        %[[SHIFT:.*]] = arith.subi %[[T]], %[[S]] : index
// CHECK:        %[[DIAG0:.*]] = arith.addi %[[I0]], %[[SHIFT]] : index
// The lane form's key loop ends after the tile's last diagonal.
// CHECK:        %[[LAST:.*]] = arith.addi %[[DIAG0]], %[[ROWS]] : index
// CHECK:        %[[KEND:.*]] = arith.minui %[[T]], %[[LAST]] : index
// CHECK:        scf.for %{{.*}} = %c0 to %[[KEND]] step %c32 {
// CHECK:          memref.load %[[K]][%{{.*}}, %[[KVH]], %{{.*}}, %{{.*}}]
// So does the row form's, and each row drops keys past its own diagonal.
// CHECK:        %[[LAST2:.*]] = arith.addi %[[DIAG0]], %[[ROWS]] : index
// CHECK:        %[[KEND2:.*]] = arith.minui %[[T]], %[[LAST2]] : index
// CHECK:        scf.for %{{.*}} = %c0 to %[[KEND2]] step %c32 {
// CHECK:            %[[ROW:.*]] = arith.addi %[[I0]], %{{.*}} : index
// CHECK:            %[[DIAG:.*]] = arith.addi %[[ROW]], %[[SHIFT]] : index
// CHECK:            %[[DIAGS:.*]] = vector.broadcast %[[DIAG]] : index to vector<32xindex>
// CHECK:            arith.cmpi ugt, %{{.*}}, %[[DIAGS]] : vector<32xindex>

// The GPU kernel makes the same changes: kv_heads by selects (entry 1 is
// 0, others 1, entry 0 is 0), the key loop to the last diagonal, each
// score dropped past its row's.
// GPU-LABEL: func @full_heads_on_caches
// GPU-SAME: (%[[Q:.*]]: memref<1x4x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>
// GPU-DAG:     %[[S:.*]] = memref.dim %[[Q]], %c2
// GPU-DAG:     %[[T:.*]] = memref.dim %[[K]], %c2
// GPU:         %[[IS1:.*]] = arith.cmpi eq, %[[N:.*]], %c1 : index
// GPU:         %[[IS0:.*]] = arith.cmpi eq, %[[N]], %c0 : index
// GPU:         %[[KV1:.*]] = arith.select %[[IS1]], %c0, %c1 : index
// GPU:         %[[KVH:.*]] = arith.select %[[IS0]], %c0, %[[KV1]] : index
// GPU:         %[[I0:.*]] = arith.muli %{{.*}}, %c16 : index
// GPU:         %[[SHIFT:.*]] = arith.subi %[[T]], %[[S]] : index
// GPU:         %[[DIAG0:.*]] = arith.addi %[[I0]], %[[SHIFT]] : index
// GPU:         %[[LAST:.*]] = arith.addi %[[DIAG0]], %{{.*}} : index
// GPU:         %[[KEND:.*]] = arith.minui %[[T]], %[[LAST]] : index
// GPU:         scf.for %{{.*}} = %c0 to %[[KEND]] step %c32
// GPU:           memref.load %[[K]][%{{.*}}, %[[KVH]], %{{.*}}, %{{.*}}]
// GPU:         %[[DIAG:.*]] = arith.addi %{{.*}}, %[[SHIFT]] : index
// GPU:         arith.cmpi ugt, %{{.*}}, %[[DIAG]] : index
func.func @full_heads_on_caches(%q: memref<1x4x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x8xf32>,
                                %out: memref<1x4x?x8xf32>) {
  hydra.full_attention %q, %k, %v into %out
    {heads = array<i64: 0, 1, 3>, kv_heads = array<i64: 0, 0, 1>, causal, end_aligned, scale = 0.25 : f32}
    : memref<1x4x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x8xf32>, memref<1x4x?x8xf32>
  return
}

// -----

// CHECK-LABEL: func @linear_heads_numbered_states
// CHECK-SAME: %[[S0:[^:]*]]: memref<1x1x16x8xf32>, %{{.*}}: memref<1x4x?x8xf32>, %[[SF:[^:]*]]: memref<1x1x16x8xf32>)
// CHECK:      scf.forall (%[[B:.*]], %[[G:.*]]) in (%c1, %c1) {
// kv head 1's state is state 0.
// CHECK:        %[[ST:.*]] = arith.constant dense<0> : vector<1xindex>
// CHECK:        %[[SH:.*]] = vector.extract %[[ST]][%[[G]]] : index from vector<1xindex>
// CHECK:          vector.load %[[S0]][%[[B]], %[[SH]], %{{.*}}, %c0]
// CHECK:          vector.store %{{.*}}, %[[SF]][%[[B]], %[[SH]], %{{.*}}, %c0]
func.func @linear_heads_numbered_states(%q: memref<1x4x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x8xf32>,
                                        %s: memref<1x1x16x8xf32>, %out: memref<1x4x?x8xf32>, %f: memref<1x1x16x8xf32>) {
  hydra.linear_attention %q, %k, %v initial_state(%s : memref<1x1x16x8xf32>) into %out, final_state(%f : memref<1x1x16x8xf32>)
    {heads = array<i64: 2, 3>, state_heads = array<i64: 0, 0>, scale = 0.25 : f32}
    : memref<1x4x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x8xf32>, memref<1x4x?x8xf32>
  return
}

// GPU-LABEL: func @linear_heads_numbered_states
// GPU-SAME: %[[S0:[^:]*]]: memref<1x1x16x8xf32>, %{{.*}}: memref<1x4x?x8xf32>, %[[SF:[^:]*]]: memref<1x1x16x8xf32>)
// GPU:         scf.forall (%[[B:.*]], %[[N:.*]]) in (%c1, %c2) {
// GPU:           %[[KVH:.*]] = arith.divui %{{.*}}, %c2 : index
// GPU:           %[[SH:.*]] = arith.select %{{.*}}, %c0, %c0 : index
// GPU:           memref.load %[[S0]][%[[B]], %[[SH]], %{{.*}}, %{{.*}}]
// GPU:           memref.store %{{.*}}, %[[SF]][%[[B]], %[[SH]], %{{.*}}, %{{.*}}]

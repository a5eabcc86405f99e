// RUN: hydra-opt %s --hydra-tile-attention="query-tile=16 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.full_attention --implicit-check-not=hydra.linear_attention
// RUN: hydra-opt %s --hydra-tile-attention-gpu --cse --split-input-file \
// RUN:   | FileCheck %s --check-prefix=GPU

// The part ops as hydra-split-heads writes them for a layer with caches:
// full heads 0, 1, 3 read a key cache of two kv heads at positions 0, 0, 1
// with the causal diagonal aligned to the last key; linear heads 2, 3
// (kv head 1) keep their state at index 0 of a one-state cache.

// CHECK-LABEL: func @full_heads_on_caches
// CHECK-SAME: (%[[Q:.*]]: memref<1x4x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>, %[[V:.*]]: memref<1x2x?x8xf32>, %[[OUT:.*]]: memref<1x4x?x8xf32>)
// CHECK-DAG:  %[[S:.*]] = memref.dim %[[Q]], %c2
// CHECK-DAG:  %[[T:.*]] = memref.dim %[[K]], %c2
// Decode when S ≤ 8: kv head 0 has two of the heads, and an iteration
// takes at most 16 rows.
// CHECK:      arith.divui %[[S]], %c9
// CHECK:      %[[PARTIALS:.*]] = memref.alloc({{.*}}) : memref<?x3x?x?x10xf32>
// Prefill grid.
// CHECK:      scf.forall (%{{.*}}, %[[N:.*]], %[[QT:.*]]) in (%c1, %c3, %{{.*}}) {
// The kv head is looked up from kv_heads, not computed as h / group.
// CHECK:        %[[H:.*]] = vector.extract %{{.*}}[%[[N]]] : index from vector<3xindex>
// CHECK:        %[[KVT:.*]] = arith.constant dense<[0, 0, 1]> : vector<3xindex>
// CHECK:        %[[KVH:.*]] = vector.extract %[[KVT]][%[[N]]] : index from vector<3xindex>
// CHECK:        %[[I0:.*]] = arith.muli %[[QT]], %c16
// CHECK:        %[[ROWS:.*]] = arith.minui %{{.*}}, %c16
// Row i's diagonal is key i + (T − S); the key loop ends after the tile's
// last diagonal.
// CHECK:        %[[SHIFT:.*]] = arith.subi %[[T]], %[[S]] : index
// CHECK:        %[[DIAG0:.*]] = arith.addi %[[I0]], %[[SHIFT]] : index
// CHECK:        %[[LAST:.*]] = arith.addi %[[DIAG0]], %[[ROWS]] : index
// CHECK:        %[[KEND:.*]] = arith.minui %[[T]], %[[LAST]] : index
// CHECK:        scf.for %{{.*}} = %c0 to %[[KEND]] step %c32 {
// CHECK:          memref.load %[[K]][%{{.*}}, %[[KVH]], %{{.*}}, %{{.*}}]
// The row form: each row drops keys past its own diagonal.
// CHECK:        } else {
// CHECK:          scf.for %{{.*}} = %c0 to %[[KEND]] step %c32 {
// CHECK:            %[[ROW:.*]] = arith.addi %[[I0]], %{{.*}} : index
// CHECK:            %[[DIAG:.*]] = arith.addi %[[ROW]], %[[SHIFT]] : index
// CHECK:            %[[DIAGS:.*]] = vector.broadcast %[[DIAG]] : index to vector<32xindex>
// CHECK:            arith.cmpi ugt, %{{.*}}, %[[DIAGS]] : vector<32xindex>
// Decode grid: one iteration per (batch, kv head, key split); kv head 0
// has listed heads 0 and 1, kv head 1 head 2 (padded).
// CHECK:      scf.forall (%[[DB:.*]], %[[G:.*]], %[[SPLIT:.*]]) in (%c1, %c2, %{{.*}}) {
// CHECK:        %[[DKV:.*]] = vector.extract %{{.*}}[%[[G]]] : index from vector<2xindex>
// CHECK:        %[[COUNTS:.*]] = arith.constant dense<[2, 1]> : vector<2xindex>
// CHECK:        %[[COUNT:.*]] = vector.extract %[[COUNTS]][%[[G]]]
// CHECK:        arith.constant dense<[0, 1, 2, 2]> : vector<4xindex>
// This split's keys: ceil(T / splits) of them, to the last row's diagonal.
// CHECK:        %[[PER:.*]] = arith.ceildivui %[[T]], %{{.*}} : index
// CHECK:        %[[BEGIN0:.*]] = arith.muli %[[SPLIT]], %[[PER]] : index
// CHECK:        %[[BEGIN:.*]] = arith.minui %[[BEGIN0]], %[[T]] : index
// CHECK:        %[[END0:.*]] = arith.addi %[[BEGIN]], %[[PER]] : index
// CHECK:        %[[END1:.*]] = arith.minui %[[END0]], %[[T]] : index
// CHECK:        %[[LASTD:.*]] = arith.addi %[[S]], %{{.*}} : index
// CHECK:        %[[END:.*]] = arith.minui %[[END1]], %[[LASTD]] : index
// Every row of the kv head's query heads: count · S.
// CHECK:        %[[NROWS:.*]] = arith.muli %[[COUNT]], %[[S]] : index
// CHECK:        scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c32 {
// Blocks of four rows share each key row: one dot product a (row, key).
// CHECK:          scf.for %{{.*}} step %c4 {
// CHECK:            scf.for
// CHECK:              %[[KEY:.*]] = vector.load %[[K]][%[[DB]], %[[DKV]], %{{.*}}, %c0]
// CHECK:              %[[Q0:.*]] = vector.load %[[Q]]
// CHECK:              arith.mulf %[[Q0]], %[[KEY]]
// CHECK:              %[[Q1:.*]] = vector.load %[[Q]]
// CHECK:              arith.mulf %[[Q1]], %[[KEY]]
// One split finishes its rows; several leave max, sum and output.
// CHECK:        scf.for %{{.*}} = %c0 to %[[NROWS]] step %c1 {
// CHECK:          scf.if
// CHECK:            vector.store %{{.*}}, %[[OUT]]
// CHECK:          } else {
// CHECK:            vector.store %{{.*}}, %[[PARTIALS]]
// Combine grid: each (batch, head, query row) merges its splits.
// CHECK:      scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (%c1, %c3, %{{.*}}) {
// CHECK:        scf.for {{.*}} -> (f32) {
// CHECK:          memref.load %[[PARTIALS]]
// CHECK:          arith.maximumf
// CHECK:        scf.for {{.*}} -> (f32, vector<8xf32>) {
// CHECK:          math.exp
// CHECK:          vector.fma
// CHECK:        arith.divf
// CHECK:        vector.store %{{.*}}, %[[OUT]]

// The GPU kernel makes the same changes: kv_heads by selects (entry 1 is
// 0, others 1, entry 0 is 0), the key loop to the last diagonal, each
// score dropped past its row's. Its grid of (batch, head, 16-row tile)
// blocks also splits the keys when it has fewer than 264 blocks
// (flash-decoding): ceil(264 / blocks) splits, at most one per 128 keys
// and 256 in all; the partials have rows only with several splits.
// GPU-LABEL: func @full_heads_on_caches
// GPU-SAME: (%[[Q:.*]]: memref<1x4x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>
// GPU-DAG:     %[[S:.*]] = memref.dim %[[Q]], %c2
// GPU-DAG:     %[[T:.*]] = memref.dim %[[K]], %c2
// GPU:         %[[TILES:.*]] = arith.ceildivui %[[S]], %c16 : index
// GPU:         %[[BLOCKS:.*]] = arith.muli %{{.*}}, %[[TILES]] : index
// GPU:         %[[ATLEAST1:.*]] = arith.maxui %[[BLOCKS]], %c1 : index
// GPU:         %[[WANTED:.*]] = arith.ceildivui %c264, %[[ATLEAST1]] : index
// GPU:         %[[BYKEYS:.*]] = arith.ceildivui %[[T]], %c128 : index
// GPU:         %[[M1:.*]] = arith.minui %[[WANTED]], %[[BYKEYS]] : index
// GPU:         %[[M2:.*]] = arith.minui %[[M1]], %c256 : index
// GPU:         %[[SPLITS:.*]] = arith.maxui %[[M2]], %c1 : index
// GPU:         %[[PER:.*]] = arith.ceildivui %[[T]], %[[SPLITS]] : index
// GPU:         %[[SEVERAL:.*]] = arith.minui %{{.*}}, %c1 : index
// GPU:         %[[PROWS:.*]] = arith.muli %[[S]], %[[SEVERAL]] : index
// GPU:         %[[PARTIALS:.*]] = memref.alloc(%c1, %[[PROWS]], %[[SPLITS]]) : memref<?x3x?x?x10xf32>
// GPU:         scf.forall (%{{.*}}, %[[N:.*]], %{{.*}}, %[[SPLIT:.*]]) in (%c1, %c3, %[[TILES]], %[[SPLITS]]) {
// GPU:           %[[IS1:.*]] = arith.cmpi eq, %[[N]], %c1 : index
// GPU:           %[[IS0:.*]] = arith.cmpi eq, %[[N]], %[[C0:.*]] : index
// GPU:           %[[KV1:.*]] = arith.select %[[IS1]], %[[C0]], %c1 : index
// GPU:           %[[KVH:.*]] = arith.select %[[IS0]], %[[C0]], %[[KV1]] : index
// GPU:           %[[I0:.*]] = arith.muli %{{.*}}, %c16 : index
// GPU:           %[[SHIFT:.*]] = arith.subi %[[T]], %[[S]] : index
// This block's slice of the keys, ending at the tile's last diagonal.
// GPU:           %[[B0:.*]] = arith.muli %[[SPLIT]], %[[PER]] : index
// GPU:           %[[BEGIN:.*]] = arith.minui %[[B0]], %[[T]] : index
// GPU:           %[[E0:.*]] = arith.addi %[[BEGIN]], %[[PER]] : index
// GPU:           %[[END:.*]] = arith.minui %[[E0]], %[[T]] : index
// GPU:           %[[DIAG0:.*]] = arith.addi %[[I0]], %[[SHIFT]] : index
// GPU:           %[[LAST:.*]] = arith.addi %[[DIAG0]], %{{.*}} : index
// GPU:           %[[KEND:.*]] = arith.minui %[[END]], %[[LAST]] : index
// GPU:           scf.for %{{.*}} = %[[BEGIN]] to %[[KEND]] step %c32
// GPU:             memref.load %[[K]][%{{.*}}, %[[KVH]], %{{.*}}, %{{.*}}]
// Keys past the slice's end are dropped, as are those past the diagonal.
// GPU:             gpu.barrier
// GPU:             %[[KEY:.*]] = arith.addi %{{.*}}, %[[LANE:.*]] : index
// GPU:             arith.cmpi uge, %[[KEY]], %[[END]] : index
// GPU:             %[[DIAG:.*]] = arith.addi %{{.*}}, %[[SHIFT]] : index
// GPU:             arith.cmpi ugt, %[[KEY]], %[[DIAG]] : index
// One split finishes its rows; several leave them in the partials.
// GPU:           %[[ONE:.*]] = arith.cmpi eq, %[[SPLITS]], %c1 : index
// GPU:           scf.if %[[ONE]] {
// GPU:             arith.divf
// GPU:           } else {
// GPU:             memref.store %{{.*}}, %[[PARTIALS]]
// The combine: a warp per (batch, head, row) of a split grid.
// GPU:         %[[ROWS:.*]] = memref.dim %[[PARTIALS]], %c2
// GPU:         scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}}, %c3, %[[ROWS]]) {
// GPU:           arith.maximumf
// GPU:           math.exp
// GPU:           arith.divf
// GPU:         } {hydra.block_size = 32 : i64, hydra.computes = "full_attention_combine"}
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

// RUN: hydra-opt %s --hydra-tile-attention="query-tile=16 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.full_attention --implicit-check-not=hydra.linear_attention
// RUN: hydra-opt %s --hydra-tile-attention="query-tile=16 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --check-prefix=WORK

// Each kernel states its work: FA, 2 heads, causal from the first key
// (query i sees i + 1 keys: S²/2 pairs), B = 2 folded:
// 2 · 2 · (16 + 8) · 2 · ½ = 96 FLOPs per S²; bytes: Q read and O written
// once (2 · 2 · (16 + 8) · 4 per query), K and V once per tile of 16 rows,
// ceil(S / 16) ≤ S / 16 + 1 tiles, each reading its rows' keys:
// 2 · 2 · 24 · 4 · ½ / 16 = 12 per S² and 192 per S.
// WORK-LABEL: func @full_causal_fused
// WORK:         %[[S:.*]] = memref.dim %{{.*}}, %c2 : memref<2x4x?x16xf32>
// WORK:         hydra.work sizes(%[[S]]) flops {{\[\[}}9.600000e+01, 0, 0]] bytes {{\[\[}}3.840000e+02, 0], [1.200000e+01, 0, 0], [1.920000e+02, 0]]
// LA, static: 2 heads · 12 steps · (4 · 8 · 8 + 8 · (8 + 8)) · 2 (delta).
// WORK-LABEL: func @gated_delta_per_dim
// WORK:         hydra.work sizes() flops {{\[\[}}1.536000e+04]]

// Full attention, causal, GQA (2 query heads a kv head), heads 0 and 2 of
// 4, with the fused normalization in the epilogue.

// CHECK-LABEL: func @full_causal_fused
// CHECK-SAME: (%[[Q:.*]]: memref<2x4x?x16xf32>, %[[K:.*]]: memref<2x2x?x16xf32>, %[[V:.*]]: memref<2x2x?x8xf32>, %[[G:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<2x4x?x8xf32>)
// CHECK-DAG:  %[[S:.*]] = memref.dim %[[Q]], %c2
// CHECK-DAG:  %[[T:.*]] = memref.dim %[[K]], %c2
// The sizes pick the grid: decode when S is at most 16 (one head of the
// kv head: 16 / 1), with key splits of 1024 keys, at most 32.
// CHECK:      %[[SMALL:.*]] = arith.divui %[[S]], %c17
// CHECK:      %[[SPLITS:.*]] = arith.ceildivui %[[T]], %c1024
// The partials of a split decode: [B, heads, S', splits, Dv + 2].
// CHECK:      memref.alloc(%c2, %{{.*}}, %{{.*}}) : memref<?x2x?x?x10xf32>
// CHECK:      %[[NQT:.*]] = arith.ceildivui %[[S]], %c16
// CHECK:      %[[GRID:.*]] = arith.muli %[[NQT]], %{{.*}}
// Prefill: one parallel iteration per (batch, head, query tile).
// CHECK:      scf.forall (%[[B:.*]], %[[N:.*]], %[[QT:.*]]) in (%c2, %c2, %[[GRID]]) {
// The listed heads are looked up; the kv head is h / 2.
// CHECK:        %[[H:.*]] = vector.extract %{{.*}}[%[[N]]] : index from vector<2xindex>
// CHECK:        %[[KVH:.*]] = arith.divui %[[H]], %c2
// CHECK:        %[[I0:.*]] = arith.muli %[[QT]], %c16
// CHECK:        %[[ROWS:.*]] = arith.minui %{{.*}}, %c16
// Causal: the key loop stops after the tile's last query row, so fully
// masked key tiles are never visited.
// CHECK:        %[[LASTROW:.*]] = arith.addi %[[I0]], %[[ROWS]]
// CHECK:        %[[KEND:.*]] = arith.minui %[[T]], %[[LASTROW]]
// Accumulator, running max, running sum, the transposed key tile.
// CHECK:        %[[ACC:.*]] = memref.alloca() : memref<16x8xf32>
// CHECK:        %[[MAX:.*]] = memref.alloca() : memref<16xf32>
// CHECK:        %[[SUM:.*]] = memref.alloca() : memref<16xf32>
// CHECK:        %[[KT:.*]] = memref.alloca() : memref<16x32xf32>
// CHECK:        %[[DOTS:.*]] = memref.alloca() : memref<32xf32>
// CHECK:        %[[P:.*]] = memref.alloca() : memref<4x32xf32>
// The row form (the else branch of the 16-row test), after the lane form.
// CHECK:        } else {
// The key tile is transposed once for all blocked rows of the query tile,
// element by element from memory, when there are any.
// CHECK:          %[[REM:.*]] = arith.remui %[[ROWS]], %c4
// CHECK:          %[[BLOCKED:.*]] = arith.subi %[[ROWS]], %[[REM]]
// CHECK:          scf.for %[[J0:.*]] = %c0 to %[[KEND]] step %c32 {
// CHECK:          %[[ANY:.*]] = arith.cmpi ugt, %[[BLOCKED]], %c0
// CHECK:          scf.if %[[ANY]] {
// CHECK:            memref.load %[[K]][%[[B]], %[[KVH]], %{{.*}}, %{{.*}}]
// CHECK:            memref.store %{{.*}}, %[[KT]]
// Query rows in blocks of 4: four rows share every load of the transposed
// keys (scores) and of V (accumulation).
// CHECK:          scf.for %[[R:.*]] = %c0 to %[[BLOCKED]] step %c4 {
// Scores: per d, a row of transposed keys times each row's q[d], a scalar
// broadcast from memory.
// CHECK:            scf.for %[[D:[a-z0-9]+]] = {{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>) {
// CHECK:              vector.load %[[KT]][%[[D]], %c0]
// CHECK:              memref.load %[[Q]][%[[B]], %[[H]], %{{.*}}, %[[D]]] : memref<2x4x?x16xf32>
// CHECK:              vector.fma {{.*}} : vector<32xf32>
// CHECK:              memref.load %[[Q]][%[[B]], %[[H]], %{{.*}}, %[[D]]] : memref<2x4x?x16xf32>
// CHECK:              vector.fma {{.*}} : vector<32xf32>
// CHECK:              memref.load %[[Q]][%[[B]], %[[H]], %{{.*}}, %[[D]]] : memref<2x4x?x16xf32>
// CHECK:              vector.fma {{.*}} : vector<32xf32>
// CHECK:              memref.load %[[Q]][%[[B]], %[[H]], %{{.*}}, %[[D]]] : memref<2x4x?x16xf32>
// CHECK:              vector.fma {{.*}} : vector<32xf32>
// Keys past the tile's end and (causal) past the query are dropped.
// CHECK:            arith.cmpi ugt, %{{.*}} : vector<32xindex>
// CHECK:            arith.ori {{.*}} : vector<32xi1>
// CHECK:            %[[S:.*]] = arith.select {{.*}} : vector<32xi1>, vector<32xf32>
// CHECK:            %[[TMAX:.*]] = vector.reduction <maximumf>, %[[S]]
// Online softmax: the accumulator is rescaled by exp(m_old - m_new).
// CHECK:            %[[OLD:.*]] = memref.load %[[MAX]]
// CHECK:            %[[NEW:.*]] = arith.maximumf %[[OLD]], %[[TMAX]]
// CHECK:            %[[SAFE:.*]] = arith.select %{{.*}}, %{{.*}}, %[[NEW]]
// CHECK:            %[[DIFF:.*]] = arith.subf %[[OLD]], %[[SAFE]]
// CHECK:            math.exp %[[DIFF]] : f32
// CHECK:            math.exp %{{.*}} : vector<32xf32>
// CHECK:            vector.reduction <add>
// CHECK:            memref.store %{{.*}}, %[[SUM]]
// CHECK:            memref.store %[[NEW]], %[[MAX]]
// CHECK:            vector.store %{{.*}}, %[[P]]
// P V, a slice of Dv at a time, four accumulators in registers.
// CHECK:            scf.for %[[COL:.*]] = %c0 to %c8 step %c8 {
// CHECK:              %[[ACCROW:.*]] = vector.load %[[ACC]]{{.*}}%[[COL]]]
// CHECK:              arith.mulf %[[ACCROW]], %{{.*}} : vector<8xf32>
// CHECK:              scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK:                vector.load %[[V]][%[[B]], %[[KVH]], %{{.*}}, %[[COL]]]
// CHECK-COUNT-4:        vector.fma {{.*}} : vector<8xf32>
// CHECK-COUNT-4:      vector.store %{{.*}}, %[[ACC]]
// The remaining rows one at a time, each key's score a dot product of q
// with the key row as stored (a decode step's single query never
// transposes keys).
// CHECK:          scf.for %{{.*}} = %[[BLOCKED]] to %[[ROWS]] step %c1 {
// CHECK:            vector.load %[[Q]]{{.*}} : memref<2x4x?x16xf32>, vector<16xf32>
// CHECK:            scf.for
// CHECK:              vector.load %[[K]]{{.*}} : memref<2x2x?x16xf32>, vector<16xf32>
// CHECK:              vector.reduction <add>
// CHECK:              memref.store
// Epilogue: o / l, then γ_h ⊙ o / sqrt(mean(o²) + ε), one store per row.
// CHECK:        scf.for %[[R2:.*]] = %c0 to %[[ROWS]] step %c1 {
// CHECK:          %[[O:.*]] = arith.divf
// CHECK:          %[[SQ:.*]] = arith.mulf %[[O]], %[[O]]
// CHECK:          vector.reduction <add>, %[[SQ]]
// CHECK:          math.rsqrt
// CHECK:          vector.load %[[G]][%[[H]], %c0]
// CHECK:          vector.store %{{.*}}, %[[OUT]][%[[B]], %[[H]], %{{.*}}, %c0] : memref<2x4x?x8xf32>, vector<8xf32>
func.func @full_causal_fused(%q: memref<2x4x?x16xf32>, %k: memref<2x2x?x16xf32>, %v: memref<2x2x?x8xf32>,
                             %g: memref<4x8xf32>, %out: memref<2x4x?x8xf32>) {
  hydra.full_attention %q, %k, %v fusion_scale(%g : memref<4x8xf32>) into %out
    {heads = array<i64: 0, 2>, causal, scale = 0.25 : f32}
    : memref<2x4x?x16xf32>, memref<2x2x?x16xf32>, memref<2x2x?x8xf32>, memref<2x4x?x8xf32>
  return
}

// -----

// Not causal: the key loop covers all T keys. A bool mask broadcast from
// [S, T] drops keys; softcap is c·tanh(s/c). Consecutive heads 1-2 are an
// offset, and a compact output writes head n at index n.

// CHECK-LABEL: func @full_mask_softcap
// CHECK-SAME: %[[M:[a-z0-9]+]]: memref<7x9xi1>
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<1x2x7x8xf32>
// CHECK:      scf.forall (%[[B:.*]], %[[N:.*]], %{{.*}}) in (%c1, %c2, %{{.*}})
// CHECK:        %[[H:.*]] = arith.addi %[[N]], %c1
// CHECK:        scf.for %{{.*}} = %c0 to %c9 step %c32
// CHECK-NOT:          arith.cmpi ugt, {{.*}} : vector<32xindex>
// CHECK:              %[[T:.*]] = math.tanh {{.*}} : vector<32xf32>
// CHECK:              arith.mulf %[[T]], %{{.*}} : vector<32xf32>
// CHECK:              %[[KEEP:.*]] = memref.load %[[M]][%{{.*}}, %{{.*}}] : memref<7x9xi1>
// CHECK:              arith.select %[[KEEP]], %{{.*}}, %{{.*}} : f32
// CHECK:        vector.store %{{.*}}, %[[OUT]][%[[B]], %[[N]], %{{.*}}, %c0] : memref<1x2x7x8xf32>
func.func @full_mask_softcap(%q: memref<1x4x7x8xf32>, %k: memref<1x4x9x8xf32>, %m: memref<7x9xi1>,
                             %out: memref<1x2x7x8xf32>) {
  hydra.full_attention %q, %k, %k mask(%m : memref<7x9xi1>) into %out
    {heads = array<i64: 1, 2>, scale = 1.0 : f32, softcap = 4.0 : f32}
    : memref<1x4x7x8xf32>, memref<1x4x9x8xf32>, memref<1x4x9x8xf32>, memref<1x2x7x8xf32>
  return
}

// -----

// A float mask with a size-1 head dim is added to the scores.

// CHECK-LABEL: func @full_float_mask
// CHECK:      %[[MV:.*]] = memref.load %{{.*}}[%{{.*}}, %c0, %{{.*}}, %{{.*}}] : memref<2x1x5x5xf32>
// CHECK:      arith.addf %{{.*}}, %[[MV]] : f32
func.func @full_float_mask(%q: memref<2x2x5x8xf32>, %m: memref<2x1x5x5xf32>, %out: memref<2x2x5x8xf32>) {
  hydra.full_attention %q, %q, %q mask(%m : memref<2x1x5x5xf32>) into %out
    {heads = array<i64: 0, 1>, scale = 1.0 : f32}
    : memref<2x2x5x8xf32>, memref<2x2x5x8xf32>, memref<2x2x5x8xf32>, memref<2x2x5x8xf32>
  return
}

// -----

// Linear rule: a forall over (batch, kv head), the f32 state S [Dk, Dv]
// carried over chunks of 8 steps; per chunk each member query head's
// outputs (carried state plus the masked intra-chunk product s <= t), then
// the state update once.

// CHECK-LABEL: func @linear_plain
// CHECK-SAME: (%[[Q:.*]]: memref<1x2x?x16xf32>, %[[K:.*]]: memref<1x2x?x16xf32>, %[[V:.*]]: memref<1x2x?x4xf32>, %[[OUT:.*]]: memref<1x2x?x4xf32>)
// CHECK:      scf.forall (%[[B:.*]], %[[G:.*]]) in (%c1, %c2) {
// CHECK:        %[[T:.*]] = memref.dim %[[K]], %c2
// CHECK:        hydra.work sizes(%[[T]])
// The kv head, and how many query heads read it, from tables.
// CHECK:        vector.extract %{{.*}}[%[[G]]] : index from vector<2xindex>
// CHECK:        %[[COUNT:.*]] = vector.extract %{{.*}}[%[[G]]] : index from vector<2xindex>
// CHECK:        %[[ST:.*]] = memref.alloca() : memref<16x4xf32>
// CHECK:        %[[BQ:.*]] = memref.alloca() : memref<4x16xf32>
// CHECK:        %[[BO:.*]] = memref.alloca() : memref<4x4xf32>
// CHECK:        scf.for %[[D:.*]] = %c0 to %c16 step %c1 {
// CHECK:          vector.store %{{.*}}, %[[ST]][%[[D]], %c0]
// The chunk's key, value and (one member's) query rows, copied once a
// chunk: every later pass reads them from there.
// CHECK:        %[[KR:.*]] = memref.alloca() : memref<8x16xf32>
// CHECK:        %[[VR:.*]] = memref.alloca() : memref<8x4xf32>
// CHECK:        %[[QR:.*]] = memref.alloca() : memref<8x16xf32>
// CHECK:        scf.for %[[C0:.*]] = %c0 to %[[T]] step %c8 {
// CHECK:          %[[LEN:.*]] = arith.minui %{{.*}}, %c8
// CHECK:          vector.load %[[K]]
// CHECK:          vector.store %{{.*}}, %[[KR]]
// CHECK:          vector.load %[[V]]
// CHECK:          vector.store %{{.*}}, %[[VR]]
// CHECK:          scf.for %{{.*}} = %c0 to %[[COUNT]] step %c1 {
// CHECK:            %[[H:.*]] = vector.extract %{{.*}} : index from vector<2xindex>
// CHECK:            vector.load %[[Q]][%[[B]], %[[H]]
// CHECK:            vector.store %{{.*}}, %[[QR]]
// Outputs, rows in blocks of 4: the block's queries, then the carried
// state's part with each state row loaded once for the four rows.
// CHECK:          %[[REM:.*]] = arith.remui %[[LEN]], %c4
// CHECK:          %[[BLOCKED:.*]] = arith.subi %[[LEN]], %[[REM]]
// CHECK:          scf.for %{{.*}} = %c0 to %[[BLOCKED]] step %c4 {
// CHECK-COUNT-4:    vector.store %{{.*}}, %[[BQ]]
// CHECK:            scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// CHECK:              vector.load %[[ST]]
// CHECK-COUNT-4:      memref.load %[[BQ]]
// CHECK-COUNT-4:    vector.store %{{.*}}, %[[BO]]
// Then each row: the masked intra-chunk product over steps s <= t.
// CHECK:            vector.load %[[BO]]
// CHECK:            scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args
// CHECK:              vector.load %[[KR]]
// CHECK:              vector.reduction <add>
// CHECK:              vector.load %[[VR]]
// CHECK:              vector.fma
// CHECK:            vector.store %{{.*}}, %[[OUT]][%[[B]], %[[H]], %{{.*}}, %c0]
// State update, row by row over Dk.
// CHECK:          scf.for %[[D2:.*]] = %c0 to %c16 step %c1 {
// CHECK:            scf.for %{{.*}} = %c0 to %[[LEN]] step %c1 iter_args
// CHECK:              memref.load %[[KR]]
// CHECK:              vector.fma
// CHECK:            vector.store %{{.*}}, %[[ST]][%[[D2]], %c0]
// CHECK-NOT:      math.exp
func.func @linear_plain(%q: memref<1x2x?x16xf32>, %k: memref<1x2x?x16xf32>, %v: memref<1x2x?x4xf32>,
                        %out: memref<1x2x?x4xf32>) {
  hydra.linear_attention %q, %k, %v into %out {heads = array<i64: 0, 1>, scale = 0.25 : f32}
    : memref<1x2x?x16xf32>, memref<1x2x?x16xf32>, memref<1x2x?x4xf32>, memref<1x2x?x4xf32>
  return
}

// -----

// Gated rule, decay per head: the chunk's cumulative log decay G (one
// scalar a step) weights the carried state by e^{G_t} and pairs by
// e^{G_t - G_s}.

// CHECK-LABEL: func @gated_per_head
// CHECK:        %[[G:.*]] = memref.alloca() : memref<8xf32>
// CHECK:        scf.for
// Cumulative decay.
// CHECK:          scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK:            %[[GRAW:.*]] = memref.load %{{.*}} : memref<1x2x12xf32>
// A log decay of -inf (a reset) is floored so that G_t - G_s stays finite.
// CHECK:            %[[FLOOR:.*]] = arith.constant -6.400000e+01 : f32
// CHECK:            %[[GT:.*]] = arith.maximumf %[[GRAW]], %[[FLOOR]]
// CHECK:            %[[CUM:.*]] = arith.addf %[[ACC]], %[[GT]]
// CHECK:            memref.store %[[CUM]], %[[G]]
// CHECK:          scf.for
// CHECK:            math.exp
// CHECK:            arith.subf
// CHECK:            math.exp
func.func @gated_per_head(%q: memref<1x2x12x8xf32>, %d: memref<1x2x12xf32>, %out: memref<1x2x12x8xf32>) {
  hydra.linear_attention %q, %q, %q decay(%d : memref<1x2x12xf32>) into %out
    {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated>}
    : memref<1x2x12x8xf32>, memref<1x2x12x8xf32>, memref<1x2x12x8xf32>, memref<1x2x12x8xf32>
  return
}

// -----

// Gated delta rule, decay per key dimension: G is a row per step, and the
// chunk's pseudo-values U are solved first (UT transform by forward
// substitution), scaled by beta, then used in place of V.

// CHECK-LABEL: func @gated_delta_per_dim
// CHECK-SAME: %[[BETA:[a-z0-9]+]]: memref<1x1x12xf32>
// CHECK:        %[[ST:.*]] = memref.alloca() : memref<8x8xf32>
// CHECK:        %[[G:.*]] = memref.alloca() : memref<8x8xf32>
// CHECK:        %[[U:.*]] = memref.alloca() : memref<8x8xf32>
// CHECK:        scf.for
// CHECK:          scf.for {{.*}} -> (vector<8xf32>) {
// CHECK:            vector.store %{{.*}}, %[[G]]
// Pseudo-values: r = v_t - S^T(k_t e^{G_t}) - sum_{s<t} A_ts u_s, u_t = beta_t r.
// CHECK:          scf.for %[[T:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:            scf.for {{.*}} = %c0 to %c8 step %c1 iter_args
// CHECK:              vector.load %[[ST]]
// CHECK:            scf.for {{.*}} = %c0 to %[[T]] step %c1 iter_args
// CHECK:              math.exp {{.*}} : vector<8xf32>
// CHECK:              vector.load %[[U]]
// CHECK:            %[[BT:.*]] = memref.load %[[BETA]][%{{.*}}, %c0, %{{.*}}]
// CHECK:            vector.broadcast %[[BT]]
// CHECK:            vector.store %{{.*}}, %[[U]][%[[T]], %c0]
// Outputs read U, not V.
// CHECK:          scf.for
// CHECK:              vector.load %[[U]]
// CHECK:            vector.store
// State update reads U too.
// CHECK:          scf.for
// CHECK:              vector.load %[[U]]
// CHECK:            vector.store %{{.*}}, %[[ST]]
func.func @gated_delta_per_dim(%q: memref<1x2x12x8xf32>, %d: memref<1x2x12x8xf32>, %b: memref<1x1x12xf32>,
                               %out: memref<1x2x12x8xf32>) {
  hydra.linear_attention %q, %q, %q decay(%d : memref<1x2x12x8xf32>) beta(%b : memref<1x1x12xf32>) into %out
    {heads = array<i64: 0, 1>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated_delta>}
    : memref<1x2x12x8xf32>, memref<1x2x12x8xf32>, memref<1x2x12x8xf32>, memref<1x2x12x8xf32>
  return
}

// -----

// f16 buffers: rows are extended to f32 on load and truncated on the store.

// CHECK-LABEL: func @half_precision
// CHECK:      %[[QR:.*]] = vector.load %{{.*}} : memref<1x1x4x8xf16>, vector<8xf16>
// CHECK:      arith.extf %[[QR]] : vector<8xf16> to vector<8xf32>
// CHECK:      %[[TR:.*]] = arith.truncf %{{.*}} : vector<8xf32> to vector<8xf16>
// CHECK:      vector.store %[[TR]], %{{.*}} : memref<1x1x4x8xf16>, vector<8xf16>
func.func @half_precision(%q: memref<1x1x4x8xf16>, %out: memref<1x1x4x8xf16>) {
  hydra.full_attention %q, %q, %q into %out {heads = array<i64: 0>, scale = 1.0 : f32}
    : memref<1x1x4x8xf16>, memref<1x1x4x8xf16>, memref<1x1x4x8xf16>, memref<1x1x4x8xf16>
  return
}

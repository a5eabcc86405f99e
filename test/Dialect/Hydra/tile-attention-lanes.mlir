// RUN: hydra-opt %s --hydra-tile-attention="query-tile=32 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.full_attention
// RUN: hydra-opt %s --hydra-tile-attention="query-tile=24 key-tile=32 chunk-size=8" --cse --split-input-file \
// RUN:   | FileCheck %s --check-prefix=ROWFORM

// Full attention's lane form: a query tile of at least 16 rows keeps its
// queries in vector lanes (two groups of 16 for a 32-row tile).

// CHECK-LABEL: func @full_causal_fused
// CHECK-SAME: (%[[Q:.*]]: memref<2x4x?x16xf32>, %[[K:.*]]: memref<2x2x?x16xf32>, %[[V:.*]]: memref<2x2x?x8xf32>, %[[G:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<2x4x?x8xf32>)
// CHECK:      scf.forall
// CHECK:        %[[ROWS:.*]] = arith.minui %{{.*}}, %c32
// Causal: the key loop ends after the tile's last row.
// CHECK:        %[[KEND:.*]] = arith.minui
// The lane form's scratch sits at the iteration's scope with the row
// form's: Q transposed, the transposed accumulator and probabilities, the
// running max and sum.
// CHECK:        memref.alloca() : memref<4x32xf32>
// CHECK:        %[[QT:.*]] = memref.alloca() : memref<16x32xf32>
// CHECK:        %[[ACCT:.*]] = memref.alloca() : memref<8x32xf32>
// CHECK:        %[[PT:.*]] = memref.alloca() : memref<32x32xf32>
// CHECK:        %[[MAX:.*]] = memref.alloca() : memref<32xf32>
// CHECK:        %[[SUM:.*]] = memref.alloca() : memref<32xf32>
// CHECK:        %[[WIDE:.*]] = arith.cmpi uge, %[[ROWS]], %c16
// CHECK:        scf.if %[[WIDE]] {
// Q's tile transposed once, scaled.
// CHECK:          memref.load %[[Q]]
// CHECK:          arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK:          memref.store %{{.*}}, %[[QT]]
// CHECK:          scf.for %[[J0:.*]] = %c0 to %[[KEND]] step %c32 {
// Scores of 8 keys × 32 queries in 16 registers: per d, two rows of Qᵀ and
// one broadcast element of each key.
// CHECK:            scf.for %{{.*}} step %c8 {
// CHECK:              scf.for %[[D:.*]] = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:                vector.load %[[QT]][%[[D]], %c0]
// CHECK:                vector.load %[[QT]][%[[D]], %c16]
// CHECK:                memref.load %[[K]]{{.*}}%[[D]]]
// CHECK:                vector.broadcast
// CHECK-COUNT-2:        vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-14:       vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-16:     vector.store %{{.*}}, %[[PT]]
// Leftover keys one at a time.
// CHECK:            scf.for
// CHECK:              scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// Down the columns: future keys dropped, the running max a vector.
// CHECK:            scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// CHECK:              arith.cmpi ult, %{{.*}} : vector<16xindex>
// CHECK:              arith.select {{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:              arith.maximumf {{.*}} : vector<16xf32>
// CHECK:            arith.cmpf oeq, {{.*}} : vector<16xf32>
// CHECK:            math.exp {{.*}} : vector<16xf32>
// CHECK:            vector.store %{{.*}}, %[[MAX]]
// Probabilities in place and their sums; no horizontal reduction.
// CHECK-NOT:        vector.reduction
// CHECK:            scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// CHECK:              math.exp {{.*}} : vector<16xf32>
// CHECK:              vector.store %{{.*}}, %[[PT]]
// CHECK:            vector.store %{{.*}}, %[[SUM]]
// P·V into the rescaled transposed accumulator, 8 columns of V × 32
// queries in registers.
// CHECK:            scf.for %[[E:.*]] = %c0 to %c8 step %c8 {
// CHECK:              vector.load %[[ACCT]]
// CHECK:              arith.mulf {{.*}} : vector<16xf32>
// CHECK:              scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:                vector.load %[[PT]]
// CHECK:                memref.load %[[V]]
// CHECK-COUNT-16:       vector.fma
// CHECK-COUNT-16:     vector.store %{{.*}}, %[[ACCT]]
// Each row out of the lanes, divided by its sum, through the epilogue.
// CHECK:          scf.for %[[R:.*]] = %c0 to %[[ROWS]] step %c1 {
// CHECK:            memref.load %[[ACCT]][%{{.*}}, %[[R]]]
// CHECK:            memref.load %[[SUM]][%[[R]]]
// CHECK:            arith.divf
// CHECK:            math.rsqrt
// CHECK:            vector.store %{{.*}}, %[[OUT]]
// Fewer rows: the row form.
// CHECK:        } else {
// CHECK:          arith.remui %[[ROWS]], %c4

// A tile that is not a multiple of 16 rows has only the row form.
// ROWFORM-LABEL: func @full_causal_fused
// ROWFORM-NOT:   arith.cmpi uge
// ROWFORM:      arith.remui %{{.*}}, %c4
func.func @full_causal_fused(%q: memref<2x4x?x16xf32>, %k: memref<2x2x?x16xf32>, %v: memref<2x2x?x8xf32>,
                             %g: memref<4x8xf32>, %out: memref<2x4x?x8xf32>) {
  hydra.full_attention %q, %k, %v fusion_scale(%g : memref<4x8xf32>) into %out
    {heads = array<i64: 0, 2>, causal, scale = 0.25 : f32}
    : memref<2x4x?x16xf32>, memref<2x2x?x16xf32>, memref<2x2x?x8xf32>, memref<2x4x?x8xf32>
  return
}

// -----

// Soft cap and a bool mask in the lane form: c·tanh(s/c) on a row of the
// transposed scores, then the mask element by element over the tile's rows
// and the row read back for the max.

// CHECK-LABEL: func @full_mask_softcap
// CHECK:        scf.if
// CHECK:          scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// CHECK:            math.tanh {{.*}} : vector<16xf32>
// CHECK:            scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK:              memref.load %{{.*}} : memref<40x9xi1>
// CHECK:              arith.select
// CHECK:            arith.maximumf {{.*}} : vector<16xf32>
func.func @full_mask_softcap(%q: memref<1x4x40x8xf32>, %k: memref<1x4x9x8xf32>, %m: memref<40x9xi1>,
                             %out: memref<1x2x40x8xf32>) {
  hydra.full_attention %q, %k, %k mask(%m : memref<40x9xi1>) into %out
    {heads = array<i64: 1, 2>, scale = 1.0 : f32, softcap = 4.0 : f32}
    : memref<1x4x40x8xf32>, memref<1x4x9x8xf32>, memref<1x4x9x8xf32>, memref<1x2x40x8xf32>
  return
}

// RUN: hydra-opt %s --hydra-tile-attention="chunk-size=32" --cse \
// RUN:   | FileCheck %s --implicit-check-not=hydra.linear_attention

// Linear attention's pair weights in bands of 16 rows (chunks of 32): a
// row of the first band is paired with the first 16 steps only (one vector
// of lanes), a row of the second with both groups, of which only the
// second straddles the diagonal and is masked.

// CHECK-LABEL: func @bands
// CHECK:      %[[A:.*]] = memref.alloca() : memref<32x32xf32>
// CHECK:      scf.for %{{.*}} step %c32 {
// CHECK:        %[[LEN:.*]] = arith.minui %{{.*}}, %c32 : index
// First band: rows [0, min(len, 16)), four rows × one group.
// CHECK:        arith.minui %[[LEN]], %c16 : index
// CHECK:        scf.for %{{.*}} = %c0 to %{{.*}} step %c4 {
// CHECK:          scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4:  arith.cmpi ugt
// CHECK-NOT:      arith.cmpi
// CHECK:        }
// Its rows past the last block of four, one at a time.
// CHECK:        scf.for
// CHECK:          scf.for {{.*}} -> (vector<16xf32>) {
// Second band: rows [16, len) (empty when the last chunk is short), four
// rows × two groups: the first group stored as it is, the second masked.
// CHECK:        arith.minui %[[LEN]], %c32 : index
// CHECK:        arith.maxui %{{.*}}, %c16 : index
// CHECK:        scf.for %{{.*}} = %c16 to %{{.*}} step %c4 {
// CHECK:          %[[P:.*]]:8 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:          vector.store %[[P]]#0, %[[A]][%{{.*}}, %c0]
// CHECK:          %[[M:.*]] = arith.cmpi ugt
// CHECK:          %[[S:.*]] = arith.select %[[M]], %{{.*}}, %[[P]]#1
// CHECK:          vector.store %[[S]], %[[A]][%{{.*}}, %c16]
// CHECK-COUNT-3:  arith.cmpi ugt
// CHECK-NOT:      arith.cmpi
// CHECK:        }
// CHECK:        scf.for
// CHECK:          scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
func.func @bands(%q: memref<1x1x?x16xf32>, %k: memref<1x1x?x16xf32>, %v: memref<1x1x?x64xf32>,
                 %out: memref<1x1x?x64xf32>) {
  hydra.linear_attention %q, %k, %v into %out
    {heads = array<i64: 0>, scale = 0.25 : f32, update_rule = #hydra.update_rule<linear>}
    : memref<1x1x?x16xf32>, memref<1x1x?x16xf32>, memref<1x1x?x64xf32>, memref<1x1x?x64xf32>
  return
}

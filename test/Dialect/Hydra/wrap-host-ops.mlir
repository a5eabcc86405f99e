// RUN: hydra-opt %s --hydra-wrap-host-ops --split-input-file -verify-diagnostics | FileCheck %s

// Computations left in a host function each get a one-iteration forall
// (hydra-outline-kernels makes them kernels); memref.copy becomes
// linalg.copy. Host bookkeeping and existing foralls stay as they are.

// CHECK-LABEL: func @host
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK:         %[[T:.*]] = memref.alloc() : memref<8x4xf32>
// Each states its work for the artifact's cost report: no arithmetic,
// each operand's bytes once.
// CHECK:         scf.forall (%{{.*}}) in (1) {
// CHECK:           hydra.work sizes() flops {{\[\[}}0.000000e+00]] bytes {{\[\[}}1.280000e+02], [1.280000e+02]]
// CHECK-NEXT:      linalg.transpose ins(%{{.*}} : memref<4x8xf32>) outs(%[[T]] : memref<8x4xf32>)
// A copy does nothing when its source and target are one buffer (a cache
// updated in place, its past "copied" onto itself): it compares the
// addresses of their first elements.
// CHECK:         scf.forall (%{{.*}}) in (1) {
// CHECK:           hydra.work sizes() flops
// CHECK:           %[[FROM:.*]] = memref.extract_aligned_pointer_as_index %[[T]]
// CHECK:           %[[TO:.*]] = memref.extract_aligned_pointer_as_index %[[OUT:.*]] :
// CHECK:           %[[DIFFER:.*]] = arith.cmpi ne
// CHECK:           scf.if %[[DIFFER]] {
// CHECK-NEXT:        linalg.copy ins(%[[T]] : memref<8x4xf32>) outs(%[[OUT]] : memref<8x4xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         scf.forall (%{{.*}}) in (4) {
// CHECK:           memref.store
func.func @host(%x: memref<4x8xf32>, %out: memref<8x4xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  %t = memref.alloc() : memref<8x4xf32>
  linalg.transpose ins(%x : memref<4x8xf32>) outs(%t : memref<8x4xf32>) permutation = [1, 0]
  memref.copy %t, %out : memref<8x4xf32> to memref<8x4xf32>
  scf.forall (%i) in (4) {
    %z = arith.constant 0.0 : f32
    %c0 = arith.constant 0 : index
    memref.store %z, %a[%i, %c0] : memref<4x8xf32>
  }
  return
}

// -----

func.func @value_left(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %t = memref.alloc() : memref<4xf32>
  // expected-error @+1 {{not supported: a value-producing op left in a host function after bufferization}}
  %v = memref.load %t[%c0] : memref<4xf32>
  return %v : f32
}

// -----

// An element of an input read as a size stays: the artifact reads it.
// CHECK-LABEL: func @data_size
// CHECK-NEXT:    %[[C:.*]] = arith.constant 1 : index
// CHECK-NEXT:    memref.load %{{.*}}[%[[C]]] : memref<2xi64>
// CHECK-NOT:     scf.forall
func.func @data_size(%shape: memref<2xi64>) -> memref<?xf32> {
  %c1 = arith.constant 1 : index
  %v = memref.load %shape[%c1] : memref<2xi64>
  %n = arith.index_cast %v : i64 to index
  %out = memref.alloc(%n) : memref<?xf32>
  return %out : memref<?xf32>
}

// -----

// RUN: hydra-opt %s --hydra-wrap-host-ops=split-parallel --split-input-file -verify-diagnostics | FileCheck %s --check-prefix=SPLIT

// With split-parallel, a linalg op is spread over its leading parallel
// loops, all but the innermost: each iteration runs the op on views of one
// row of its operands (a broadcast operand whole); the op's work is stated
// once, for all of it.
// Without it, one iteration as before.
// CHECK-LABEL: func @split_rows
// CHECK:         scf.forall (%{{.*}}) in (1) {
// SPLIT-LABEL: func @split_rows
// SPLIT:         %[[N:.*]] = memref.dim %arg0, %{{.*}}
// SPLIT:         %[[FOUR:.*]] = arith.constant 4 : index
// SPLIT:         scf.forall (%[[I:.*]], %[[J:.*]]) in (%[[N]], %[[FOUR]]) {
// SPLIT:           hydra.work sizes(%{{.*}}) flops {{\[\[}}3.200000e+01, 0]]
// SPLIT-DAG:       memref.subview %{{.*}}[%[[I]], %[[J]], 0] [1, 1, 8] [1, 1, 1] : memref<?x4x8xf32> to memref<1x1x8xf32, strided<[32, 8, 1], offset: ?>>
// SPLIT-DAG:       memref.subview %{{.*}}[%[[J]], 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
// SPLIT:           linalg.generic
// SPLIT-SAME:        memref<1x1x8xf32, strided<[32, 8, 1], offset: ?>>, memref<1x8xf32, strided<[8, 1], offset: ?>>
// SPLIT:           arith.addf
// A one-loop op goes in chunks of 4096 elements.
// SPLIT:         %[[CHUNKS:.*]] = arith.ceildivui %{{.*}}, %{{.*}}
// SPLIT:         scf.forall (%[[C:.*]]) in (%[[CHUNKS]]) {
// SPLIT:           %[[S:.*]] = arith.muli %[[C]], %{{.*}}
// SPLIT:           %[[R:.*]] = arith.subi %{{.*}}, %[[S]]
// SPLIT:           %[[L:.*]] = arith.minui %[[R]], %{{.*}}
// SPLIT:           memref.subview %{{.*}}[%[[S]]] [%[[L]]] [1]
// Reading loop indices, or a reduction first: one iteration.
// SPLIT:         scf.forall (%{{.*}}) in (1) {
// SPLIT:           linalg.index
// SPLIT:         scf.forall (%{{.*}}) in (1) {
// SPLIT:           iterator_types = ["reduction", "parallel"]
// A scalar op has no loop to split.
// SPLIT:         scf.forall (%{{.*}}) in (1) {
// SPLIT:           linalg.copy ins(%{{.*}} : memref<f32>)
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bc3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @split_rows(%x: memref<?x4x8xf32>, %b: memref<4x8xf32>, %y: memref<?x4x8xf32>,
                      %v: memref<10000xf32>, %s: memref<4x8xf32>, %t: memref<8xf32>,
                      %z: memref<f32>, %zc: memref<f32>) {
  linalg.generic {indexing_maps = [#id3, #bc3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<?x4x8xf32>, memref<4x8xf32>) outs(%y : memref<?x4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.addf %p, %q : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%v : memref<10000xf32>) {
  ^bb0(%o: f32):
    %0 = arith.mulf %o, %o : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%s : memref<4x8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  }
  linalg.generic {indexing_maps = [#id2, #col], iterator_types = ["reduction", "parallel"]}
      ins(%s : memref<4x8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %0 = arith.addf %p, %o : f32
    linalg.yield %0 : f32
  }
  linalg.copy ins(%z : memref<f32>) outs(%zc : memref<f32>)
  return
}

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
// CHECK:         scf.forall (%{{.*}}) in (1) {
// CHECK:           hydra.work sizes() flops
// CHECK-NEXT:      linalg.copy ins(%[[T]] : memref<8x4xf32>) outs(%{{.*}} : memref<8x4xf32>)
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

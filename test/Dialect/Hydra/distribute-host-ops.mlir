// RUN: hydra-opt %s --hydra-distribute-host-ops --canonicalize --split-input-file | FileCheck %s

// An ordinary operator's one-iteration forall becomes a grid of 256-thread
// blocks; its parallel loops, flattened, are strided over every thread.
// Static: 4 · 8 · 32 = 1024 iterations (the product of the loop bounds),
// 4 blocks.

// CHECK-LABEL: func @transpose
// CHECK:         scf.forall (%[[BLK:.*]]) in (4) {
// CHECK:           hydra.work
// CHECK:           %[[TID:.*]] = gpu.thread_id x
// CHECK:           %[[BASE:.*]] = arith.muli %[[BLK]], %c256
// CHECK:           %[[FIRST:.*]] = arith.addi %[[BASE]], %[[TID]]
// CHECK:           scf.for %[[I:.*]] = %[[FIRST]] to %{{.*}} step %c1024 {
// CHECK:             %[[D2:.*]] = arith.remui %[[I]], %c32
// CHECK:             %[[R:.*]] = arith.divui %[[I]], %c32
// CHECK:             %[[D1:.*]] = arith.remui %[[R]], %c8
// CHECK:             %[[D0:.*]] = arith.divui %[[R]], %c8
// CHECK:             %[[X:.*]] = memref.load %{{.*}}[%[[D0]], %[[D2]], %[[D1]]]
// CHECK:             memref.store %[[X]], %{{.*}}[%[[D0]], %[[D1]], %[[D2]]]
// The loops replace the op: no thread runs all of it again.
// CHECK-NOT:       linalg.transpose
// CHECK:         } {hydra.block_size = 256 : i64}
func.func @transpose(%x: memref<4x32x8xf32>, %y: memref<4x8x32xf32>) {
  scf.forall (%i) in (1) {
    hydra.work sizes() flops [[0.0]] bytes [[8192.0]]
    linalg.transpose ins(%x : memref<4x32x8xf32>) outs(%y : memref<4x8x32xf32>) permutation = [0, 2, 1]
  }
  return
}

// -----

// Dynamic sizes: 256 blocks, the bound computed from the buffer; a
// reduction loop stays inside each thread.

// CHECK-LABEL: func @row_sums
// CHECK:         scf.forall (%{{.*}}) in (256) {
// CHECK:           %[[N:.*]] = memref.dim
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c65536 {
// CHECK:             scf.for
// CHECK:               arith.addf
// CHECK-NOT:       linalg.reduce
// CHECK:         } {hydra.block_size = 256 : i64}
func.func @row_sums(%x: memref<?x16xf32>, %y: memref<?xf32>) {
  scf.forall (%i) in (1) {
    linalg.reduce ins(%x : memref<?x16xf32>) outs(%y : memref<?xf32>) dimensions = [1]
      (%a: f32, %b: f32) {
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
      }
  }
  return
}

// -----

// Attention kernels (already blocks) and other loops are left alone.
// CHECK-LABEL: func @left_alone
// CHECK:         scf.forall (%{{.*}}) in (8) {
// CHECK:         } {hydra.block_size = 128 : i64}
// (the canonicalizer inlines the one-iteration forall of a plain store)
// CHECK-NOT:     gpu.thread_id
// CHECK:         memref.store
func.func @left_alone(%y: memref<8xf32>) {
  scf.forall (%i) in (8) {
    %z = arith.constant 0.0 : f32
    memref.store %z, %y[%i] : memref<8xf32>
  } {hydra.block_size = 128 : i64}
  scf.forall (%i) in (1) {
    %z = arith.constant 1.0 : f32
    %c0 = arith.constant 0 : index
    memref.store %z, %y[%c0] : memref<8xf32>
  }
  return
}

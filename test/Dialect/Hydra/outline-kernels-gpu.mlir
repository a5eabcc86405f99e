// RUN: hydra-opt %s --hydra-outline-kernels=gpu --split-input-file | FileCheck %s

// With `gpu`, a kernel is one GPU block's code: flat iteration
// begin + block_id.x, if below end, runs the forall body; the block size
// comes from the forall's hydra.block_size (1 for ordinary operators).

// CHECK-LABEL: func.func @host_k0_loop
// CHECK-SAME:    (%[[A:.*]]: memref<?x4xf32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME:    attributes {hydra.block_size = 64 : i64, hydra.kernel}
// CHECK:         %[[BID:.*]] = gpu.block_id x
// CHECK:         %[[FLAT:.*]] = arith.addi %[[BEGIN]], %[[BID]]
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[FLAT]], %[[END]]
// CHECK:         scf.if %[[IN]] {
// CHECK:           %[[J:.*]] = arith.remui %[[FLAT]], %{{.*}}
// CHECK:           %[[I:.*]] = arith.divui %[[FLAT]], %{{.*}}
// CHECK:           gpu.thread_id x
// CHECK:           memref.store %{{.*}}, %[[A]][%[[I]], %[[J]]]
// CHECK-NOT:     scf.for

// CHECK-LABEL: func.func @host_k1_loop
// CHECK-SAME:    attributes {hydra.block_size = 1 : i64, hydra.kernel}

// CHECK-LABEL: func.func @host
// CHECK:         hydra.launch @host_k0_loop grid(%{{.*}}, %{{.*}}) args(%{{.*}})
// CHECK:         hydra.launch @host_k1_loop grid(%{{.*}}) args(%{{.*}})
func.func @host(%a: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x4xf32>
  scf.forall (%i, %j) in (%n, 4) {
    %t = gpu.thread_id x
    %x = arith.index_cast %t : index to i64
    %f = arith.uitofp %x : i64 to f32
    memref.store %f, %a[%i, %j] : memref<?x4xf32>
  } {hydra.block_size = 64 : i64}
  scf.forall (%i) in (1) {
    %z = arith.constant 0.0 : f32
    %c1 = arith.constant 1 : index
    memref.store %z, %a[%c1, %c1] : memref<?x4xf32>
  }
  return
}

// RUN: hydra-opt %s | hydra-opt | FileCheck %s
// RUN: hydra-opt %s --hydra-strip-work | FileCheck %s --check-prefix=STRIP

// hydra.work round-trips, and hydra-strip-work drops it.

// CHECK-LABEL: func @kernel
// CHECK:         hydra.work sizes(%{{.*}}, %{{.*}}) flops {{\[\[}}2.000000e+00, 0, 1, 1]] bytes {{\[\[}}4.000000e+00, 0], [8.000000e+00]]
// STRIP-LABEL: func @kernel
// STRIP-NOT:     hydra.work
func.func @kernel(%a: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %a, %c0 : memref<?x?xf32>
  %n = memref.dim %a, %c1 : memref<?x?xf32>
  hydra.work sizes(%m, %n) flops [[2.0, 0, 1, 1]] bytes [[4.0, 0], [8.0]]
  return
}

// RUN: hydra-opt %s --hydra-outline-kernels --split-input-file -verify-diagnostics | FileCheck %s

// Each top-level scf.forall becomes a kernel over a flat iteration range,
// named after what it computes (hydra.computes, which the pass that made
// the loop sets; "loop" where none did); the function keeps the host
// program: sizes, allocation, launches.

// CHECK-LABEL: func.func @host_k0_elementwise
// CHECK-SAME:    (%[[A:.*]]: memref<?x4xf32>, %[[OUT:.*]]: memref<?x4xf32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME:    attributes {hydra.kernel}
// The grid's dynamic bound is recomputed from the kernel's own buffer.
// CHECK:         %[[N:.*]] = memref.dim %[[A]], %{{.*}}
// CHECK:         scf.for %[[FLAT:.*]] = %[[BEGIN]] to %[[END]] step
// CHECK:           %[[J:.*]] = arith.remui %[[FLAT]], %{{.*}}
// CHECK:           %[[I:.*]] = arith.divui %[[FLAT]], %{{.*}}
// CHECK:           memref.load %[[A]][%[[I]], %[[J]]]
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]]
// CHECK:         return

// CHECK-LABEL: func.func @host_k1_loop
// CHECK-SAME:    (%[[OUT2:.*]]: memref<?x4xf32>, %{{.*}}: index, %{{.*}}: index)

// CHECK-LABEL: func.func @host
// CHECK-SAME:    (%[[HA:.*]]: memref<?x4xf32>) -> memref<?x4xf32>
// CHECK:         %[[HN:.*]] = memref.dim %[[HA]]
// CHECK:         %[[ALLOC:.*]] = memref.alloc(%[[HN]])
// CHECK:         hydra.launch @host_k0_elementwise grid(%[[HN]], %{{.*}}) args(%[[HA]], %[[ALLOC]]) : memref<?x4xf32>, memref<?x4xf32>
// CHECK:         hydra.launch @host_k1_loop grid(%{{.*}}) args(%[[ALLOC]]) : memref<?x4xf32>
// CHECK-NOT:     scf.forall
// CHECK:         return %[[ALLOC]]
func.func @host(%a: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x4xf32>
  %out = memref.alloc(%n) : memref<?x4xf32>
  scf.forall (%i, %j) in (%n, 4) {
    %x = memref.load %a[%i, %j] : memref<?x4xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %out[%i, %j] : memref<?x4xf32>
  } {hydra.computes = "elementwise"}
  scf.forall (%i) in (2) {
    %c1 = arith.constant 1 : index
    %z = arith.constant 0.0 : f32
    memref.store %z, %out[%i, %c1] : memref<?x4xf32>
  }
  return %out : memref<?x4xf32>
}

// -----

func.func @strided(%a: memref<8xf32>) {
  // expected-error @+1 {{not supported by hydra-outline-kernels: only loops from 0 with step 1 and no shared outputs become kernels}}
  scf.forall (%i) = (0) to (8) step (2) {
    %z = arith.constant 0.0 : f32
    memref.store %z, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A bound read from an input's data (a Reshape's shape given as a graph
// input) is read again in the kernel, from the same buffer.
// CHECK-LABEL: func.func @data_bound_k0_loop
// CHECK-SAME:    (%[[KA:.*]]: memref<8xf32>, %[[KN:.*]]: memref<2xi64>, %{{.*}}: index, %{{.*}}: index)
// CHECK:         memref.load %[[KN]][%{{.*}}] : memref<2xi64>
// CHECK-LABEL: func.func @data_bound
// CHECK:         hydra.launch @data_bound_k0_loop grid(%{{.*}}) args(%{{.*}}, %{{.*}}) : memref<8xf32>, memref<2xi64>
func.func @data_bound(%a: memref<8xf32>, %n: memref<2xi64>) {
  %c1 = arith.constant 1 : index
  %v = memref.load %n[%c1] : memref<2xi64>
  %m = arith.index_cast %v : i64 to index
  scf.forall (%i) in (%m) {
    %z = arith.constant 0.0 : f32
    memref.store %z, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A bound loaded from a buffer the program writes cannot be: a launch may
// change it.
func.func @loaded_bound(%a: memref<8xf32>) {
  %n = memref.alloc() : memref<index>
  %m = memref.load %n[] : memref<index>
  // expected-error @+1 {{not supported by hydra-outline-kernels: the loop reads a value computed by 'memref.load', which cannot be recomputed in a kernel}}
  scf.forall (%i) in (%m) {
    %z = arith.constant 0.0 : f32
    memref.store %z, %a[%i] : memref<8xf32>
  }
  return
}

// -----

func.func @scalar_argument(%a: memref<8xf32>, %x: f32) {
  // expected-error @+1 {{not supported by hydra-outline-kernels: the loop reads a non-buffer function argument of type 'f32'}}
  scf.forall (%i) in (8) {
    memref.store %x, %a[%i] : memref<8xf32>
  }
  return
}

// RUN: hydra-opt %s --hydra-own-result-buffers --split-input-file -allow-unregistered-dialect | FileCheck %s

// A result that reshapes an allocation: the allocation takes the result's
// shape and its other users read a view of it; nothing is copied.

// CHECK-LABEL: func @reshaped_result
// CHECK:         %[[OWN:.*]] = memref.alloc() : memref<2x12xf32>
// CHECK:         %[[VIEW:.*]] = memref.expand_shape %[[OWN]] {{\[\[}}0], [1, 2]] output_shape [2, 3, 4]
// CHECK:         "test.fill"(%[[VIEW]])
// CHECK-NOT:     memref.copy
// CHECK:         return %[[OWN]] : memref<2x12xf32>
func.func @reshaped_result() -> memref<2x12xf32> {
  %a = memref.alloc() : memref<2x3x4xf32>
  "test.fill"(%a) : (memref<2x3x4xf32>) -> ()
  %r = memref.collapse_shape %a [[0], [1, 2]] : memref<2x3x4xf32> into memref<2x12xf32>
  return %r : memref<2x12xf32>
}

// -----

// An argument returned as a result, and one buffer returned twice: copies
// into fresh allocations (dynamic sizes from the source).

// CHECK-LABEL: func @aliased_results
// CHECK-SAME:    (%[[ARG:.*]]: memref<?x4xf32>)
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[D:.*]] = memref.dim %[[ARG]], %{{.*}}
// CHECK:         %[[C1:.*]] = memref.alloc(%[[D]]) : memref<?x4xf32>
// CHECK:         memref.copy %[[ARG]], %[[C1]]
// CHECK:         %[[C2:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         memref.copy %[[A]], %[[C2]]
// CHECK:         return %[[C1]], %[[A]], %[[C2]]
func.func @aliased_results(%arg: memref<?x4xf32>) -> (memref<?x4xf32>, memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  return %arg, %a, %a : memref<?x4xf32>, memref<4xf32>, memref<4xf32>
}

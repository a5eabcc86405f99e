// RUN: hydra-opt %s --split-input-file --hydra-clone-fills | FileCheck %s

// One zero-filled tensor read by two products (what CSE leaves of two
// identical fills): each product gets its own empty tensor and fill, so
// bufferization fills each output in place instead of copying one.
// CHECK-LABEL: func @shared_fill
// CHECK-DAG:     %[[E0:.*]] = tensor.empty(%{{.*}}) : tensor<?x64xf32>
// CHECK-DAG:     %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]]
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x32xf32>, tensor<32x64xf32>) outs(%[[F0]]
// CHECK:         %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x64xf32>
// CHECK:         %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]]
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x32xf32>, tensor<32x64xf32>) outs(%[[F1]]
func.func @shared_fill(%x: tensor<?x32xf32>, %w: tensor<32x64xf32>, %v: tensor<32x64xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%m) : tensor<?x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
  %a = linalg.matmul ins(%x, %w : tensor<?x32xf32>, tensor<32x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  %b = linalg.matmul ins(%x, %v : tensor<?x32xf32>, tensor<32x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %a, %b : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A fill with one user, and a fill of a tensor that is not empty (its
// clones fill the same operand), are handled alike: one fill a user.
// CHECK-LABEL: func @single_and_nonempty
// CHECK-COUNT-1: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK-COUNT-2: linalg.fill ins(%{{.*}} : f32) outs(%arg0 : tensor<8xf32>)
// CHECK-NOT:     linalg.fill
func.func @single_and_nonempty(%t: tensor<8xf32>) -> (tensor<4xf32>, tensor<8xf32>, tensor<8xf32>) {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%one : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %g = linalg.fill ins(%one : f32) outs(%t : tensor<8xf32>) -> tensor<8xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%g : tensor<8xf32>) {
  ^bb0(%o: f32):
    %s = arith.addf %o, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %f, %g, %h : tensor<4xf32>, tensor<8xf32>, tensor<8xf32>
}

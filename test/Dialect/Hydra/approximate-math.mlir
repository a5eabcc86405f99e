// RUN: hydra-opt %s --hydra-approximate-math | FileCheck %s

// exp and tanh on f32 vectors and scalars become arithmetic; nothing calls
// libm afterwards.

// CHECK-LABEL: func @exp_tanh
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.tanh
// CHECK:         math.fma
// CHECK:         return
func.func @exp_tanh(%v: vector<8xf32>, %s: f32) -> (vector<8xf32>, f32) {
  %e = math.exp %v : vector<8xf32>
  %t = math.tanh %s : f32
  return %e, %t : vector<8xf32>, f32
}

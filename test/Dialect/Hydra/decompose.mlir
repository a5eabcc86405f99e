// RUN: hydra-opt %s --hydra-decompose --split-input-file | FileCheck %s --implicit-check-not=hydra.rms_norm --implicit-check-not=linalg.softmax

// RMS norm over the last axis: x², a sum over that axis, then
// x · rsqrt(sum / n + ε) · scale with n = 16.

// CHECK-LABEL: func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x16xf32>, %[[G:.*]]: tensor<16xf32>)
// CHECK-DAG:  %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG:  %[[N:.*]] = arith.constant 1.600000e+01 : f32
// CHECK:      %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x3x16xf32>)
// CHECK:        arith.mulf %[[A:.*]], %[[A]] : f32
// CHECK:      %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[SQ]] : tensor<2x3x16xf32>)
// CHECK:        arith.addf
// CHECK:      %[[SUM1:.*]] = tensor.expand_shape %[[SUM]] {{\[\[}}0], [1, 2]] output_shape [2, 3, 1]
// CHECK:      linalg.generic {{.*}} ins(%[[X]], %[[SUM1]], %[[G]] : tensor<2x3x16xf32>, tensor<2x3x1xf32>, tensor<16xf32>)
// CHECK:        %[[MEAN:.*]] = arith.divf %{{.*}}, %[[N]] : f32
// CHECK:        %[[ADD:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK:        math.rsqrt %[[ADD]] : f32
func.func @rms_norm(%x: tensor<2x3x16xf32>, %g: tensor<16xf32>) -> tensor<2x3x16xf32> {
  %y = hydra.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32}
       : tensor<2x3x16xf32>, tensor<16xf32> -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// Over the two trailing axes: both are reduced, n = 48.

// CHECK-LABEL: func @rms_norm_two_axes
// CHECK:      arith.constant 4.800000e+01 : f32
// CHECK:      iterator_types = ["parallel", "reduction", "reduction"]
func.func @rms_norm_two_axes(%x: tensor<2x3x16xf32>, %g: tensor<1xf32>) -> tensor<2x3x16xf32> {
  %y = hydra.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32}
       : tensor<2x3x16xf32>, tensor<1xf32> -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// Softmax: a max over the axis, exp(x - max), a sum, a division.

// CHECK-LABEL: func @softmax
// CHECK:      arith.maxnumf
// CHECK:      arith.subf
// CHECK:      math.exp
// CHECK:      arith.addf
// CHECK:      arith.divf
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.softmax dimension(1) ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

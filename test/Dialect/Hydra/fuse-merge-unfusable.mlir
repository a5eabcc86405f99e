// RUN: hydra-opt %s --hydra-fuse-merge --split-input-file | FileCheck %s

// Merges that hydra-fuse-merge must leave in place.

// A merge whose input is not a part op (here a function argument) is left
// alone: there is no epilogue to fuse into.

// CHECK-LABEL: func @not_fusable
// CHECK:       hydra.scale_norm_merge full(%{{.*}} : tensor<1x1x8x16xf32>) linear(%{{.*}} : tensor<1x1x8x16xf32>)
func.func @not_fusable(%f: tensor<1x1x8x16xf32>, %q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %e = tensor.empty() : tensor<1x1x8x16xf32>
  %l = hydra.linear_attention %q, %q, %q into %e {heads = array<i64: 1>, scale = 1.0 : f32}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x8x16xf32>) linear(%l : tensor<1x1x8x16xf32>)
         {heads = #hydra.heads<"FL">} : tensor<1x2x8x16xf32>
  return %y : tensor<1x2x8x16xf32>
}

// -----

// A part op with a second user keeps its compact result: the merge stays.

// CHECK-LABEL: func @shared_part
// CHECK:       %[[L:.*]] = hydra.linear_attention
// CHECK:       hydra.scale_norm_merge linear(%[[L]]
// CHECK:       return {{.*}}, %[[L]]
func.func @shared_part(%q: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %e = tensor.empty() : tensor<1x2x8x16xf32>
  %l = hydra.linear_attention %q, %q, %q into %e {heads = array<i64: 0, 1>, scale = 1.0 : f32}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %y = hydra.scale_norm_merge linear(%l : tensor<1x2x8x16xf32>) {heads = #hydra.heads<"LL">} : tensor<1x2x8x16xf32>
  return %y, %l : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// RUN: hydra-opt %s --hydra-split-heads --hydra-fuse-merge --split-input-file \
// RUN:   | FileCheck %s --implicit-check-not=hydra.scale_norm_merge \
// RUN:       --implicit-check-not=tensor.concat --implicit-check-not=tensor.insert_slice \
// RUN:       --implicit-check-not=tensor.extract_slice --implicit-check-not=tensor.gather \
// RUN:       --implicit-check-not=tensor.scatter

// After fusion each part normalizes in its epilogue and writes its heads at
// their own index of one [B, Hq, S, Dv] destination: FA into a fresh
// tensor, LA into FA's result. No merge, concat, gather or scatter is left.

// CHECK-LABEL: func @seven_to_one
// CHECK-SAME: %[[G:[a-z0-9]+]]: tensor<8x32xf32>
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<1x8x16x32xf32>
// CHECK:      %[[F:.*]] = hydra.full_attention %{{.*}}, %{{.*}}, %{{.*}} fusion_scale(%[[G]] : tensor<8x32xf32>) into %[[E]]
// CHECK-SAME:   {causal, heads = array<i64: 0>, scale = 1.250000e-01 : f32} : {{.*}} -> tensor<1x8x16x32xf32>
// CHECK:      %[[L:.*]] = hydra.linear_attention %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}}) fusion_scale(%[[G]] : tensor<8x32xf32>) into %[[F]]
// CHECK-SAME:   {heads = array<i64: 1, 2, 3, 4, 5, 6, 7>, {{.*}}} : {{.*}} -> tensor<1x8x16x32xf32>
// CHECK:      return %[[L]]
func.func @seven_to_one(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x32xf32>,
                        %g: tensor<8x32xf32>, %d: tensor<1x8x16xf32>) -> tensor<1x8x16x32xf32> {
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<8x32xf32>) decay(%d : tensor<1x8x16xf32>)
         {heads = #hydra.heads<"FLLLLLLL">, causal, update_rule = #hydra.update_rule<gated>}
       : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32> -> tensor<1x8x16x32xf32>
  return %y : tensor<1x8x16x32xf32>
}

// -----

// Without a fusion scale the merge is only a re-ordering, fused the same way.

// CHECK-LABEL: func @interleaved_unfused
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<1x4x8x16xf32>
// CHECK:      %[[F:.*]] = hydra.full_attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} into %[[E]] {causal, heads = array<i64: 1, 3>
// CHECK:      %[[L:.*]] = hydra.linear_attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} into %[[F]] {heads = array<i64: 0, 2>
// CHECK:      return %[[L]]
func.func @interleaved_unfused(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"LFLF">, causal}
       : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// One kind with a fusion scale: the part takes the scale, the merge goes.

// CHECK-LABEL: func @all_full_fused
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<1x2x8x16xf32>
// CHECK:      %[[F:.*]] = hydra.full_attention %{{.*}} fusion_scale(%{{.*}} : tensor<2x16xf32>) into %[[E]]
// CHECK:      return %[[F]]
func.func @all_full_fused(%q: tensor<1x2x8x16xf32>, %g: tensor<2x16xf32>) -> tensor<1x2x8x16xf32> {
  %y = hydra.hybrid_attention %q, %q, %q fusion_scale(%g : tensor<2x16xf32>) {heads = #hydra.heads<"FF">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %y : tensor<1x2x8x16xf32>
}

// RUN: hydra-opt %s --hydra-split-heads --split-input-file | FileCheck %s

// 7:1 with a fusion scale: an FA part over head 0, an LA part over heads
// 1-7, each into its own compact tensor, and the merge. Default scales are
// 1/sqrt(Dk) = 0.125.

// CHECK-LABEL: func @seven_to_one
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x16x64xf32>, %[[K:.*]]: tensor<1x8x16x64xf32>, %[[V:.*]]: tensor<1x8x16x32xf32>, %[[G:.*]]: tensor<8x32xf32>, %[[D:.*]]: tensor<1x8x16xf32>)
// CHECK:      %[[E1:.*]] = tensor.empty() : tensor<1x1x16x32xf32>
// CHECK:      %[[F:.*]] = hydra.full_attention %[[Q]], %[[K]], %[[V]] into %[[E1]]
// CHECK-SAME:   {causal, heads = array<i64: 0>, scale = 1.250000e-01 : f32}
// CHECK:      %[[E7:.*]] = tensor.empty() : tensor<1x7x16x32xf32>
// CHECK:      %[[L:.*]] = hydra.linear_attention %[[Q]], %[[K]], %[[V]] decay(%[[D]] : tensor<1x8x16xf32>) into %[[E7]]
// CHECK-SAME:   {heads = array<i64: 1, 2, 3, 4, 5, 6, 7>, scale = 1.250000e-01 : f32, update_rule = #hydra.update_rule<gated>}
// CHECK:      %[[Y:.*]] = hydra.scale_norm_merge full(%[[F]] : tensor<1x1x16x32xf32>) linear(%[[L]] : tensor<1x7x16x32xf32>) fusion_scale(%[[G]] : tensor<8x32xf32>) {heads = #hydra.heads<"FLLLLLLL">}
// CHECK:      return %[[Y]]
func.func @seven_to_one(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x32xf32>,
                        %g: tensor<8x32xf32>, %d: tensor<1x8x16xf32>) -> tensor<1x8x16x32xf32> {
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<8x32xf32>) decay(%d : tensor<1x8x16xf32>)
         {heads = #hydra.heads<"FLLLLLLL">, causal, update_rule = #hydra.update_rule<gated>}
       : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32> -> tensor<1x8x16x32xf32>
  return %y : tensor<1x8x16x32xf32>
}

// -----

// Explicit scales, mask, softcap and epsilon are carried to the parts.

// CHECK-LABEL: func @attributes_carried
// CHECK:      hydra.full_attention %{{.*}} mask(%{{.*}} : tensor<4x4xi1>) into
// CHECK-SAME:   {fusion_epsilon = 1.000000e-03 : f32, heads = array<i64: 1, 3>, scale = 5.000000e-01 : f32, softcap = 2.000000e+01 : f32}
// CHECK:      hydra.linear_attention %{{.*}} beta(%{{.*}} : tensor<1x1x4xf32>) into
// CHECK-SAME:   {fusion_epsilon = 1.000000e-03 : f32, heads = array<i64: 0, 2>, scale = 2.500000e-01 : f32, update_rule = #hydra.update_rule<delta>}
// CHECK:      hydra.scale_norm_merge full(%{{.*}}) linear(%{{.*}}) {fusion_epsilon = 1.000000e-03 : f32, heads = #hydra.heads<"LFLF">}
func.func @attributes_carried(%q: tensor<1x4x4x8xf32>, %m: tensor<4x4xi1>, %b: tensor<1x1x4xf32>) -> tensor<1x4x4x8xf32> {
  %y = hydra.hybrid_attention %q, %q, %q beta(%b : tensor<1x1x4xf32>) mask(%m : tensor<4x4xi1>)
         {heads = #hydra.heads<"LFLF">, scale = 0.5 : f32, linear_scale = 0.25 : f32, softcap = 20.0 : f32,
          update_rule = #hydra.update_rule<delta>, fusion_epsilon = 1.0e-3 : f32}
       : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}

// -----

// All-F without fusion: one part writing every head in order, no merge.

// CHECK-LABEL: func @all_full
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<2x4x8x16xf32>
// CHECK:      %[[F:.*]] = hydra.full_attention %{{.*}} into %[[E]] {heads = array<i64: 0, 1, 2, 3>, scale = 2.500000e-01 : f32}
// CHECK-NOT:  hydra.linear_attention
// CHECK-NOT:  hydra.scale_norm_merge
// CHECK:      return %[[F]]
func.func @all_full(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %y = hydra.hybrid_attention %q, %k, %k {heads = #hydra.heads<"FFFF">}
       : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  return %y : tensor<2x4x8x16xf32>
}

// -----

// All-L with fusion: one part, and a merge that only normalizes.

// CHECK-LABEL: func @all_linear_fused
// CHECK-NOT:  hydra.full_attention
// CHECK:      %[[L:.*]] = hydra.linear_attention %{{.*}} {heads = array<i64: 0, 1>
// CHECK:      hydra.scale_norm_merge linear(%[[L]] : tensor<1x2x8x16xf32>) fusion_scale(%{{.*}} : tensor<2x16xf32>) {heads = #hydra.heads<"LL">}
func.func @all_linear_fused(%q: tensor<1x2x8x16xf32>, %g: tensor<2x16xf32>) -> tensor<1x2x8x16xf32> {
  %y = hydra.hybrid_attention %q, %q, %q fusion_scale(%g : tensor<2x16xf32>) {heads = #hydra.heads<"LL">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %y : tensor<1x2x8x16xf32>
}

// -----

// Dynamic batch and length: the compact outputs take them from the query.

// CHECK-LABEL: func @dynamic
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x8xf32>
// CHECK-DAG:  %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:  %[[C2:.*]] = arith.constant 2 : index
// CHECK:      %[[B:.*]] = tensor.dim %[[Q]], %[[C0]]
// CHECK:      %[[S:.*]] = tensor.dim %[[Q]], %[[C2]]
// CHECK:      tensor.empty(%[[B]], %[[S]]) : tensor<?x1x?x8xf32>
// CHECK:      hydra.full_attention
// CHECK:      hydra.linear_attention
// CHECK:      hydra.scale_norm_merge full(%{{.*}} : tensor<?x1x?x8xf32>) linear(%{{.*}} : tensor<?x1x?x8xf32>) {heads = #hydra.heads<"FL">} : tensor<?x2x?x8xf32>
func.func @dynamic(%q: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FL">}
       : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %y : tensor<?x2x?x8xf32>
}

// -----

// Caches: heads 0, 1 (kv head 0) and 7 (kv head 3) are full, so the caches
// hold kv heads 0 and 3 and the F part reads them at positions 0, 0, 1,
// its causal diagonal aligned to the last key; kv head 0 has no L head,
// so the states hold kv heads 1, 2, 3 and the L part numbers them 0..2.

// CHECK-LABEL: func @caches
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x?x16xf32>, %[[K:.*]]: tensor<?x4x?x16xf32>, %[[CK:.*]]: tensor<?x2x?x16xf32>, %[[CV:.*]]: tensor<?x2x?x16xf32>, %[[S:.*]]: tensor<?x3x16x16xf32>)
// CHECK:      hydra.full_attention %[[Q]], %[[CK]], %[[CV]] into
// CHECK-SAME:   {causal, end_aligned, heads = array<i64: 0, 1, 7>, kv_heads = array<i64: 0, 0, 1>, scale = 2.500000e-01 : f32}
// CHECK:      %[[FS:.*]] = tensor.empty({{.*}}) : tensor<?x3x16x16xf32>
// CHECK:      %{{.*}}:2 = hydra.linear_attention %[[Q]], %[[K]], %[[K]] initial_state(%[[S]] : tensor<?x3x16x16xf32>) into %{{.*}}, final_state(%[[FS]] : tensor<?x3x16x16xf32>)
// CHECK-SAME:   {heads = array<i64: 2, 3, 4, 5, 6>, scale = 2.500000e-01 : f32, state_heads = array<i64: 0, 0, 1, 1, 2>}
func.func @caches(%q: tensor<?x8x?x16xf32>, %k: tensor<?x4x?x16xf32>, %ck: tensor<?x2x?x16xf32>,
                  %cv: tensor<?x2x?x16xf32>, %s: tensor<?x3x16x16xf32>) -> (tensor<?x8x?x16xf32>, tensor<?x3x16x16xf32>) {
  %y, %f = hydra.hybrid_attention %q, %k, %k initial_state(%s : tensor<?x3x16x16xf32>)
         full_key(%ck : tensor<?x2x?x16xf32>) full_value(%cv : tensor<?x2x?x16xf32>)
         {heads = #hydra.heads<"FFLLLLLF">, causal}
       : tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x8x?x16xf32>, tensor<?x3x16x16xf32>
  return %y, %f : tensor<?x8x?x16xf32>, tensor<?x3x16x16xf32>
}

// -----

// Every kv head has an L head: the states are the kv heads themselves, and
// no state_heads is written.

// CHECK-LABEL: func @states_of_every_kv_head
// CHECK:      hydra.linear_attention
// CHECK-NOT:    state_heads
// CHECK-SAME:   {heads = array<i64: 1, 3>, scale = 2.500000e-01 : f32}
func.func @states_of_every_kv_head(%q: tensor<1x4x4x16xf32>, %k: tensor<1x2x4x16xf32>, %s: tensor<1x2x16x16xf32>) -> tensor<1x4x4x16xf32> {
  %y = hydra.hybrid_attention %q, %k, %k initial_state(%s : tensor<1x2x16x16xf32>) {heads = #hydra.heads<"FLFL">}
       : tensor<1x4x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x4x4x16xf32>
  return %y : tensor<1x4x4x16xf32>
}

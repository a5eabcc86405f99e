// RUN: hydra-opt %s --hydra-raise-hybrid --split-input-file | FileCheck %s

// The standard-op spelling after import: head 0 (full) and heads 1-3
// (linear) gathered out of one query tensor, each group with its own kv
// heads (4 query heads on 2 kv heads: heads 0,1 read kv 0, heads 2,3 kv 1),
// the outputs concatenated in head order. One hybrid op over the whole
// tensors replaces them; decay is traced through its transpose.

// CHECK-LABEL: func @groups_in_order
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x8x16xf32>, %[[K:.*]]: tensor<1x2x8x16xf32>, %[[V:.*]]: tensor<1x2x8x16xf32>, %[[D:.*]]: tensor<1x8x2xf32>)
// CHECK:      %[[DT:.*]] = linalg.transpose ins(%[[D]] : tensor<1x8x2xf32>) {{.*}} permutation = [0, 2, 1]
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] decay(%[[DT]] : tensor<1x2x8xf32>)
// CHECK-SAME:   {causal, heads = #hydra.heads<"FLLL">, update_rule = #hydra.update_rule<gated>}
// CHECK-SAME:   : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @groups_in_order(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>,
                           %d: tensor<1x8x2xf32>) -> tensor<1x4x8x16xf32> {
  %qf = tensor.extract_slice %q[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %kf = tensor.extract_slice %k[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %vf = tensor.extract_slice %v[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %of = hydra.hybrid_attention %qf, %kf, %vf {causal, heads = #hydra.heads<"F">}
        : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  %ql = tensor.extract_slice %q[0, 1, 0, 0] [1, 3, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x3x8x16xf32>
  %k1 = tensor.extract_slice %k[0, 1, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %v1 = tensor.extract_slice %v[0, 1, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %kl = tensor.concat dim(1) %kf, %k1, %k1 : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x3x8x16xf32>
  %vl = tensor.concat dim(1) %vf, %v1, %v1 : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x3x8x16xf32>
  %d0 = tensor.extract_slice %d[0, 0, 0] [1, 8, 1] [1, 1, 1] : tensor<1x8x2xf32> to tensor<1x8x1xf32>
  %d1 = tensor.extract_slice %d[0, 0, 1] [1, 8, 1] [1, 1, 1] : tensor<1x8x2xf32> to tensor<1x8x1xf32>
  %dl = tensor.concat dim(2) %d0, %d1, %d1 : (tensor<1x8x1xf32>, tensor<1x8x1xf32>, tensor<1x8x1xf32>) -> tensor<1x8x3xf32>
  %e = tensor.empty() : tensor<1x3x8xf32>
  %dt = linalg.transpose ins(%dl : tensor<1x8x3xf32>) outs(%e : tensor<1x3x8xf32>) permutation = [0, 2, 1]
  %ol = hydra.hybrid_attention %ql, %kl, %vl decay(%dt : tensor<1x3x8xf32>)
        {heads = #hydra.heads<"LLL">, update_rule = #hydra.update_rule<gated>}
        : tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  %y = tensor.concat dim(1) %of, %ol : (tensor<1x1x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Interleaved heads (F at 0 and 2) with GQA inside each group, the group
// outputs concatenated in group order and gathered back into head order,
// then RMS-normalized per row and scaled per head: all of it becomes one
// hybrid op whose fusion scale is norm scale · per-head scale.

// CHECK-LABEL: func @interleaved_with_fusion
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x8x16xf32>, %[[K:.*]]: tensor<1x2x8x16xf32>, %[[V:.*]]: tensor<1x2x8x16xf32>, %[[S:.*]]: tensor<16xf32>, %[[G:.*]]: tensor<4x1x16xf32>)
// CHECK:      %[[GAMMA:.*]] = linalg.generic {indexing_maps = [#[[MS:.*]], #[[MG:.*]], #[[MO:.*]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:   ins(%[[S]], %[[G]] : tensor<16xf32>, tensor<4x1x16xf32>) outs(%{{.*}} : tensor<4x16xf32>)
// CHECK:        arith.mulf
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] fusion_scale(%[[GAMMA]] : tensor<4x16xf32>)
// CHECK-SAME:   {fusion_epsilon = 9.99999974E-6 : f32, heads = #hydra.heads<"FLFL">, scale = 5.000000e-01 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @interleaved_with_fusion(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>,
                                   %s: tensor<16xf32>, %g: tensor<4x1x16xf32>) -> tensor<1x4x8x16xf32> {
  %q0 = tensor.extract_slice %q[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %q2 = tensor.extract_slice %q[0, 2, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %qf = tensor.concat dim(1) %q0, %q2 : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x2x8x16xf32>
  %of = hydra.hybrid_attention %qf, %k, %v {heads = #hydra.heads<"FF">, scale = 0.5 : f32}
        : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %ql = tensor.extract_slice %q[0, 1, 0, 0] [1, 2, 8, 16] [1, 2, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  %ol = hydra.hybrid_attention %ql, %k, %v {heads = #hydra.heads<"LL">}
        : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %groups = tensor.concat dim(1) %of, %ol : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
  %h0 = tensor.extract_slice %groups[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %h1 = tensor.extract_slice %groups[0, 2, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %h2 = tensor.extract_slice %groups[0, 1, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %h3 = tensor.extract_slice %groups[0, 3, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x1x8x16xf32>
  %o = tensor.concat dim(1) %h0, %h1, %h2, %h3 : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32>
  %n = hydra.rms_norm %o, %s {axis = 3 : i64, epsilon = 1.0e-5 : f32} : tensor<1x4x8x16xf32>, tensor<16xf32> -> tensor<1x4x8x16xf32>
  %e = tensor.empty() : tensor<1x4x8x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d1, 0, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%n, %g : tensor<1x4x8x16xf32>, tensor<4x1x16xf32>) outs(%e : tensor<1x4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %b, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// An RMS norm alone (no per-head scale after it) folds with its own scale
// broadcast over the heads.

// CHECK-LABEL: func @norm_only
// CHECK:      %[[GAMMA:.*]] = linalg.generic
// CHECK-SAME:   outs(%{{.*}} : tensor<2x16xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %{{.*}} fusion_scale(%[[GAMMA]] : tensor<2x16xf32>)
// CHECK-SAME:   {fusion_epsilon = 1.000000e-03 : f32, heads = #hydra.heads<"FF">}
// CHECK-NEXT: return %[[Y]]
func.func @norm_only(%q: tensor<1x2x8x16xf32>, %s: tensor<16xf32>) -> tensor<1x2x8x16xf32> {
  %o = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FF">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %n = hydra.rms_norm %o, %s {axis = 3 : i64, epsilon = 1.0e-3 : f32} : tensor<1x2x8x16xf32>, tensor<16xf32> -> tensor<1x2x8x16xf32>
  return %n : tensor<1x2x8x16xf32>
}

// -----

// Normalized after the transpose back to [B, S, H, Dv], scaled by γ [H, Dv]
// (read at (d2, d3)): the fused op's result is transposed the same way.

// CHECK-LABEL: func @norm_after_transpose
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x8x16xf32>, %[[S:.*]]: tensor<16xf32>, %[[G:.*]]: tensor<2x16xf32>)
// CHECK:      %[[GAMMA:.*]] = linalg.generic
// CHECK-SAME:   ins(%[[S]], %[[G]] : tensor<16xf32>, tensor<2x16xf32>) outs(%{{.*}} : tensor<2x16xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[Q]], %[[Q]] fusion_scale(%[[GAMMA]] : tensor<2x16xf32>)
// CHECK:      %[[T:.*]] = linalg.transpose ins(%[[Y]] : tensor<1x2x8x16xf32>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK-NEXT: return %[[T]]
func.func @norm_after_transpose(%q: tensor<1x2x8x16xf32>, %s: tensor<16xf32>, %g: tensor<2x16xf32>) -> tensor<1x8x2x16xf32> {
  %o = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FL">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %e = tensor.empty() : tensor<1x8x2x16xf32>
  %t = linalg.transpose ins(%o : tensor<1x2x8x16xf32>) outs(%e : tensor<1x8x2x16xf32>) permutation = [0, 2, 1, 3]
  %n = hydra.rms_norm %t, %s {axis = 3 : i64, epsilon = 1.0e-6 : f32} : tensor<1x8x2x16xf32>, tensor<16xf32> -> tensor<1x8x2x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d2, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%n, %g : tensor<1x8x2x16xf32>, tensor<2x16xf32>) outs(%e : tensor<1x8x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x8x2x16xf32>
  return %y : tensor<1x8x2x16xf32>
}

// -----

// A scale that varies along the sequence is not a per-head scale: the norm
// folds, the product stays.

// CHECK-LABEL: func @scale_per_step_stays
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %{{.*}} fusion_scale(%{{.*}} : tensor<2x16xf32>)
// CHECK:      linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<1x2x8x16xf32>, tensor<8x16xf32>)
func.func @scale_per_step_stays(%q: tensor<1x2x8x16xf32>, %s: tensor<16xf32>, %g: tensor<8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FF">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %n = hydra.rms_norm %o, %s {axis = 3 : i64, epsilon = 1.0e-3 : f32} : tensor<1x2x8x16xf32>, tensor<16xf32> -> tensor<1x2x8x16xf32>
  %e = tensor.empty() : tensor<1x2x8x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d2, d3)>,
                                        affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%n, %g : tensor<1x2x8x16xf32>, tensor<8x16xf32>) outs(%e : tensor<1x2x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x16xf32>
  return %y : tensor<1x2x8x16xf32>
}

// -----

// Left alone: the linear group reads kv head 0 for query head 2, which the
// layer's grouping (heads 2,3 → kv 1) does not allow.

// CHECK-LABEL: func @wrong_kv_head
// CHECK-COUNT-2: hydra.hybrid_attention
// CHECK:      tensor.concat dim(1)
func.func @wrong_kv_head(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %qf = tensor.extract_slice %q[0, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  %k0 = tensor.extract_slice %k[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %of = hydra.hybrid_attention %qf, %k0, %k0 {heads = #hydra.heads<"FF">}
        : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>
  %ql = tensor.extract_slice %q[0, 2, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  %ol = hydra.hybrid_attention %ql, %k0, %k0 {heads = #hydra.heads<"LL">}
        : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>
  %y = tensor.concat dim(1) %of, %ol : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Left alone: groups concatenated in group order (linear first), so output
// head 0 is query head 2's.

// CHECK-LABEL: func @heads_out_of_place
// CHECK-COUNT-2: hydra.hybrid_attention
// CHECK:      tensor.concat dim(1)
func.func @heads_out_of_place(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %qf = tensor.extract_slice %q[0, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  %of = hydra.hybrid_attention %qf, %qf, %qf {heads = #hydra.heads<"FF">}
        : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %ql = tensor.extract_slice %q[0, 2, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  %ol = hydra.hybrid_attention %ql, %ql, %ql {heads = #hydra.heads<"LL">}
        : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %y = tensor.concat dim(1) %ol, %of : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Left alone: the two full groups disagree on causality, and a norm whose
// input has another user cannot be folded.

// CHECK-LABEL: func @groups_disagree
// CHECK-COUNT-2: hydra.hybrid_attention
// CHECK:      tensor.concat dim(1)
// CHECK:      hydra.rms_norm
func.func @groups_disagree(%q: tensor<1x2x8x16xf32>, %s: tensor<16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %q0 = tensor.extract_slice %q[0, 0, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %q1 = tensor.extract_slice %q[0, 1, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : tensor<1x2x8x16xf32> to tensor<1x1x8x16xf32>
  %a = hydra.hybrid_attention %q0, %q0, %q0 {causal, heads = #hydra.heads<"F">}
       : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  %b = hydra.hybrid_attention %q1, %q1, %q1 {heads = #hydra.heads<"F">}
       : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  %y = tensor.concat dim(1) %a, %b : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x2x8x16xf32>
  %o = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"LL">}
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %n = hydra.rms_norm %o, %s {axis = 3 : i64, epsilon = 1.0e-3 : f32} : tensor<1x2x8x16xf32>, tensor<16xf32> -> tensor<1x2x8x16xf32>
  %z = tensor.concat dim(1) %n, %o : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
  %w = tensor.extract_slice %z[0, 2, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : tensor<1x4x8x16xf32> to tensor<1x2x8x16xf32>
  return %y, %w : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// A decode step's spelling: the F group (head 3, kv head 3) attends its
// key cache past ‖ new, the L group (heads 0-2) starts from its states and
// returns them. The raised op takes the groups' caches as its own (in
// kv-head order), and the L group's final states are the op's.

// CHECK-LABEL: func @decode_step_groups
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x1x8xf32>, %[[K:.*]]: tensor<1x4x1x8xf32>, %[[V:.*]]: tensor<1x4x1x8xf32>, %[[PK:.*]]: tensor<1x1x?x8xf32>, %[[PV:.*]]: tensor<1x1x?x8xf32>, %[[PS:.*]]: tensor<1x3x8x8xf32>)
// CHECK:      %[[CK:.*]] = tensor.concat dim(2) %[[PK]]
// CHECK:      %[[CV:.*]] = tensor.concat dim(2) %[[PV]]
// CHECK:      %[[Y:.*]], %[[S:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]]
// CHECK-SAME:   initial_state(%[[PS]] : tensor<1x3x8x8xf32>) full_key(%[[CK]] : tensor<1x1x?x8xf32>) full_value(%[[CV]] : tensor<1x1x?x8xf32>)
// CHECK-SAME:   {causal, heads = #hydra.heads<"LLLF">}
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      return %[[Y]], %{{.*}}, %[[CK]]
func.func @decode_step_groups(%q: tensor<1x4x1x8xf32>, %k: tensor<1x4x1x8xf32>, %v: tensor<1x4x1x8xf32>,
                              %pk: tensor<1x1x?x8xf32>, %pv: tensor<1x1x?x8xf32>, %ps: tensor<1x3x8x8xf32>)
    -> (tensor<1x4x1x8xf32>, tensor<1x3x8x8xf32>, tensor<1x1x?x8xf32>) {
  %qf = tensor.extract_slice %q[0, 3, 0, 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x1x1x8xf32>
  %kf = tensor.extract_slice %k[0, 3, 0, 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x1x1x8xf32>
  %vf = tensor.extract_slice %v[0, 3, 0, 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x1x1x8xf32>
  %ck = tensor.concat dim(2) %pk, %kf : (tensor<1x1x?x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x?x8xf32>
  %cv = tensor.concat dim(2) %pv, %vf : (tensor<1x1x?x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x?x8xf32>
  %of = hydra.hybrid_attention %qf, %kf, %vf full_key(%ck : tensor<1x1x?x8xf32>) full_value(%cv : tensor<1x1x?x8xf32>)
        {causal, heads = #hydra.heads<"F">}
        : tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32> -> tensor<1x1x1x8xf32>
  %ql = tensor.extract_slice %q[0, 0, 0, 0] [1, 3, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x3x1x8xf32>
  %kl = tensor.extract_slice %k[0, 0, 0, 0] [1, 3, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x3x1x8xf32>
  %vl = tensor.extract_slice %v[0, 0, 0, 0] [1, 3, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x8xf32> to tensor<1x3x1x8xf32>
  %ol, %sl = hydra.hybrid_attention %ql, %kl, %vl initial_state(%ps : tensor<1x3x8x8xf32>) {heads = #hydra.heads<"LLL">}
        : tensor<1x3x1x8xf32>, tensor<1x3x1x8xf32>, tensor<1x3x1x8xf32> -> tensor<1x3x1x8xf32>, tensor<1x3x8x8xf32>
  %y = tensor.concat dim(1) %ol, %of : (tensor<1x3x1x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x4x1x8xf32>
  return %y, %sl, %ck : tensor<1x4x1x8xf32>, tensor<1x3x8x8xf32>, tensor<1x1x?x8xf32>
}

// RUN: hydra-opt %s | FileCheck %s
// RUN: hydra-opt %s | hydra-opt | FileCheck %s
// RUN: hydra-opt %s -mlir-print-op-generic | hydra-opt | FileCheck %s

// Round trip of every hydra op and attribute.

// CHECK-LABEL: func @hybrid_all_operands
func.func @hybrid_all_operands(%q: tensor<2x8x16x32xf32>, %k: tensor<2x4x16x32xf32>,
    %v: tensor<2x4x16x24xf32>, %g: tensor<8x24xf32>, %d: tensor<2x4x16x32xf32>,
    %b: tensor<2x4x16xf32>, %m: tensor<2x1x16x16xi1>) -> tensor<2x8x16x24xf32> {
  // CHECK: hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} fusion_scale(%{{.*}} : tensor<8x24xf32>) decay(%{{.*}} : tensor<2x4x16x32xf32>) beta(%{{.*}} : tensor<2x4x16xf32>) mask(%{{.*}} : tensor<2x1x16x16xi1>)
  // CHECK-SAME: causal
  // CHECK-SAME: fusion_epsilon = 9.99999974E-6 : f32
  // CHECK-SAME: heads = #hydra.heads<"FLLLLLLL">
  // CHECK-SAME: linear_scale = 5.000000e-01 : f32
  // CHECK-SAME: scale = 1.250000e-01 : f32
  // CHECK-SAME: softcap = 3.000000e+01 : f32
  // CHECK-SAME: update_rule = #hydra.update_rule<gated_delta>
  // CHECK-SAME: : tensor<2x8x16x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x24xf32> -> tensor<2x8x16x24xf32>
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<8x24xf32>)
         decay(%d : tensor<2x4x16x32xf32>) beta(%b : tensor<2x4x16xf32>)
         mask(%m : tensor<2x1x16x16xi1>)
         {heads = #hydra.heads<"FLLLLLLL">, causal, scale = 0.125 : f32,
          softcap = 30.0 : f32, linear_scale = 0.5 : f32,
          update_rule = #hydra.update_rule<gated_delta>, fusion_epsilon = 1.0e-5 : f32}
       : tensor<2x8x16x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x24xf32> -> tensor<2x8x16x24xf32>
  return %y : tensor<2x8x16x24xf32>
}

// CHECK-LABEL: func @hybrid_minimal_dynamic
func.func @hybrid_minimal_dynamic(%q: tensor<?x2x?x8xf16>, %k: tensor<?x2x?x8xf16>,
    %v: tensor<?x2x?x8xf16>) -> tensor<?x2x?x8xf16> {
  // CHECK: hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {heads = #hydra.heads<"LF">} : tensor<?x2x?x8xf16>
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"LF">}
       : tensor<?x2x?x8xf16>, tensor<?x2x?x8xf16>, tensor<?x2x?x8xf16> -> tensor<?x2x?x8xf16>
  return %y : tensor<?x2x?x8xf16>
}

// CHECK-LABEL: func @hybrid_float_mask_update_rules
func.func @hybrid_float_mask_update_rules(%q: tensor<1x2x4x8xbf16>, %k: tensor<1x2x4x8xbf16>,
    %v: tensor<1x2x4x8xbf16>, %m: tensor<4x4xbf16>, %d: tensor<1x2x4xbf16>,
    %b: tensor<1x1x4xbf16>) -> (tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>) {
  // CHECK: mask(%{{.*}} : tensor<4x4xbf16>)
  %a = hydra.hybrid_attention %q, %k, %v mask(%m : tensor<4x4xbf16>)
         {heads = #hydra.heads<"FF">, update_rule = #hydra.update_rule<linear>}
       : tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16> -> tensor<1x2x4x8xbf16>
  // CHECK: update_rule = #hydra.update_rule<gated>
  %g = hydra.hybrid_attention %q, %k, %v decay(%d : tensor<1x2x4xbf16>)
         {heads = #hydra.heads<"LL">, update_rule = #hydra.update_rule<gated>}
       : tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16> -> tensor<1x2x4x8xbf16>
  // CHECK: update_rule = #hydra.update_rule<delta>
  %d2 = hydra.hybrid_attention %q, %k, %v beta(%b : tensor<1x1x4xbf16>)
         {heads = #hydra.heads<"LL">, update_rule = #hydra.update_rule<delta>}
       : tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16> -> tensor<1x2x4x8xbf16>
  return %a, %g, %d2 : tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>, tensor<1x2x4x8xbf16>
}

// CHECK-LABEL: func @parts_on_tensors
func.func @parts_on_tensors(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
    %v: tensor<1x2x8x16xf32>, %g: tensor<4x16xf32>, %d: tensor<1x2x8xf32>,
    %m: tensor<1x4x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %e1 = tensor.empty() : tensor<1x1x8x16xf32>
  %e3 = tensor.empty() : tensor<1x3x8x16xf32>
  // CHECK: hydra.full_attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<1x4x8x8xf32>) into %{{.*}} {causal, heads = array<i64: 2>, scale = 2.500000e-01 : f32, softcap = 5.000000e+00 : f32} : {{.*}} -> tensor<1x1x8x16xf32>
  %f = hydra.full_attention %q, %k, %v mask(%m : tensor<1x4x8x8xf32>) into %e1
         {heads = array<i64: 2>, causal, scale = 0.25 : f32, softcap = 5.0 : f32}
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  // CHECK: hydra.linear_attention %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}} : tensor<1x2x8xf32>) into %{{.*}} {heads = array<i64: 0, 1, 3>, scale = 2.500000e-01 : f32, update_rule = #hydra.update_rule<gated>}
  %l = hydra.linear_attention %q, %k, %v decay(%d : tensor<1x2x8xf32>) into %e3
         {heads = array<i64: 0, 1, 3>, scale = 0.25 : f32, update_rule = #hydra.update_rule<gated>}
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  // CHECK: hydra.scale_norm_merge full(%{{.*}} : tensor<1x1x8x16xf32>) linear(%{{.*}} : tensor<1x3x8x16xf32>) fusion_scale(%{{.*}} : tensor<4x16xf32>) {heads = #hydra.heads<"LLFL">} : tensor<1x4x8x16xf32>
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x8x16xf32>) linear(%l : tensor<1x3x8x16xf32>)
         fusion_scale(%g : tensor<4x16xf32>) {heads = #hydra.heads<"LLFL">} : tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func @parts_on_buffers
func.func @parts_on_buffers(%q: memref<1x4x8x16xf32>, %k: memref<1x2x8x16xf32>,
    %v: memref<1x2x8x16xf32>, %g: memref<4x16xf32>, %b: memref<1x2x8xf32>,
    %out: memref<1x4x8x16xf32>) {
  // CHECK: hydra.full_attention %{{.*}} fusion_scale(%{{.*}} : memref<4x16xf32>) into %{{.*}} {heads = array<i64: 0>, scale = 1.000000e+00 : f32} : memref<1x4x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x4x8x16xf32>{{$}}
  hydra.full_attention %q, %k, %v fusion_scale(%g : memref<4x16xf32>) into %out
    {heads = array<i64: 0>, scale = 1.0 : f32}
    : memref<1x4x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x4x8x16xf32>
  // CHECK: hydra.linear_attention %{{.*}} beta(%{{.*}} : memref<1x2x8xf32>) fusion_scale(%{{.*}} : memref<4x16xf32>) into %{{.*}} {fusion_epsilon = 1.000000e-03 : f32, heads = array<i64: 1, 2, 3>, scale = 1.000000e+00 : f32, update_rule = #hydra.update_rule<delta>}
  hydra.linear_attention %q, %k, %v beta(%b : memref<1x2x8xf32>) fusion_scale(%g : memref<4x16xf32>) into %out
    {heads = array<i64: 1, 2, 3>, scale = 1.0 : f32, update_rule = #hydra.update_rule<delta>, fusion_epsilon = 1.0e-3 : f32}
    : memref<1x4x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x4x8x16xf32>
  return
}

// CHECK-LABEL: func @linear_state
func.func @linear_state(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
    %s0: tensor<1x2x16x16xf32>, %o: tensor<1x4x8x16xf32>, %so: tensor<1x2x16x16xf32>)
    -> (tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: hydra.hybrid_attention %{{.*}} initial_state(%{{.*}} : tensor<1x2x16x16xf32>) {heads = #hydra.heads<"LLLL">} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>
  %y, %s = hydra.hybrid_attention %q, %k, %k initial_state(%s0 : tensor<1x2x16x16xf32>) {heads = #hydra.heads<"LLLL">}
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>
  // CHECK: hydra.linear_attention %{{.*}} initial_state(%{{.*}} : tensor<1x2x16x16xf32>) into %{{.*}}, final_state(%{{.*}} : tensor<1x2x16x16xf32>)
  %r:2 = hydra.linear_attention %q, %k, %k initial_state(%s0 : tensor<1x2x16x16xf32>) into %o, final_state(%so : tensor<1x2x16x16xf32>)
         {heads = array<i64: 0, 1, 2, 3>, scale = 0.25 : f32}
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>
  return %y, %s, %r#0, %r#1 : tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>
}

// CHECK-LABEL: func @caches
func.func @caches(%q: tensor<1x4x1x16xf32>, %k: tensor<1x2x1x16xf32>, %ck: tensor<1x1x?x16xf32>,
    %s0: tensor<1x1x16x16xf32>, %o: tensor<1x4x1x16xf32>)
    -> (tensor<1x4x1x16xf32>, tensor<1x1x16x16xf32>, tensor<1x4x1x16xf32>) {
  // CHECK: hydra.hybrid_attention %{{.*}} initial_state(%{{.*}} : tensor<1x1x16x16xf32>) full_key(%{{.*}} : tensor<1x1x?x16xf32>) full_value(%{{.*}} : tensor<1x1x?x16xf32>) {causal, heads = #hydra.heads<"FFLL">} : tensor<1x4x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32> -> tensor<1x4x1x16xf32>, tensor<1x1x16x16xf32>
  %y, %s = hydra.hybrid_attention %q, %k, %k initial_state(%s0 : tensor<1x1x16x16xf32>)
         full_key(%ck : tensor<1x1x?x16xf32>) full_value(%ck : tensor<1x1x?x16xf32>) {heads = #hydra.heads<"FFLL">, causal}
       : tensor<1x4x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32> -> tensor<1x4x1x16xf32>, tensor<1x1x16x16xf32>
  // CHECK: hydra.full_attention %{{.*}} into %{{.*}} {causal, end_aligned, heads = array<i64: 0, 1>, kv_heads = array<i64: 0, 0>, scale = 2.500000e-01 : f32}
  %f = hydra.full_attention %q, %ck, %ck into %o {heads = array<i64: 0, 1>, kv_heads = array<i64: 0, 0>, causal, end_aligned, scale = 0.25 : f32}
       : tensor<1x4x1x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x4x1x16xf32> -> tensor<1x4x1x16xf32>
  // CHECK: hydra.linear_attention %{{.*}} {heads = array<i64: 2, 3>, scale = 2.500000e-01 : f32, state_heads = array<i64: 0, 0>}
  %l = hydra.linear_attention %q, %k, %k initial_state(%s0 : tensor<1x1x16x16xf32>) into %f {heads = array<i64: 2, 3>, state_heads = array<i64: 0, 0>, scale = 0.25 : f32}
       : tensor<1x4x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x4x1x16xf32> -> tensor<1x4x1x16xf32>
  return %y, %s, %l : tensor<1x4x1x16xf32>, tensor<1x1x16x16xf32>, tensor<1x4x1x16xf32>
}

// CHECK-LABEL: func @rms_norm
func.func @rms_norm(%x: tensor<1x4x8x16xf32>, %g: tensor<16xf32>) -> tensor<1x4x8x16xf32> {
  // CHECK: hydra.rms_norm %{{.*}}, %{{.*}} {axis = 3 : i64, epsilon = 9.99999974E-6 : f32} : tensor<1x4x8x16xf32>, tensor<16xf32> -> tensor<1x4x8x16xf32>
  %y = hydra.rms_norm %x, %g {axis = 3 : i64, epsilon = 1.0e-5 : f32}
       : tensor<1x4x8x16xf32>, tensor<16xf32> -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func @size_check
func.func @size_check(%a: index, %b: index) {
  // CHECK: hydra.size_check %{{.*}}, %{{.*}}, "node 'r' (Reshape): the shape does not keep the input's element count"
  hydra.size_check %a, %b, "node 'r' (Reshape): the shape does not keep the input's element count"
  return
}

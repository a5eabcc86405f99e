// RUN: hydra-opt %s --hydra-raise-attention --split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> (0)>
#st = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// softmax(Q·Kᵀ / 4) · V: the quotient becomes the scale, K is read back
// through the transpose.

// CHECK-LABEL: func @plain
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x4x8xf32>, %[[K:.*]]: tensor<1x2x6x8xf32>, %[[V:.*]]: tensor<1x2x6x8xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] {heads = #hydra.heads<"FF">, scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @plain(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %four = arith.constant dense<4.0> : tensor<1xf32>
  %et = tensor.empty() : tensor<1x2x8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x6x8xf32>) outs(%et : tensor<1x2x8x6xf32>) permutation = [0, 1, 3, 2]
  %es = tensor.empty() : tensor<1x2x4x6xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x2x4x8xf32>, tensor<1x2x8x6xf32>) outs(%fs : tensor<1x2x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x6xf32>
  %x = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
       ins(%s, %four : tensor<1x2x4x6xf32>, tensor<1xf32>) outs(%es : tensor<1x2x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x6xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x4x6xf32>) outs(%es : tensor<1x2x4x6xf32>) -> tensor<1x2x4x6xf32>
  %eo = tensor.empty() : tensor<1x2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %v : tensor<1x2x4x6xf32>, tensor<1x2x6x8xf32>) outs(%fo : tensor<1x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %c, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> (0)>
#st = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#rep = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#par5 = ["parallel", "parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// ONNX's own function body: √scale on Q and on Kᵀ, kv heads repeated for
// GQA (4 query heads, 2 kv heads), the causal mask as a constant, softcap
// c·tanh(x/c). All of it becomes one op on the unrepeated K and V.

// CHECK-LABEL: func @gqa_causal_softcap
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x3x8xf32>, %[[K:.*]]: tensor<1x2x3x8xf32>, %[[V:.*]]: tensor<1x2x3x8xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] {causal, heads = #hydra.heads<"FFFF">, scale = 2.500000e-01 : f32, softcap = 3.000000e+00 : f32}
// CHECK-SAME:   : tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32> -> tensor<1x4x3x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gqa_causal_softcap(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>) -> tensor<1x4x3x8xf32> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %cap = arith.constant dense<3.0> : tensor<1xf32>
  %causal = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %k5 = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %v5 = tensor.expand_shape %v [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %e5 = tensor.empty() : tensor<1x2x2x3x8xf32>
  %kr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%k5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %vr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%v5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %kr = tensor.collapse_shape %kr5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
  %vr = tensor.collapse_shape %vr5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
  %et = tensor.empty() : tensor<1x4x8x3xf32>
  %kt = linalg.transpose ins(%kr : tensor<1x4x3x8xf32>) outs(%et : tensor<1x4x8x3xf32>) permutation = [0, 1, 3, 2]
  %eq = tensor.empty() : tensor<1x4x3x8xf32>
  %qs = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
        ins(%q, %half : tensor<1x4x3x8xf32>, tensor<1xf32>) outs(%eq : tensor<1x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x8xf32>
  %kts = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
         ins(%kt, %half : tensor<1x4x8x3xf32>, tensor<1xf32>) outs(%et : tensor<1x4x8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x3xf32>
  %es = tensor.empty() : tensor<1x4x3x3xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%qs, %kts : tensor<1x4x3x8xf32>, tensor<1x4x8x3xf32>) outs(%fs : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %d = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
       ins(%s, %cap : tensor<1x4x3x3xf32>, tensor<1xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4}
       ins(%d : tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %c: f32):
    %r = math.tanh %a : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %c = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
       ins(%t, %cap : tensor<1x4x3x3xf32>, tensor<1xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%c, %causal : tensor<1x4x3x3xf32>, tensor<3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eq : tensor<1x4x3x8xf32>) -> tensor<1x4x3x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %vr : tensor<1x4x3x3xf32>, tensor<1x4x3x8xf32>) outs(%fo : tensor<1x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> (0)>
#st = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// A bool mask turned into 0 / -inf with Where and added: the op takes the
// bool mask. Kᵀ is an argument, so K is its transpose. No scale factor:
// scale 1.

// CHECK-LABEL: func @bool_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<1x1x4x8xf32>, %[[KT:.*]]: tensor<1x1x8x6xf32>, %[[V:.*]]: tensor<1x1x6x8xf32>, %[[M:.*]]: tensor<4x6xi1>)
// CHECK:      %[[K:.*]] = linalg.transpose ins(%[[KT]] : tensor<1x1x8x6xf32>) {{.*}} permutation = [0, 1, 3, 2]
// CHECK:      hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<4x6xi1>) {heads = #hydra.heads<"F">, scale = 1.000000e+00 : f32}
func.func @bool_mask(%q: tensor<1x1x4x8xf32>, %kt: tensor<1x1x8x6xf32>, %v: tensor<1x1x6x8xf32>, %m: tensor<4x6xi1>) -> tensor<1x1x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %keep = arith.constant dense<0.0> : tensor<1xf32>
  %drop = arith.constant dense<0xFF800000> : tensor<1xf32>
  %em = tensor.empty() : tensor<4x6xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %keep, %drop : tensor<4x6xi1>, tensor<1xf32>, tensor<1xf32>) outs(%em : tensor<4x6xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  %es = tensor.empty() : tensor<1x1x4x6xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x1x4x6xf32>) -> tensor<1x1x4x6xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x1x4x8xf32>, tensor<1x1x8x6xf32>) outs(%fs : tensor<1x1x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x6xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%s, %bias : tensor<1x1x4x6xf32>, tensor<4x6xf32>) outs(%es : tensor<1x1x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x6xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x1x4x6xf32>) outs(%es : tensor<1x1x4x6xf32>) -> tensor<1x1x4x6xf32>
  %eo = tensor.empty() : tensor<1x1x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %v : tensor<1x1x4x6xf32>, tensor<1x1x6x8xf32>) outs(%fo : tensor<1x1x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x8xf32>
  return %y : tensor<1x1x4x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// Left alone: the softmax runs over the queries (dimension 2), and a
// factor that is a tensor (not a scalar) scales the scores.

// CHECK-LABEL: func @not_attention
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      linalg.softmax dimension(2)
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      linalg.softmax dimension(3)
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      return
func.func @not_attention(%q: tensor<1x1x4x8xf32>, %kt: tensor<1x1x8x4xf32>, %v: tensor<1x1x4x8xf32>,
                         %w: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<1x1x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x1x4x8xf32>, tensor<1x1x8x4xf32>) outs(%fs : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<1x1x4x4xf32>) outs(%es : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %eo = tensor.empty() : tensor<1x1x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %v : tensor<1x1x4x4xf32>, tensor<1x1x4x8xf32>) outs(%fo : tensor<1x1x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = #par4}
       ins(%s, %w : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) outs(%es : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %p2 = linalg.softmax dimension(3) ins(%x : tensor<1x1x4x4xf32>) outs(%es : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %y2 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
        ins(%p2, %v : tensor<1x1x4x4xf32>, tensor<1x1x4x8xf32>) outs(%fo : tensor<1x1x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x8xf32>
  return %y, %y2 : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
}

// -----

#rep = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#par5 = ["parallel", "parallel", "parallel", "parallel", "parallel"]

// Attention-23 after torch's repeat_interleave of the kv heads (dynamic
// batch and length): the op reads the two kv heads themselves. With a
// linear head the repeat stays (decay and states are per kv head).

// CHECK-LABEL: func @repeated_kv_heads
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x2x?x8xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] {causal, heads = #hydra.heads<"FFFF">}
// CHECK-SAME:   : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
// CHECK:      %[[L:.*]] = hydra.hybrid_attention %[[Q]], %[[KR:.*]], %[[VR:.*]] {heads = #hydra.heads<"FFFL">}
// CHECK-SAME:   : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
func.func @repeated_kv_heads(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %t = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %k5 = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [%b, 2, 1, %t, 8] : tensor<?x2x?x8xf32> into tensor<?x2x1x?x8xf32>
  %v5 = tensor.expand_shape %v [[0], [1], [2, 3], [4]] output_shape [%b, 2, 1, %t, 8] : tensor<?x2x?x8xf32> into tensor<?x2x1x?x8xf32>
  %e5 = tensor.empty(%b, %t) : tensor<?x2x2x?x8xf32>
  %kr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%k5 : tensor<?x2x1x?x8xf32>) outs(%e5 : tensor<?x2x2x?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x2x2x?x8xf32>
  %vr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%v5 : tensor<?x2x1x?x8xf32>) outs(%e5 : tensor<?x2x2x?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x2x2x?x8xf32>
  %kr = tensor.collapse_shape %kr5 [[0], [1, 2], [3], [4]] : tensor<?x2x2x?x8xf32> into tensor<?x4x?x8xf32>
  %vr = tensor.collapse_shape %vr5 [[0], [1, 2], [3], [4]] : tensor<?x2x2x?x8xf32> into tensor<?x4x?x8xf32>
  %y = hydra.hybrid_attention %q, %kr, %vr {causal, heads = #hydra.heads<"FFFF">} : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  %l = hydra.hybrid_attention %q, %kr, %vr {heads = #hydra.heads<"FFFL">} : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return %y, %l : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1, d2, d3) -> (0)>
#scalar2 = affine_map<(d0, d1) -> (0)>
#st = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#rep = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#par5 = ["parallel", "parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// torch's opset-18 SDPA: K repeated for GQA and transposed with its heads
// merged ([B·H, T, D] → [B·H, D, T] → [B, H, D, T]), a mask Where(bool, 0,
// lowest float), and the weights guarded by Where(IsNaN(p), 0, p). The
// finite mask masks no row to NaN, so the guard goes and the mask stays a
// float mask; with a -inf mask (@guarded_inf_mask) the guard would differ
// from hydra on rows masked whole, so that one is left alone.

// CHECK-LABEL: func @guarded_merged_gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x3x8xf32>, %[[K:.*]]: tensor<1x2x3x8xf32>, %[[V:.*]]: tensor<1x2x3x8xf32>, %[[M:.*]]: tensor<3x3xi1>)
// CHECK:      %[[BIAS:.*]] = linalg.generic
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] mask(%[[BIAS]] : tensor<3x3xf32>) {heads = #hydra.heads<"FFFF">, scale = 1.000000e+00 : f32}
// CHECK-SAME:   : tensor<1x4x3x8xf32>, tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32> -> tensor<1x4x3x8xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-LABEL: func @guarded_inf_mask
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      linalg.softmax
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      return
func.func @guarded_merged_gqa(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>, %m: tensor<3x3xi1>) -> tensor<1x4x3x8xf32> {
  %zero = arith.constant 0.0 : f32
  %keep = arith.constant dense<0.0> : tensor<1xf32>
  %drop = arith.constant dense<-3.40282347E+38> : tensor<1xf32>
  %em = tensor.empty() : tensor<3x3xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %keep, %drop : tensor<3x3xi1>, tensor<1xf32>, tensor<1xf32>) outs(%em : tensor<3x3xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x3xf32>
  %k5 = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %e5 = tensor.empty() : tensor<1x2x2x3x8xf32>
  %kr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%k5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %v5 = tensor.expand_shape %v [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %vr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%v5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %vr = tensor.collapse_shape %vr5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
  %k3 = tensor.collapse_shape %kr5 [[0, 1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<4x3x8xf32>
  %e3 = tensor.empty() : tensor<4x8x3xf32>
  %kt3 = linalg.transpose ins(%k3 : tensor<4x3x8xf32>) outs(%e3 : tensor<4x8x3xf32>) permutation = [0, 2, 1]
  %kt = tensor.expand_shape %kt3 [[0, 1], [2], [3]] output_shape [1, 4, 8, 3] : tensor<4x8x3xf32> into tensor<1x4x8x3xf32>
  %es = tensor.empty() : tensor<1x4x3x3xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x4x3x8xf32>, tensor<1x4x8x3xf32>) outs(%fs : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%s, %bias : tensor<1x4x3x3xf32>, tensor<3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %eb = tensor.empty() : tensor<1x4x3x3xi1>
  %nan = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4} ins(%p : tensor<1x4x3x3xf32>) outs(%eb : tensor<1x4x3x3xi1>) {
  ^bb0(%a: f32, %o: i1):
    %r = arith.cmpf uno, %a, %a : f32
    linalg.yield %r : i1
  } -> tensor<1x4x3x3xi1>
  %w = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = #par4}
       ins(%nan, %keep, %p : tensor<1x4x3x3xi1>, tensor<1xf32>, tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %eo = tensor.empty() : tensor<1x4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x4x3x8xf32>) -> tensor<1x4x3x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%w, %vr : tensor<1x4x3x3xf32>, tensor<1x4x3x8xf32>) outs(%fo : tensor<1x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}

func.func @guarded_inf_mask(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x3x8xf32>, %v: tensor<1x2x3x8xf32>, %m: tensor<3x3xi1>) -> tensor<1x4x3x8xf32> {
  %zero = arith.constant 0.0 : f32
  %keep = arith.constant dense<0.0> : tensor<1xf32>
  %drop = arith.constant dense<0xFF800000> : tensor<1xf32>
  %em = tensor.empty() : tensor<3x3xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %keep, %drop : tensor<3x3xi1>, tensor<1xf32>, tensor<1xf32>) outs(%em : tensor<3x3xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x3xf32>
  %k5 = tensor.expand_shape %k [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %e5 = tensor.empty() : tensor<1x2x2x3x8xf32>
  %kr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%k5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %v5 = tensor.expand_shape %v [[0], [1], [2, 3], [4]] output_shape [1, 2, 1, 3, 8] : tensor<1x2x3x8xf32> into tensor<1x2x1x3x8xf32>
  %vr5 = linalg.generic {indexing_maps = [#rep, #id5], iterator_types = #par5} ins(%v5 : tensor<1x2x1x3x8xf32>) outs(%e5 : tensor<1x2x2x3x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x2x3x8xf32>
  %vr = tensor.collapse_shape %vr5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
  %k3 = tensor.collapse_shape %kr5 [[0, 1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<4x3x8xf32>
  %e3 = tensor.empty() : tensor<4x8x3xf32>
  %kt3 = linalg.transpose ins(%k3 : tensor<4x3x8xf32>) outs(%e3 : tensor<4x8x3xf32>) permutation = [0, 2, 1]
  %kt = tensor.expand_shape %kt3 [[0, 1], [2], [3]] output_shape [1, 4, 8, 3] : tensor<4x8x3xf32> into tensor<1x4x8x3xf32>
  %es = tensor.empty() : tensor<1x4x3x3xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x4x3x8xf32>, tensor<1x4x8x3xf32>) outs(%fs : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%s, %bias : tensor<1x4x3x3xf32>, tensor<3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %eb = tensor.empty() : tensor<1x4x3x3xi1>
  %nan = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4} ins(%p : tensor<1x4x3x3xf32>) outs(%eb : tensor<1x4x3x3xi1>) {
  ^bb0(%a: f32, %o: i1):
    %r = arith.cmpf uno, %a, %a : f32
    linalg.yield %r : i1
  } -> tensor<1x4x3x3xi1>
  %w = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = #par4}
       ins(%nan, %keep, %p : tensor<1x4x3x3xi1>, tensor<1xf32>, tensor<1x4x3x3xf32>) outs(%es : tensor<1x4x3x3xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x3xf32>
  %eo = tensor.empty() : tensor<1x4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x4x3x8xf32>) -> tensor<1x4x3x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%w, %vr : tensor<1x4x3x3xf32>, tensor<1x4x3x8xf32>) outs(%fo : tensor<1x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}

// -----

#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// Kᵀ made with the head dims merged and no GQA ([B, H, T, D] → [B·H, T, D]
// → [B·H, D, T] → [B, H, D, T]): K is the argument itself.

// CHECK-LABEL: func @merged_transpose
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x3x8xf32>, %[[K:.*]]: tensor<2x4x5x8xf32>, %[[V:.*]]: tensor<2x4x5x8xf32>)
// CHECK:      %[[Y:.*]] = hydra.hybrid_attention %[[Q]], %[[K]], %[[V]] {heads = #hydra.heads<"FFFF">, scale = 1.000000e+00 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @merged_transpose(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x5x8xf32>, %v: tensor<2x4x5x8xf32>) -> tensor<2x4x3x8xf32> {
  %zero = arith.constant 0.0 : f32
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<2x4x5x8xf32> into tensor<8x5x8xf32>
  %e3 = tensor.empty() : tensor<8x8x5xf32>
  %kt3 = linalg.transpose ins(%k3 : tensor<8x5x8xf32>) outs(%e3 : tensor<8x8x5xf32>) permutation = [0, 2, 1]
  %kt = tensor.expand_shape %kt3 [[0, 1], [2], [3]] output_shape [2, 4, 8, 5] : tensor<8x8x5xf32> into tensor<2x4x8x5xf32>
  %es = tensor.empty() : tensor<2x4x3x5xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<2x4x3x5xf32>) -> tensor<2x4x3x5xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<2x4x3x8xf32>, tensor<2x4x8x5xf32>) outs(%fs : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<2x4x3x5xf32>) outs(%es : tensor<2x4x3x5xf32>) -> tensor<2x4x3x5xf32>
  %eo = tensor.empty() : tensor<2x4x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %v : tensor<2x4x3x5xf32>, tensor<2x4x5x8xf32>) outs(%fo : tensor<2x4x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> (0)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// Gemma 2's eager attention: the scores scaled, then capped as
// 3·tanh(x / 3): the factor inside the tanh is the scale.

// CHECK-LABEL: func @scaled_softcap
// CHECK:      hydra.hybrid_attention {{.*}} {heads = #hydra.heads<"F">, scale = 5.000000e-01 : f32, softcap = 3.000000e+00 : f32}
// CHECK-NOT:  math.tanh
func.func @scaled_softcap(%q: tensor<1x1x4x8xf32>, %kt: tensor<1x1x8x4xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %cap = arith.constant dense<3.0> : tensor<1xf32>
  %es = tensor.empty() : tensor<1x1x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x1x4x8xf32>, tensor<1x1x8x4xf32>) outs(%fs : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %s1 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
        ins(%s, %half : tensor<1x1x4x4xf32>, tensor<1xf32>) outs(%es : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
        ins(%s1, %cap : tensor<1x1x4x4xf32>, tensor<1xf32>) outs(%es : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4}
       ins(%s2 : tensor<1x1x4x4xf32>) outs(%es : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.tanh %a : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %c = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = #par4}
       ins(%t, %cap : tensor<1x1x4x4xf32>, tensor<1xf32>) outs(%es : tensor<1x1x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %p = linalg.softmax dimension(3) ins(%c : tensor<1x1x4x4xf32>) outs(%es : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %eo = tensor.empty() : tensor<1x1x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%p, %v : tensor<1x1x4x4xf32>, tensor<1x1x4x8xf32>) outs(%fo : tensor<1x1x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x8xf32>
  return %y : tensor<1x1x4x8xf32>
}

// RUN: hydra-opt %s --hydra-raise-attention --split-input-file | FileCheck %s

// Masks built at run time from positions, as exporters write them: the
// analysis reads each element as a function of its indices and decides,
// for every size, whether the mask is the causal one.

#i1 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>

// key j ≤ query i from two iotas: `causal`, and the mask goes.

// CHECK-LABEL: func @iota_causal
// CHECK:      hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, heads = #hydra.heads<"FF">
// CHECK-NOT:  mask(
func.func @iota_causal(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %k, %c2 : tensor<1x2x?x8xf32>
  %er = tensor.empty(%s) : tensor<?xi64>
  %rows = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %ec = tensor.empty(%t) : tensor<?xi64>
  %cols = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%ec : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %em = tensor.empty(%s, %t) : tensor<?x?xi1>
  %m = linalg.generic {indexing_maps = [#row, #col, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<?xi64>, tensor<?xi64>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %r = arith.cmpi sle, %b, %a : i64
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %y = hydra.hybrid_attention %q, %k, %v mask(%m : tensor<?x?xi1>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %y : tensor<1x2x?x8xf32>
}

// -----

#i1 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>

// Positions as Concat(first, rest + 1) (the pieces agree on one
// expression), the mask a float Where(j ≤ i, 0, −inf), padding and-ed in
// as a constant true: `causal` too.

// CHECK-LABEL: func @where_of_concatenated_positions
// CHECK:      hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, heads = #hydra.heads<"FF">
// CHECK-NOT:  mask(
func.func @where_of_concatenated_positions(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %true = arith.constant dense<true> : tensor<i1>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %ninf = arith.constant dense<0xFF800000> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %s1 = arith.subi %s, %c1 : index
  %e1 = tensor.empty() : tensor<1xi64>
  %first = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%e1 : tensor<1xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<1xi64>
  %er = tensor.empty(%s1) : tensor<?xi64>
  %rest = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %x = arith.index_cast %i : index to i64
    %r = arith.addi %x, %one : i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %pos = tensor.concat dim(0) %first, %rest : (tensor<1xi64>, tensor<?xi64>) -> tensor<?xi64>
  %em = tensor.empty(%s, %s) : tensor<?x?xi1>
  %m = linalg.generic {indexing_maps = [#row, #col, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%pos, %pos, %true : tensor<?xi64>, tensor<?xi64>, tensor<i1>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %p: i1, %o: i1):
    %c = arith.cmpi sge, %a, %b : i64
    %r = arith.andi %c, %p : i1
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %ef = tensor.empty(%s, %s) : tensor<?x?xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %zero, %ninf : tensor<?x?xi1>, tensor<f32>, tensor<f32>) outs(%ef : tensor<?x?xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %y = hydra.hybrid_attention %q, %k, %v mask(%bias : tensor<?x?xf32>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %y : tensor<1x2x?x8xf32>
}

// -----

#i1 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Not causal for every size, so left as masks: a sliding window (j ≤ i and
// i − j < 4: causal only while S ≤ 4), and queries after a past of
// T − S keys (j ≤ i + T − S; `causal` has no offset).

// CHECK-LABEL: func @not_causal
// CHECK:      hydra.hybrid_attention {{.*}} mask(%{{.*}} : tensor<?x?xi1>) {heads
// CHECK:      hydra.hybrid_attention {{.*}} mask(%{{.*}} : tensor<?x?xi1>) {heads
func.func @not_causal(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %c2 = arith.constant 2 : index
  %four = arith.constant 4 : i64
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %k, %c2 : tensor<1x2x?x8xf32>
  %past = arith.subi %t, %s : index
  %er = tensor.empty(%s) : tensor<?xi64>
  %rows = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %late = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %x = arith.addi %i, %past : index
    %r = arith.index_cast %x : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %ec = tensor.empty(%t) : tensor<?xi64>
  %cols = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%ec : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %em = tensor.empty(%s, %t) : tensor<?x?xi1>
  %window = linalg.generic {indexing_maps = [#row, #col, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<?xi64>, tensor<?xi64>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %c = arith.cmpi sle, %b, %a : i64
    %d = arith.subi %a, %b : i64
    %w = arith.cmpi slt, %d, %four : i64
    %r = arith.andi %c, %w : i1
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %offset = linalg.generic {indexing_maps = [#row, #col, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%late, %cols : tensor<?xi64>, tensor<?xi64>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %r = arith.cmpi sle, %b, %a : i64
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %y = hydra.hybrid_attention %q, %k, %v mask(%window : tensor<?x?xi1>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %z = hydra.hybrid_attention %q, %k, %v mask(%offset : tensor<?x?xi1>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %y, %z : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

#i1 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A mask that keeps every key (j ≥ 0) goes; one that `causal` already
// implies (j ≤ i + 1 on a causal op) goes too, the op staying causal.

// CHECK-LABEL: func @redundant
// CHECK:      hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {heads = #hydra.heads<"FF">
// CHECK:      hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, heads = #hydra.heads<"FF">
// CHECK-NOT:  mask(
func.func @redundant(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %k, %c2 : tensor<1x2x?x8xf32>
  %er = tensor.empty(%s) : tensor<?xi64>
  %rows = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %ec = tensor.empty(%t) : tensor<?xi64>
  %cols = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%ec : tensor<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<?xi64>
  %em = tensor.empty(%s, %t) : tensor<?x?xi1>
  %all = linalg.generic {indexing_maps = [#row, #col, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<?xi64>, tensor<?xi64>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %r = arith.cmpi sge, %b, %zero : i64
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %wide = linalg.generic {indexing_maps = [#row, #col, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<?xi64>, tensor<?xi64>) outs(%em : tensor<?x?xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %a1 = arith.addi %a, %one : i64
    %r = arith.cmpi sle, %b, %a1 : i64
    linalg.yield %r : i1
  } -> tensor<?x?xi1>
  %y = hydra.hybrid_attention %q, %k, %v mask(%all : tensor<?x?xi1>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %z = hydra.hybrid_attention %q, %k, %v mask(%wide : tensor<?x?xi1>) {causal, heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %y, %z : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

#i1 = affine_map<(d0) -> (d0)>
#row2 = affine_map<(d0, d1) -> (d0)>
#col2 = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
#st = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#lhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#rhs = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
#par4 = ["parallel", "parallel", "parallel", "parallel"]
#mm = ["parallel", "parallel", "parallel", "parallel", "reduction"]

// torch's opset-18 SDPA guard Where(IsNaN(p), 0, p) under a −inf mask
// built at run time: raised where the mask keeps key 0 for every query (a
// decode step, j ≤ i + 2), left where it does not (j ≤ i − 1 drops all of
// row 0, whose guarded weights are 0, not hydra's NaN).

// CHECK-LABEL: func @guarded_decode_mask
// CHECK:      hydra.hybrid_attention {{.*}} mask(
// CHECK-NOT:  linalg.softmax
// CHECK-LABEL: func @guarded_row_masked_whole
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      linalg.softmax
// CHECK-NOT:  hydra.hybrid_attention
// CHECK:      return
func.func @guarded_decode_mask(%q: tensor<1x2x3x8xf32>, %kt: tensor<1x2x8x5xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x3x8xf32> {
  %offset = arith.constant 2 : i64
  %e = tensor.empty() : tensor<3x5xi1>
  %zero = arith.constant 0.0 : f32
  %keep = arith.constant dense<0.0> : tensor<f32>
  %drop = arith.constant dense<0xFF800000> : tensor<f32>
  %er = tensor.empty() : tensor<3xi64>
  %rows = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<3xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %x = arith.index_cast %i : index to i64
    %r = arith.addi %x, %offset : i64
    linalg.yield %r : i64
  } -> tensor<3xi64>
  %ec = tensor.empty() : tensor<5xi64>
  %cols = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%ec : tensor<5xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<5xi64>
  %m = linalg.generic {indexing_maps = [#row2, #col2, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<3xi64>, tensor<5xi64>) outs(%e : tensor<3x5xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %r = arith.cmpi sle, %b, %a : i64
    linalg.yield %r : i1
  } -> tensor<3x5xi1>
  %em = tensor.empty() : tensor<3x5xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %keep, %drop : tensor<3x5xi1>, tensor<f32>, tensor<f32>) outs(%em : tensor<3x5xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x5xf32>
  %es = tensor.empty() : tensor<1x2x3x5xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x2x3x8xf32>, tensor<1x2x8x5xf32>) outs(%fs : tensor<1x2x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%s, %bias : tensor<1x2x3x5xf32>, tensor<3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %eb = tensor.empty() : tensor<1x2x3x5xi1>
  %nan = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4} ins(%p : tensor<1x2x3x5xf32>) outs(%eb : tensor<1x2x3x5xi1>) {
  ^bb0(%a: f32, %o: i1):
    %r = arith.cmpf uno, %a, %a : f32
    linalg.yield %r : i1
  } -> tensor<1x2x3x5xi1>
  %w = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = #par4}
       ins(%nan, %keep, %p : tensor<1x2x3x5xi1>, tensor<f32>, tensor<1x2x3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %eo = tensor.empty() : tensor<1x2x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %o = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%w, %v : tensor<1x2x3x5xf32>, tensor<1x2x5x8xf32>) outs(%fo : tensor<1x2x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

func.func @guarded_row_masked_whole(%q: tensor<1x2x3x8xf32>, %kt: tensor<1x2x8x5xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x3x8xf32> {
  %offset = arith.constant -1 : i64
  %e = tensor.empty() : tensor<3x5xi1>
  %zero = arith.constant 0.0 : f32
  %keep = arith.constant dense<0.0> : tensor<f32>
  %drop = arith.constant dense<0xFF800000> : tensor<f32>
  %er = tensor.empty() : tensor<3xi64>
  %rows = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%er : tensor<3xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %x = arith.index_cast %i : index to i64
    %r = arith.addi %x, %offset : i64
    linalg.yield %r : i64
  } -> tensor<3xi64>
  %ec = tensor.empty() : tensor<5xi64>
  %cols = linalg.generic {indexing_maps = [#i1], iterator_types = ["parallel"]} outs(%ec : tensor<5xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  } -> tensor<5xi64>
  %m = linalg.generic {indexing_maps = [#row2, #col2, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%rows, %cols : tensor<3xi64>, tensor<5xi64>) outs(%e : tensor<3x5xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %r = arith.cmpi sle, %b, %a : i64
    linalg.yield %r : i1
  } -> tensor<3x5xi1>
  %em = tensor.empty() : tensor<3x5xf32>
  %bias = linalg.generic {indexing_maps = [#id2, #scalar2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
          ins(%m, %keep, %drop : tensor<3x5xi1>, tensor<f32>, tensor<f32>) outs(%em : tensor<3x5xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<3x5xf32>
  %es = tensor.empty() : tensor<1x2x3x5xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%q, %kt : tensor<1x2x3x8xf32>, tensor<1x2x8x5xf32>) outs(%fs : tensor<1x2x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %x = linalg.generic {indexing_maps = [#id, #st, #id], iterator_types = #par4}
       ins(%s, %bias : tensor<1x2x3x5xf32>, tensor<3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %p = linalg.softmax dimension(3) ins(%x : tensor<1x2x3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  %eb = tensor.empty() : tensor<1x2x3x5xi1>
  %nan = linalg.generic {indexing_maps = [#id, #id], iterator_types = #par4} ins(%p : tensor<1x2x3x5xf32>) outs(%eb : tensor<1x2x3x5xi1>) {
  ^bb0(%a: f32, %o: i1):
    %r = arith.cmpf uno, %a, %a : f32
    linalg.yield %r : i1
  } -> tensor<1x2x3x5xi1>
  %w = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = #par4}
       ins(%nan, %keep, %p : tensor<1x2x3x5xi1>, tensor<f32>, tensor<1x2x3x5xf32>) outs(%es : tensor<1x2x3x5xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %r = arith.select %c, %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x5xf32>
  %eo = tensor.empty() : tensor<1x2x3x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  %o = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = #mm}
       ins(%w, %v : tensor<1x2x3x5xf32>, tensor<1x2x5x8xf32>) outs(%fo : tensor<1x2x3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %o, %mm : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Trilu(upper, k) of a −∞ fill, as older exporters write the causal mask
// (torch.triu(full(min), 1)): 0 on and below the diagonal, −∞ above. k = 1
// is `causal`; k = 2 keeps one key too many and stays a mask.

// CHECK-LABEL: func @trilu_of_fill
// CHECK:      hydra.hybrid_attention %{{.*}}, %{{.*}}, %{{.*}} {causal, heads = #hydra.heads<"FF">
// CHECK:      hydra.hybrid_attention {{.*}} mask(%{{.*}} : tensor<?x?xf32>) {heads
func.func @trilu_of_fill(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %two = arith.constant 2 : i64
  %ninf = arith.constant 0xFF800000 : f32
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %e = tensor.empty(%s, %s) : tensor<?x?xf32>
  %full = linalg.fill ins(%ninf : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %triu1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
           ins(%full : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %j64 = arith.index_cast %j : index to i64
    %d = arith.subi %j64, %i64 : i64
    %keep = arith.cmpi sge, %d, %one : i64
    %r = arith.select %keep, %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %triu2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
           ins(%full : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %i64 = arith.index_cast %i : index to i64
    %j64 = arith.index_cast %j : index to i64
    %d = arith.subi %j64, %i64 : i64
    %keep = arith.cmpi sge, %d, %two : i64
    %r = arith.select %keep, %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %y = hydra.hybrid_attention %q, %k, %v mask(%triu1 : tensor<?x?xf32>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %z = hydra.hybrid_attention %q, %k, %v mask(%triu2 : tensor<?x?xf32>) {heads = #hydra.heads<"FF">, scale = 0.125 : f32} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %y, %z : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

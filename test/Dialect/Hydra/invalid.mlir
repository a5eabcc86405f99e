// RUN: hydra-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the hydra ops and attributes.

func.func @f(%q: tensor<2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'query' must be rank 4 [B, Hq, S, Dk], got rank 3}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' must be rank 4 [B, Hkv, T, Dk], got rank 3}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8x1xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' must be rank 4 [B, Hkv, T, Dv], got rank 5}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8x1xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xi32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'query' element type must be f32, f16 or bf16, got 'i32'}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xi32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf16>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' element type 'f16' does not match 'query' element type 'f32'}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf16>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xbf16>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' element type 'bf16' does not match 'query' element type 'f32'}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xbf16> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x?x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'query' head count (dim 1) must be static}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x?x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x?xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'query' head size (dim 3) must be static}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x?xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x?x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' head count (dim 1) must be static}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x?x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x?xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' head size (dim 3) must be static}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x?xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x?xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' head size (dim 3) must be static}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x?xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' batch (dim 0) is 2 but 'query' batch (dim 0) is 1}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<3x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' batch (dim 0) is 3 but 'query' batch (dim 0) is 1}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<3x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'key' head size (dim 3) is 16 but 'query' head size (dim 3) is 8}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' head count (dim 1) is 1 but 'key' head count (dim 1) is 2}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'value' length (dim 2) is 5 but 'key' length (dim 2) is 4}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x6x4x8xf32>, %k: tensor<1x4x4x8xf32>, %v: tensor<1x4x4x8xf32>) -> tensor<1x6x4x8xf32> {
  // expected-error @+1 {{'query' head count (6) must be a positive multiple of 'key' head count (4)}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FFFFFF">}
       : tensor<1x6x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x6x4x8xf32>
  return %y : tensor<1x6x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'heads' has 3 entries but 'query' has 2 heads}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FLL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x16xf32> {
  // expected-error @+1 {{'result' shape [1, 2, 4, 16] does not match [B, heads, S, Dv] = [1, 2, 4, 8]}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x16xf32>
  return %y : tensor<1x2x4x16xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf16> {
  // expected-error @+1 {{'result' element type 'f16' does not match 'query' element type 'f32'}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf16>
  return %y : tensor<1x2x4x8xf16>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %g: tensor<2x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'fusion_scale' shape [2, 4] does not match [Hq, Dv] = [2, 8]}}
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<2x4xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %g: tensor<2x8xi8>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'fusion_scale' element type must be f32, f16 or bf16, got 'i8'}}
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<2x8xi8>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<4x4xf16>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'mask' element type must be i1 or the query element type 'f32', got 'f16'}}
  %y = hydra.hybrid_attention %q, %k, %v mask(%m : tensor<4x4xf16>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<4xi1>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'mask' must be rank 2 to 4 (broadcast to [B, Hq, S, T]), got rank 1}}
  %y = hydra.hybrid_attention %q, %k, %v mask(%m : tensor<4xi1>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<3x4xi1>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'mask' shape [3, 4] does not broadcast to [B, Hq, S, T] = [1, 2, 4, 4] (dim 0)}}
  %y = hydra.hybrid_attention %q, %k, %v mask(%m : tensor<3x4xi1>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{update_rule 'gated' needs a 'decay' operand}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<gated>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %d: tensor<1x2x4xf32>, %b: tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'decay' is only allowed with the gated rules, not with update_rule 'delta'}}
  %y = hydra.hybrid_attention %q, %k, %v decay(%d : tensor<1x2x4xf32>) beta(%b : tensor<1x2x4xf32>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<delta>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %d: tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{update_rule 'gated_delta' needs a 'beta' operand}}
  %y = hydra.hybrid_attention %q, %k, %v decay(%d : tensor<1x2x4xf32>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<gated_delta>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %b: tensor<1x2x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'beta' is only allowed with the delta rules, not with update_rule 'linear'}}
  %y = hydra.hybrid_attention %q, %k, %v beta(%b : tensor<1x2x4xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %d: tensor<1x2x5xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'decay' shape [1, 2, 5] matches neither [B, Hkv, T] = [1, 2, 4] nor [B, Hkv, T, Dk] = [1, 2, 4, 8]}}
  %y = hydra.hybrid_attention %q, %k, %v decay(%d : tensor<1x2x5xf32>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<gated>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %d: tensor<1x2x4xi32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'decay' element type must be f32, f16 or bf16, got 'i32'}}
  %y = hydra.hybrid_attention %q, %k, %v decay(%d : tensor<1x2x4xi32>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<gated>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %b: tensor<1x3x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'beta' shape [1, 3, 4] does not match [B, Hkv or 1, T] = [1, 2, 4]}}
  %y = hydra.hybrid_attention %q, %k, %v beta(%b : tensor<1x3x4xf32>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<delta>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %b: tensor<1x2x4xi1>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'beta' element type must be f32, f16 or bf16, got 'i1'}}
  %y = hydra.hybrid_attention %q, %k, %v beta(%b : tensor<1x2x4xi1>) {heads = #hydra.heads<"FL">, update_rule = #hydra.update_rule<delta>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{linear heads need 'query' length (S = 3) equal to 'key' length (T = 4)}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">}
       : tensor<1x2x3x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'fusion_epsilon' must be finite and >= 0, got -1.000000e+00}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">, fusion_epsilon = -1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'softcap' must be > 0 when given, got 0.000000e+00}}
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FL">, softcap = 0.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{head map entry 1 is 'X'; expected 'F' (full) or 'L' (linear)}}
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FX">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{head map must name at least one head}}
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+2 {{expected ::mlir::hydra::UpdateRule to be one of: linear, gated, delta, gated_delta}}
  // expected-error @+1 {{failed to parse Hydra_UpdateRuleAttr parameter 'value'}}
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"L">, update_rule = #hydra.update_rule<mamba>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{operands must be all tensors or all memrefs; 'init' is a memref but an operand is 'tensor<1x2x4x8xf32>'}}
  hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, memref<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{on tensors, the op must have one result of each destination's type, the 'init' type 'tensor<1x2x4x8xf32>' first}}
  hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: memref<1x2x4x8xf32>, %o: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{on memrefs, the op has no results}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'heads' must list at least one query head}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'heads' entry 1 is 2, outside [0, 2)}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0, 2>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'heads' must be strictly increasing; entry 1 is 0 after 1}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 1, 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x3x4x8xf32>) {
  // expected-error @+1 {{'init' must hold all 2 query heads or the op's 1 heads, got shape [1, 3, 4, 8]}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x3x4x8xf32> -> tensor<1x3x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'init' shape [1, 2, 4, 4] does not match [B, heads, S, Dv] = [1, 2, 4, 8]}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4x4xi1>) {
  // expected-error @+1 {{'mask' must be rank 2 to 4 (broadcast to [B, Hq, S, T]), got rank 5}}
  %y = hydra.full_attention %q, %q, %q mask(%m : tensor<1x1x1x4x4xi1>) into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>, %g: tensor<3x8xf32>) {
  // expected-error @+1 {{'fusion_scale' shape [3, 8] does not match [Hq, Dv] = [2, 8]}}
  %y = hydra.full_attention %q, %q, %q fusion_scale(%g : tensor<3x8xf32>) into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'softcap' must be > 0 when given, got -2.000000e+00}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32, softcap = -2.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{update_rule 'delta' needs a 'beta' operand}}
  %y = hydra.linear_attention %q, %q, %q into %o {heads = array<i64: 0>, scale = 1.0 : f32, update_rule = #hydra.update_rule<delta>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>, %g: tensor<2x4xf32>) {
  // expected-error @+1 {{'fusion_scale' shape [2, 4] does not match [Hq, Dv] = [2, 8]}}
  %y = hydra.linear_attention %q, %q, %q fusion_scale(%g : tensor<2x4xf32>) into %o {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>, %d: tensor<1x2x4x7xf32>) {
  // expected-error @+1 {{'decay' shape [1, 2, 4, 7] matches neither [B, Hkv, T] = [1, 2, 4] nor [B, Hkv, T, Dk] = [1, 2, 4, 8]}}
  %y = hydra.linear_attention %q, %q, %q decay(%d : tensor<1x2x4x7xf32>) into %o {heads = array<i64: 0>, scale = 1.0 : f32, update_rule = #hydra.update_rule<gated>}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'heads' entry 0 is -1, outside [0, 2)}}
  %y = hydra.linear_attention %q, %q, %q into %o {heads = array<i64: -1>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @f(%f: tensor<1x1x4x8xf32>, %l: tensor<1x1x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{result must be rank 4 [B, Hq, S, Dv], got rank 3}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x4x8xf32>) linear(%l : tensor<1x1x4x8xf32>) {heads = #hydra.heads<"FL">} : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

func.func @f(%f: tensor<1x1x4x8xf32>, %l: tensor<1x1x4x8xf32>) -> tensor<1x3x4x8xf32> {
  // expected-error @+1 {{result head count (dim 1) must be the 2 heads of 'heads', got [1, 3, 4, 8]}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x4x8xf32>) linear(%l : tensor<1x1x4x8xf32>) {heads = #hydra.heads<"FL">} : tensor<1x3x4x8xf32>
  return %y : tensor<1x3x4x8xf32>
}

// -----

func.func @f(%l: tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full' is missing: 'heads' has 1 'F' heads}}
  %y = hydra.scale_norm_merge linear(%l : tensor<1x1x4x8xf32>) {heads = #hydra.heads<"FL">} : tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%f: tensor<1x2x4x8xf32>, %l: tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'linear' is given but 'heads' has no 'L' head}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x2x4x8xf32>) linear(%l : tensor<1x1x4x8xf32>) {heads = #hydra.heads<"FF">} : tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%f: tensor<1x1x4x8xf32>, %l: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'linear' shape [1, 2, 4, 8] does not match [B, #L, S, Dv] = [1, 1, 4, 8]}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x4x8xf32>) linear(%l : tensor<1x2x4x8xf32>) {heads = #hydra.heads<"FL">} : tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%f: tensor<1x1x4x8xf16>, %l: tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full' element type 'f16' does not match the result element type 'f32'}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x4x8xf16>) linear(%l : tensor<1x1x4x8xf32>) {heads = #hydra.heads<"FL">} : tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%f: tensor<1x1x4x8xf32>, %l: tensor<1x1x4x8xf32>, %g: tensor<2xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'fusion_scale' shape [2] does not match [Hq, Dv] = [2, 8]}}
  %y = hydra.scale_norm_merge full(%f : tensor<1x1x4x8xf32>) linear(%l : tensor<1x1x4x8xf32>) fusion_scale(%g : tensor<2xf32>) {heads = #hydra.heads<"FL">} : tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %s: tensor<1x2x8x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'initial_state' shape [1, 2, 8, 4] does not match [B, Hkv_L, Dk, Dv] = [1, 2, 8, 8]}}
  %y = hydra.hybrid_attention %q, %q, %q initial_state(%s : tensor<1x2x8x4xf32>) {heads = #hydra.heads<"LL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

// A state holds only the kv heads that L heads read (Hkv_L): kv head 0 has
// none here.
func.func @f(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error @+1 {{'final_state' shape [1, 2, 8, 8] does not match [B, Hkv_L, Dk, Dv] = [1, 1, 8, 8]}}
  %y, %s = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>, tensor<1x2x8x8xf32>
  return %s : tensor<1x2x8x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %s: tensor<1x2x8x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'initial_state' is given but 'heads' has no 'L' head}}
  %y = hydra.hybrid_attention %q, %q, %q initial_state(%s : tensor<1x2x8x8xf32>) {heads = #hydra.heads<"FF">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %c: tensor<1x1x?x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full_key' and 'full_value' come together}}
  %y = hydra.hybrid_attention %q, %q, %q full_key(%c : tensor<1x1x?x8xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %c: tensor<1x1x?x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full_key' is given but 'heads' has no 'F' head}}
  %y = hydra.hybrid_attention %q, %q, %q full_key(%c : tensor<1x1x?x8xf32>) full_value(%c : tensor<1x1x?x8xf32>) {heads = #hydra.heads<"LL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

// Only kv head 0 has an F head: the caches hold one kv head.
func.func @f(%q: tensor<1x2x4x8xf32>, %c: tensor<1x2x?x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full_key' shape [1, 2, ?, 8] does not match [B, Hkv_F, T', D] = [1, 1, ?, 8]}}
  %y = hydra.hybrid_attention %q, %q, %q full_key(%c : tensor<1x2x?x8xf32>) full_value(%c : tensor<1x2x?x8xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %c: tensor<1x1x9x8xf16>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full_key' element type 'f16' does not match the query element type 'f32'}}
  %y = hydra.hybrid_attention %q, %q, %q full_key(%c : tensor<1x1x9x8xf16>) full_value(%c : tensor<1x1x9x8xf16>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x1x9x8xf32>, %v: tensor<1x1x7x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'full_key' has 9 keys but 'full_value' 7}}
  %y = hydra.hybrid_attention %q, %q, %q full_key(%k : tensor<1x1x9x8xf32>) full_value(%v : tensor<1x1x7x8xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

// Against caches the mask spans their keys (T' = 9), not key's 4.
func.func @f(%q: tensor<1x2x4x8xf32>, %c: tensor<1x1x9x8xf32>, %m: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'mask' shape [4, 4] does not broadcast to [B, Hq, S, T] = [1, 2, 4, 9] (dim 1)}}
  %y = hydra.hybrid_attention %q, %q, %q mask(%m : tensor<4x4xi1>) full_key(%c : tensor<1x1x9x8xf32>) full_value(%c : tensor<1x1x9x8xf32>) {heads = #hydra.heads<"FL">}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x1x4x8xf32>, %o: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'kv_heads' has 1 entries but 'heads' lists 2}}
  %y = hydra.full_attention %q, %k, %k into %o {heads = array<i64: 0, 1>, kv_heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %k: tensor<1x1x4x8xf32>, %o: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'kv_heads' entry 1 is 1, outside [0, 1)}}
  %y = hydra.full_attention %q, %k, %k into %o {heads = array<i64: 0, 1>, kv_heads = array<i64: 0, 1>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'end_aligned' moves the causal diagonal; it needs 'causal'}}
  %y = hydra.full_attention %q, %q, %q into %o {heads = array<i64: 0>, end_aligned, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

// Heads 0 and 1 read kv head 0, heads 2 and 3 kv head 1: one state each.
func.func @f(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %o: tensor<1x4x4x8xf32>, %s: tensor<1x2x8x8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{'state_heads' entry 1 (state 1) breaks the rule that the heads of one kv head share one state and heads of other kv heads do not}}
  %y = hydra.linear_attention %q, %k, %k initial_state(%s : tensor<1x2x8x8xf32>) into %o {heads = array<i64: 0, 1, 2>, state_heads = array<i64: 0, 1, 1>, scale = 1.0 : f32}
       : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %o: tensor<1x4x4x8xf32>, %s: tensor<1x1x8x8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{'state_heads' entry 0 is 1, outside [0, 1)}}
  %y = hydra.linear_attention %q, %k, %k initial_state(%s : tensor<1x1x8x8xf32>) into %o {heads = array<i64: 2, 3>, state_heads = array<i64: 1, 1>, scale = 1.0 : f32}
       : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %o: tensor<1x4x4x8xf32>, %s: tensor<1x2x8x8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{'state_heads' has 1 entries but 'heads' lists 2}}
  %y = hydra.linear_attention %q, %k, %k initial_state(%s : tensor<1x2x8x8xf32>) into %o {heads = array<i64: 2, 3>, state_heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}

// -----

func.func @f(%q: tensor<1x2x4x8xf32>, %o: tensor<1x2x4x8xf32>, %s: tensor<1x2x8x8xi32>) {
  // expected-error @+1 {{'final_state' element type must be f32, f16 or bf16, got 'i32'}}
  %y:2 = hydra.linear_attention %q, %q, %q into %o, final_state(%s : tensor<1x2x8x8xi32>) {heads = array<i64: 0, 1>, scale = 1.0 : f32}
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>, tensor<1x2x8x8xi32>
  return
}

// -----

func.func @f(%x: tensor<4x8xi32>, %g: tensor<8xi32>) -> tensor<4x8xi32> {
  // expected-error @+1 {{input, scale and result must share one float element type}}
  %y = hydra.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xi32>, tensor<8xi32> -> tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{result shape [4, 4] must be the input shape [4, 8]}}
  %y = hydra.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'axis' must be in [0, 2), got 2}}
  %y = hydra.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @f(%x: tensor<8xf32>, %g: tensor<1x8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{scale [1, 8] has more dimensions than the input}}
  %y = hydra.rms_norm %x, %g {axis = 0 : i64, epsilon = 1.0e-5 : f32} : tensor<8xf32>, tensor<1x8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{scale [4] does not broadcast to the input [4, 8]}}
  %y = hydra.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @f(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'epsilon' must be finite and >= 0, got -1}}
  %y = hydra.rms_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @work_bad_term(%n: index) {
  // expected-error @+1 {{'hydra.work' op 'flops' terms must be [coefficient, size index...] with a float coefficient}}
  hydra.work sizes(%n) flops [[1, 0]] bytes []
  return
}

// -----

func.func @work_bad_index(%n: index) {
  // expected-error @+1 {{'hydra.work' op 'bytes' term names size 3 : i64 of 1}}
  hydra.work sizes(%n) flops [] bytes [[1.0, 3]]
  return
}

// -----

func.func @size_check_without_note(%n: index) {
  // expected-error @+1 {{'hydra.size_check' op needs a note saying what the check means}}
  hydra.size_check %n, %n, ""
  return
}

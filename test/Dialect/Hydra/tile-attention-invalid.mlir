// RUN: hydra-opt %s --hydra-tile-attention -split-input-file -verify-diagnostics
// RUN: not hydra-opt %s --split-input-file --hydra-tile-attention=key-tile=0 2>&1 | FileCheck %s --check-prefix=OPTION

// OPTION: hydra-tile-attention: 'key-tile' must be positive, got 0

// hydra-tile-attention works on buffers: tensor-level ops are reported.

func.func @on_tensors(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{not supported by hydra-tile-attention: it tiles bufferized part ops; run hydra-split-heads, hydra-fuse-merge and one-shot-bufferize first}}
  %y = hydra.full_attention %q, %q, %q into %q {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %y : tensor<1x1x4x8xf32>
}

// -----

func.func @hybrid(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{not supported by hydra-tile-attention}}
  %y = hydra.hybrid_attention %q, %q, %q {heads = #hydra.heads<"F">}
       : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %y : tensor<1x1x4x8xf32>
}

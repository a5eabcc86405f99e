// RUN: hydra-opt %s --hydra-tile-attention-gpu -split-input-file -verify-diagnostics

func.func @on_tensors(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{not supported by hydra-tile-attention-gpu: it tiles bufferized part ops; run hydra-split-heads, hydra-fuse-merge and one-shot-bufferize first}}
  %y = hydra.full_attention %q, %q, %q into %q {heads = array<i64: 0>, scale = 1.0 : f32}
       : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %y : tensor<1x1x4x8xf32>
}

// -----

func.func @head_dims_too_large(%q: memref<1x1x4x256xf32>, %v: memref<1x1x4x128xf32>, %o: memref<1x1x4x128xf32>) {
  // expected-error @+1 {{not supported on GPU targets: head dimensions 256 and 128 need 65664 bytes of shared memory a block (at most 49152)}}
  hydra.full_attention %q, %q, %v into %o {heads = array<i64: 0>, scale = 1.0 : f32}
      : memref<1x1x4x256xf32>, memref<1x1x4x256xf32>, memref<1x1x4x128xf32>, memref<1x1x4x128xf32>
  return
}

// -----

func.func @linear_value_dim_too_large(%q: memref<1x1x4x8xf32>, %v: memref<1x1x4x264xf32>, %o: memref<1x1x4x264xf32>) {
  // expected-error @+1 {{not supported on GPU targets: value head dimension 264 (at most 256)}}
  hydra.linear_attention %q, %q, %v into %o {heads = array<i64: 0>, scale = 1.0 : f32}
      : memref<1x1x4x8xf32>, memref<1x1x4x8xf32>, memref<1x1x4x264xf32>, memref<1x1x4x264xf32>
  return
}

// -----

func.func @linear_chunk_does_not_fit(%q: memref<1x1x4x2048xf32>, %v: memref<1x1x4x256xf32>, %o: memref<1x1x4x256xf32>) {
  // expected-error @+1 {{not supported on GPU targets: head dimensions 2048 and 256 do not fit a chunk in shared memory}}
  hydra.linear_attention %q, %q, %v into %o {heads = array<i64: 0>, scale = 1.0 : f32}
      : memref<1x1x4x2048xf32>, memref<1x1x4x2048xf32>, memref<1x1x4x256xf32>, memref<1x1x4x256xf32>
  return
}

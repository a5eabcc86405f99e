// RUN: hydra-opt %s --hydra-transpose-views --split-input-file | FileCheck %s

// An export's linear attention: Q, K, V as [B, T, H·D] reshaped and
// transposed to [B, H, T, D], the output transposed back. The three input
// copies become views of the inputs, the output copy a view of the result
// buffer (moved up to before the op that writes it); the decay's transpose
// moves its last dimension and stays a copy.

// CHECK-LABEL: func @export_spelling
// CHECK-SAME: (%[[Q:.*]]: memref<1x8x64xf32>, %[[K:.*]]: memref<1x8x64xf32>, %[[V:.*]]: memref<1x8x64xf32>, %[[D:.*]]: memref<1x8x4xf32>)
// CHECK-NOT:    linalg.transpose ins(%{{.*}} : memref<1x8x4x16xf32>)
// CHECK:        %[[QX:.*]] = memref.expand_shape %[[Q]]
// CHECK:        %[[QV:.*]] = memref.transpose %[[QX]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<1x8x4x16xf32> to memref<1x4x8x16xf32, strided<[512, 16, 64, 1]>>
// CHECK:        %[[KV:.*]] = memref.transpose
// CHECK:        %[[VV:.*]] = memref.transpose
// CHECK:        %[[DC:.*]] = memref.alloc() {{.*}} : memref<1x4x8xf32>
// CHECK:        linalg.transpose ins(%[[D]] : memref<1x8x4xf32>) outs(%[[DC]] : memref<1x4x8xf32>) permutation = [0, 2, 1]
// CHECK:        %[[Y:.*]] = memref.alloc() {{.*}} : memref<1x8x4x16xf32>
// CHECK:        %[[YV:.*]] = memref.transpose %[[Y]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<1x8x4x16xf32> to memref<1x4x8x16xf32, strided<[512, 16, 64, 1]>>
// CHECK:        hydra.linear_attention %[[QV]], %[[KV]], %[[VV]] decay(%[[DC]] : memref<1x4x8xf32>) into %[[YV]]
// CHECK-NOT:    linalg.transpose
// CHECK:        %[[OUT:.*]] = memref.collapse_shape %[[Y]]
// CHECK:        return %[[OUT]]
func.func @export_spelling(%q: memref<1x8x64xf32>, %k: memref<1x8x64xf32>, %v: memref<1x8x64xf32>,
                           %d: memref<1x8x4xf32>) -> memref<1x8x64xf32> {
  %qx = memref.expand_shape %q [[0], [1], [2, 3]] output_shape [1, 8, 4, 16] : memref<1x8x64xf32> into memref<1x8x4x16xf32>
  %qc = memref.alloc() {alignment = 64 : i64} : memref<1x4x8x16xf32>
  linalg.transpose ins(%qx : memref<1x8x4x16xf32>) outs(%qc : memref<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %kx = memref.expand_shape %k [[0], [1], [2, 3]] output_shape [1, 8, 4, 16] : memref<1x8x64xf32> into memref<1x8x4x16xf32>
  %kc = memref.alloc() {alignment = 64 : i64} : memref<1x4x8x16xf32>
  linalg.transpose ins(%kx : memref<1x8x4x16xf32>) outs(%kc : memref<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %vx = memref.expand_shape %v [[0], [1], [2, 3]] output_shape [1, 8, 4, 16] : memref<1x8x64xf32> into memref<1x8x4x16xf32>
  %vc = memref.alloc() {alignment = 64 : i64} : memref<1x4x8x16xf32>
  linalg.transpose ins(%vx : memref<1x8x4x16xf32>) outs(%vc : memref<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %dc = memref.alloc() {alignment = 64 : i64} : memref<1x4x8xf32>
  linalg.transpose ins(%d : memref<1x8x4xf32>) outs(%dc : memref<1x4x8xf32>) permutation = [0, 2, 1]
  %o = memref.alloc() {alignment = 64 : i64} : memref<1x4x8x16xf32>
  hydra.linear_attention %qc, %kc, %vc decay(%dc : memref<1x4x8xf32>) into %o
    {heads = array<i64: 0, 1, 2, 3>, scale = 0.25 : f32, update_rule = #hydra.update_rule<gated>}
    : memref<1x4x8x16xf32>, memref<1x4x8x16xf32>, memref<1x4x8x16xf32>, memref<1x4x8x16xf32>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x16xf32>
  linalg.transpose ins(%o : memref<1x4x8x16xf32>) outs(%y : memref<1x8x4x16xf32>) permutation = [0, 2, 1, 3]
  %out = memref.collapse_shape %y [[0], [1], [2, 3]] : memref<1x8x4x16xf32> into memref<1x8x64xf32>
  return %out : memref<1x8x64xf32>
}

// -----

// Full and linear heads of one layer read the same transposed Q, K and V
// and write one output: one view each, shared.

// CHECK-LABEL: func @hybrid_parts
// CHECK-COUNT-2: memref.transpose
// CHECK-NOT:    memref.alloc
// CHECK:        hydra.full_attention %[[X:.*]], %[[X]], %[[X]] into %[[Y:[^ ]*]]
// CHECK:        hydra.linear_attention %[[X]], %[[X]], %[[X]] into %[[Y]]
// CHECK-NOT:    linalg.transpose
func.func @hybrid_parts(%x: memref<1x8x2x16xf32>, %y: memref<1x8x2x16xf32>) {
  %xc = memref.alloc() : memref<1x2x8x16xf32>
  linalg.transpose ins(%x : memref<1x8x2x16xf32>) outs(%xc : memref<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
  %o = memref.alloc() : memref<1x2x8x16xf32>
  hydra.full_attention %xc, %xc, %xc into %o {heads = array<i64: 0>, scale = 0.25 : f32, causal}
    : memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>
  hydra.linear_attention %xc, %xc, %xc into %o {heads = array<i64: 1>, scale = 0.25 : f32}
    : memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>
  linalg.transpose ins(%o : memref<1x2x8x16xf32>) outs(%y : memref<1x8x2x16xf32>) permutation = [0, 2, 1, 3]
  memref.dealloc %xc : memref<1x2x8x16xf32>
  memref.dealloc %o : memref<1x2x8x16xf32>
  return
}

// -----

// Copies that stay: one read by an op other than attention, one whose
// source is written after the copy and before attention reads it, and an
// output that something else reads too.

// CHECK-LABEL: func @copies_that_stay
// CHECK-NOT:    memref.transpose
// CHECK-COUNT-3: linalg.transpose
// CHECK-NOT:    memref.transpose
func.func @copies_that_stay(%x: memref<1x8x2x16xf32>, %y: memref<1x8x2x16xf32>,
                            %z: memref<1x2x8x16xf32>) {
  %xc = memref.alloc() : memref<1x2x8x16xf32>
  linalg.transpose ins(%x : memref<1x8x2x16xf32>) outs(%xc : memref<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
  memref.copy %xc, %z : memref<1x2x8x16xf32> to memref<1x2x8x16xf32>
  %yc = memref.alloc() : memref<1x2x8x16xf32>
  linalg.transpose ins(%y : memref<1x8x2x16xf32>) outs(%yc : memref<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
  memref.copy %x, %y : memref<1x8x2x16xf32> to memref<1x8x2x16xf32>
  %o = memref.alloc() : memref<1x2x8x16xf32>
  hydra.linear_attention %xc, %yc, %yc into %o {heads = array<i64: 0, 1>, scale = 0.25 : f32}
    : memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>
  memref.copy %o, %z : memref<1x2x8x16xf32> to memref<1x2x8x16xf32>
  linalg.transpose ins(%o : memref<1x2x8x16xf32>) outs(%x : memref<1x8x2x16xf32>) permutation = [0, 2, 1, 3]
  return
}

// -----

// Bufferization gave V's dead copy and the output's transposed result one
// buffer: attention reads V from it while it writes the output, so
// neither the V copy nor the output copy becomes a view (the Q and K
// copies do).

// CHECK-LABEL: func @reused_buffer
// CHECK:        %[[BUF:.*]] = memref.alloc() {{.*}} : memref<2x4x4x8xf32>
// CHECK-COUNT-2: memref.transpose
// CHECK-NOT:    memref.transpose
// CHECK:        linalg.transpose ins(%{{.*}} : memref<2x4x4x8xf32>) outs(%[[BUF]] : memref<2x4x4x8xf32>)
// CHECK:        hydra.linear_attention %{{.*}}, %{{.*}}, %[[BUF]] into %[[O:[^ ,]*]]
// CHECK:        linalg.transpose ins(%[[O]] : memref<2x4x4x8xf32>) outs(%[[BUF]] : memref<2x4x4x8xf32>)
func.func @reused_buffer(%q: memref<2x4x4x8xf32>, %k: memref<2x4x4x8xf32>, %v: memref<2x4x4x8xf32>)
    -> memref<2x4x4x8xf32> {
  %buf = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x8xf32>
  %qc = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x8xf32>
  linalg.transpose ins(%q : memref<2x4x4x8xf32>) outs(%qc : memref<2x4x4x8xf32>) permutation = [0, 2, 1, 3]
  %kc = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x8xf32>
  linalg.transpose ins(%k : memref<2x4x4x8xf32>) outs(%kc : memref<2x4x4x8xf32>) permutation = [0, 2, 1, 3]
  linalg.transpose ins(%v : memref<2x4x4x8xf32>) outs(%buf : memref<2x4x4x8xf32>) permutation = [0, 2, 1, 3]
  %o = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x8xf32>
  hydra.linear_attention %qc, %kc, %buf into %o {heads = array<i64: 0, 1, 2, 3>, scale = 0.35 : f32}
    : memref<2x4x4x8xf32>, memref<2x4x4x8xf32>, memref<2x4x4x8xf32>, memref<2x4x4x8xf32>
  linalg.transpose ins(%o : memref<2x4x4x8xf32>) outs(%buf : memref<2x4x4x8xf32>) permutation = [0, 2, 1, 3]
  return %buf : memref<2x4x4x8xf32>
}

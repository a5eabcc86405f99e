// RUN: hydra-opt %s --split-input-file --hydra-tile-contractions="row-tile=2 column-tile=16 row-block=4 column-block=32 depth-block=8" | FileCheck %s
// RUN: not hydra-opt %s --split-input-file --hydra-tile-contractions="column-tile=24" 2>&1 | FileCheck %s --check-prefix=BAD-NR
// RUN: not hydra-opt %s --split-input-file --hydra-tile-contractions="row-tile=3 row-block=4" 2>&1 | FileCheck %s --check-prefix=BAD-MB
// RUN: not hydra-opt %s --split-input-file --hydra-tile-contractions="prefetch-distance=-1" 2>&1 | FileCheck %s --check-prefix=BAD-PF
// RUN: hydra-opt %s --split-input-file --hydra-tile-contractions="row-tile=2 column-tile=16 row-block=4 column-block=32 depth-block=8 prefetch-distance=0" | FileCheck %s --check-prefix=NO-PF
// RUN: hydra-opt %s --split-input-file --hydra-tile-contractions="row-tile=2 column-tile=16 row-block=4 column-block=32 depth-block=8 weight-type=bf16" | FileCheck %s --check-prefix=BF16
// RUN: not hydra-opt %s --split-input-file --hydra-tile-contractions="weight-type=f16" 2>&1 | FileCheck %s --check-prefix=BAD-WT

// BAD-NR: hydra-tile-contractions: 'column-tile' must be a positive multiple of 16
// BAD-MB: hydra-tile-contractions: 'row-block' and 'column-block' must be positive multiples of 'row-tile' and 'column-tile'
// BAD-PF: hydra-tile-contractions: 'prefetch-distance' must not be negative
// NO-PF-NOT: memref.prefetch
// BAD-WT: hydra-tile-contractions: 'weight-type' must be f32 or bf16, not 'f16'

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// A product after a zero fill: a forall over blocks of C (37 rows in
// blocks of 4, 77 columns in blocks of 32). Per depth block: a block of
// fewer rows than a strip (a decode step) reads B in place, the row taking
// all of the block's columns at once; otherwise B is packed a vector at a
// time (its rows run along n) into [panels][depth][16], each strip of 2
// rows of A is copied contiguous, and the micro-kernel runs on them, the
// rows of a last partial strip one at a time. Accumulators start from zero
// on the first depth block (the fill is folded) and from C on the others;
// columns past N are masked.
// CHECK-LABEL: func @fill_then_product
// CHECK-NOT:     linalg.fill
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[M:.*]] = arith.constant 37 : index
// CHECK-DAG:     %[[N:.*]] = arith.constant 77 : index
// CHECK:         %[[MBS:.*]] = arith.ceildivui %[[M]], %c4
// CHECK:         %[[NBS:.*]] = arith.ceildivui %[[N]], %c32
// CHECK:         scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (%[[ONE]], %[[MBS]], %[[NBS]])
// CHECK:           hydra.work sizes() flops {{\[\[}}1.709400e+06]]
// CHECK:           %[[PACK:.*]] = memref.alloca() : memref<2x8x16xf32>
// CHECK:           %[[STRIP:.*]] = memref.alloca() : memref<2x16xf32>
// CHECK:           scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %c8
// CHECK:             %[[FEW:.*]] = arith.cmpi ult, %{{.*}}, %c2
// CHECK:             scf.if %[[FEW]] {
// CHECK:               scf.for {{.*}} iter_args(%{{.*}}, %{{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2:         vector.maskedload %{{.*}} : memref<300x77xf32>
// CHECK:                 memref.load %{{.*}} : memref<37x300xf32>
// CHECK-COUNT-2:         vector.fma
// CHECK-COUNT-2:       vector.maskedstore %{{.*}} : memref<37x77xf32>
// CHECK:             } else {
// CHECK:               vector.maskedload %{{.*}} : memref<300x77xf32>, vector<16xi1>, vector<16xf32>
// CHECK:               vector.store %{{.*}}, %[[PACK]]
// CHECK:               scf.for %{{.*}} = %{{.*}} to %[[FULL:.*]] step %c2
// CHECK:                 vector.maskedload %{{.*}} : memref<37x300xf32>
// CHECK:                 vector.store %{{.*}}, %[[STRIP]]
// CHECK:                 vector.maskedload %{{.*}} : memref<37x300xf32>
// CHECK:                 vector.store %{{.*}}, %[[STRIP]]
// CHECK:                 %[[FIRST:.*]] = arith.cmpi eq, %[[K0]]
// CHECK:                 vector.maskedload %{{.*}} : memref<37x77xf32>
// CHECK:                 arith.select %[[FIRST]]
// CHECK:                 scf.for {{.*}} iter_args
// CHECK:                   %[[AHEAD:.*]] = arith.minui
// CHECK:                   memref.prefetch %[[PACK]][%{{.*}}, %[[AHEAD]], %{{.*}}], read, locality<3>, data
// CHECK:                   vector.load %[[PACK]]
// CHECK:                   memref.load %[[STRIP]]
// CHECK:                   vector.broadcast
// CHECK:                   vector.fma
// CHECK:                   memref.load %[[STRIP]]
// CHECK:                   vector.broadcast
// CHECK:                   vector.fma
// CHECK-COUNT-2:         vector.maskedstore %{{.*}} : memref<37x77xf32>, vector<16xi1>, vector<16xf32>
// CHECK:               scf.for %{{.*}} = %[[FULL]] to %{{.*}} step %c1
// CHECK:                 scf.for {{.*}} iter_args
// CHECK:                   vector.load %[[PACK]]
// CHECK:                   memref.load %{{.*}} : memref<37x300xf32>
// CHECK-COUNT-1:           vector.fma
// CHECK:                 vector.maskedstore
// CHECK-NOT:     linalg.generic
func.func @fill_then_product(%x: memref<37x300xf32>, %w: memref<300x77xf32>, %y: memref<37x77xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<37x77xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<37x300xf32>, memref<300x77xf32>) outs(%y : memref<37x77xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A batch broadcast in A (constant index) and B read along k (transposed):
// the batch is the forall's outer index, B is packed one element at a time
// and the lanes of a panel past N are zeroed. Without a fill before it the
// product accumulates onto C from the start. Dynamic sizes come from the
// operands.
// CHECK-LABEL: func @broadcast_transposed
// CHECK:         %[[B:.*]] = memref.dim %arg2, %{{.*}} : memref<?x?x?xf32>
// CHECK:         scf.forall ({{.*}}) in (%[[B]], %{{.*}}, %{{.*}})
// CHECK:           memref.load %{{.*}} : memref<?x?xf32>
// CHECK:           memref.store %{{.*}} : memref<2x8x16xf32>
// CHECK:           memref.store %{{.*}} : memref<2x8x16xf32>
// CHECK-NOT:       arith.select
// CHECK:           vector.maskedload %{{.*}} : memref<?x?x?xf32>
// CHECK:           vector.fma
// CHECK-NOT:     linalg.generic
#a1 = affine_map<(b, m, n, k) -> (0, m, k)>
#b1 = affine_map<(b, m, n, k) -> (n, k)>
#c1 = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @broadcast_transposed(%x: memref<1x?x?xf32>, %w: memref<?x?xf32>, %y: memref<?x?x?xf32>) {
  linalg.generic {indexing_maps = [#a1, #b1, #c1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<1x?x?xf32>, memref<?x?xf32>) outs(%y : memref<?x?x?xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %q, %p : f32
    %1 = arith.addf %0, %acc : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A fill is not folded when the depth may be 0 (C must still be zeroed).
// CHECK-LABEL: func @dynamic_depth
// CHECK:         linalg.fill
// CHECK:         scf.forall
func.func @dynamic_depth(%x: memref<8x?xf32>, %w: memref<?x16xf32>, %y: memref<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<8x16xf32>)
  linalg.matmul ins(%x, %w : memref<8x?xf32>, memref<?x16xf32>) outs(%y : memref<8x16xf32>)
  return
}

// -----

// Left alone: f16 (the body accumulates in f16), a body that is not a
// multiply-accumulate, two reduction loops, C without unit-stride rows, and
// a B of under 64 × 64 elements whose rows do not run along n (a small
// transposed weight: packing it would not pay).
// CHECK-LABEL: func @left_alone
// CHECK-NOT:     scf.forall
// CHECK-COUNT-5: linalg.
// CHECK-NOT:     scf.forall
#a2 = affine_map<(m, n, k) -> (m, k)>
#b2 = affine_map<(m, n, k) -> (k, n)>
#c2 = affine_map<(m, n, k) -> (m, n)>
#a3 = affine_map<(m, n, k, l) -> (m, k, l)>
#b3 = affine_map<(m, n, k, l) -> (k, l, n)>
#c3 = affine_map<(m, n, k, l) -> (m, n)>
func.func @left_alone(%h: memref<4x128xf16>, %hw: memref<128x64xf16>, %hy: memref<4x64xf16>,
                      %x: memref<4x128xf32>, %w: memref<128x64xf32>, %y: memref<4x64xf32>,
                      %x3: memref<4x128x2xf32>, %w3: memref<128x2x64xf32>,
                      %ys: memref<4x64xf32, strided<[1, 4]>>,
                      %xs: memref<4x32xf32>, %ws: memref<64x32xf32>) {
  linalg.matmul ins(%h, %hw : memref<4x128xf16>, memref<128x64xf16>) outs(%hy : memref<4x64xf16>)
  linalg.generic {indexing_maps = [#a2, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x128xf32>, memref<128x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.addf %p, %q : f32
    %1 = arith.maximumf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x3, %w3 : memref<4x128x2xf32>, memref<128x2x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.matmul ins(%x, %w : memref<4x128xf32>, memref<128x64xf32>) outs(%ys : memref<4x64xf32, strided<[1, 4]>>)
  linalg.generic {indexing_maps = [#a2, affine_map<(m, n, k) -> (n, k)>, #c2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xs, %ws : memref<4x32xf32>, memref<64x32xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A B of under 64 × 64 elements with rows along n (a tiny model's
// projection): every row of C alone, B read in place, nothing packed; the
// row's accumulators cover N = 24 (two vectors, the second masked), not a
// whole column block.
// CHECK-LABEL: func @small_b
// CHECK-NOT:     memref.alloca
// CHECK:         scf.forall
// CHECK-NOT:     memref.alloca
// CHECK:           scf.for
// CHECK:             scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2:       vector.maskedload %{{.*}} : memref<24x24xf32>
// CHECK-COUNT-2:       vector.fma
// CHECK-NOT:     memref.alloca
// CHECK:         return
func.func @small_b(%x: memref<5x24xf32>, %w: memref<24x24xf32>, %y: memref<5x24xf32>) {
  linalg.matmul ins(%x, %w : memref<5x24xf32>, memref<24x24xf32>) outs(%y : memref<5x24xf32>)
  return
}

// -----

// Constant weights are packed at compile time into [N / nr][K][nr] panels
// (zero past N), once per weight and orientation; the products read the
// panels (no run-time packing buffer for B, only A's strip), and a weight
// nothing else reads is dropped. Here a (k, n) and an (n, k) use of 80 x 64
// constants: two panel constants of 4 (k, n: N = 64) and 5 (n, k: N = 80)
// panels of 16 columns.
// CHECK-LABEL:   memref.global "private" constant @w_panels16 : memref<4x80x16xf32> = dense<2.500000e-01> {alignment = 64 : i64}
// CHECK-NOT:     memref.global "private" constant @w :
// CHECK:         memref.global "private" constant @wt_panels16 : memref<5x64x16xf32>
// CHECK-NOT:     memref.global "private" constant @wt :
// CHECK-LABEL: func @packed_weights
// CHECK:         %[[P:.*]] = memref.get_global @w_panels16 : memref<4x80x16xf32>
// CHECK:         scf.forall
// CHECK-COUNT-1:   memref.alloca() : memref<2x16xf32>
// CHECK-NOT:       memref.alloca
// CHECK:           vector.maskedload %[[P]]
// CHECK:           vector.load %[[P]]
// CHECK:         %[[Q:.*]] = memref.get_global @wt_panels16 : memref<5x64x16xf32>
// CHECK:         scf.forall
// CHECK:           vector.load %[[Q]]
// weight-type=bf16: the panels rounded to bf16 (0.25 and 0.5 are exact),
// each row widened to f32 as it is loaded; the products accumulate in f32.
// BF16-LABEL:   memref.global "private" constant @w_panels16_bf16 : memref<4x80x16xbf16> = dense<2.500000e-01>
// BF16:         memref.global "private" constant @wt_panels16_bf16 : memref<5x64x16xbf16> = dense<5.000000e-01>
// BF16-LABEL: func @packed_weights
// BF16:         %[[P:.*]] = memref.get_global @w_panels16_bf16
// BF16:           %[[ROW:.*]] = vector.maskedload %[[P]]{{.*}} : memref<4x80x16xbf16>, vector<16xi1>, vector<16xbf16> into vector<16xbf16>
// BF16:           arith.extf %[[ROW]] : vector<16xbf16> to vector<16xf32>
// BF16:           %[[PR:.*]] = vector.load %[[P]]{{.*}} : memref<4x80x16xbf16>, vector<16xbf16>
// BF16:           arith.extf %[[PR]] : vector<16xbf16> to vector<16xf32>
// BF16:           vector.fma {{.*}} : vector<16xf32>
#pk = affine_map<(m, n, k) -> (m, k)>
#pn = affine_map<(m, n, k) -> (n, k)>
#pc = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<80x64xf32> = dense<0.25>
memref.global "private" constant @wt : memref<80x64xf32> = dense<0.5>
func.func @packed_weights(%x: memref<?x80xf32>, %y: memref<?x64xf32>,
                          %x2: memref<?x64xf32>, %y2: memref<?x80xf32>) {
  %w = memref.get_global @w : memref<80x64xf32>
  linalg.matmul ins(%x, %w : memref<?x80xf32>, memref<80x64xf32>) outs(%y : memref<?x64xf32>)
  %wt = memref.get_global @wt : memref<80x64xf32>
  linalg.generic {indexing_maps = [#pk, #pn, #pc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x2, %wt : memref<?x64xf32>, memref<80x64xf32>) outs(%y2 : memref<?x80xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

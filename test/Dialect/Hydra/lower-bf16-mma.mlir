// RUN: hydra-opt %s --hydra-lower-bf16-mma --split-input-file -verify-diagnostics | FileCheck %s

// bf16 mma.sync m16n8k16 into f32 as nvvm.mma.sync: A's four rows and B's
// two rows of bf16 pairs as i32 registers, C's four f32 elements, the
// result struct's four f32 back into the 2x2 accumulator. f16 is left to
// upstream's convert-nvgpu-to-nvvm.

// CHECK-LABEL: func.func @bf16
// CHECK-SAME:    (%[[A:.*]]: vector<4x2xbf16>, %[[B:.*]]: vector<2x2xbf16>, %[[C:.*]]: vector<2x2xf32>)
// CHECK:         %[[A0:.*]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK:         %[[A0W:.*]] = vector.bitcast %[[A0]] : vector<2xbf16> to vector<1xi32>
// CHECK:         %[[A0R:.*]] = vector.extract %[[A0W]][0] : i32 from vector<1xi32>
// CHECK-COUNT-3: vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK:         %[[B0:.*]] = vector.extract %[[B]][0] : vector<2xbf16> from vector<2x2xbf16>
// CHECK:         vector.bitcast %[[B0]] : vector<2xbf16> to vector<1xi32>
// CHECK:         vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK:         %[[C00:.*]] = vector.extract %[[C]][0, 0]
// CHECK:         vector.extract %[[C]][0, 1]
// CHECK:         vector.extract %[[C]][1, 0]
// CHECK:         vector.extract %[[C]][1, 1]
// CHECK:         %[[M:.*]] = nvvm.mma.sync A[%[[A0R]], %{{.*}}, %{{.*}}, %{{.*}}] B[%{{.*}}, %{{.*}}] C[%[[C00]], %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME:      layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME:      multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME:      shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME:      (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:         %[[D0:.*]] = llvm.extractvalue %[[M]][0]
// CHECK:         vector.insert %[[D0]], %{{.*}} [0, 0]
// CHECK:         %[[D1:.*]] = llvm.extractvalue %[[M]][1]
// CHECK:         vector.insert %[[D1]], %{{.*}} [0, 1]
// CHECK:         %[[D2:.*]] = llvm.extractvalue %[[M]][2]
// CHECK:         vector.insert %[[D2]], %{{.*}} [1, 0]
// CHECK:         %[[D3:.*]] = llvm.extractvalue %[[M]][3]
// CHECK:         %[[R:.*]] = vector.insert %[[D3]], %{{.*}} [1, 1]
// CHECK:         return %[[R]]
// CHECK-NOT:     nvgpu.mma.sync
// CHECK-LABEL: func.func @f16
// CHECK:         nvgpu.mma.sync
func.func @bf16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

func.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

// -----

func.func @bf16_k8(%a: vector<2x2xbf16>, %b: vector<1x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  // expected-error @+1 {{not supported: bf16 mma.sync other than m16n8k16 into a 2x2 f32 accumulator}}
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xbf16>, vector<1x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

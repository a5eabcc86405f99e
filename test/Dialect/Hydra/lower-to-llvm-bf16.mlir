// RUN: hydra-opt %s --split-input-file --hydra-lower-to-llvm | FileCheck %s

// bf16 arithmetic runs in f32 and bf16 conversions leave the CPU pipeline
// as integer arithmetic: an llvm.fptrunc to bf16 (also the one LLVM adds
// after promoting a bf16 fmul) becomes a call to __truncsfbf2 on CPUs
// without AVX512-BF16, which the kernels (linked with libm and libc only)
// lack.

// CHECK-LABEL: llvm.func @round
// CHECK-NOT:     llvm.fptrunc
// CHECK-NOT:     llvm.fpext
// Round to nearest even: the kept half's last bit plus 0x7fff, then the
// upper 16 bits; NaN becomes the quiet 0x7fc0.
// CHECK-DAG:     llvm.mlir.constant(32767 : i32)
// CHECK-DAG:     llvm.mlir.constant(32704 : i16)
// CHECK:         llvm.trunc %{{.*}} : i32 to i16
// CHECK:         llvm.bitcast %{{.*}} : i16 to bf16
// bf16 to f32 is the bits shifted up.
// CHECK:         llvm.shl
// CHECK:         llvm.bitcast %{{.*}} : i32 to f32
// CHECK-LABEL: llvm.func @_mlir_ciface_round
func.func @round(%x: f32, %y: bf16) -> (bf16, f32) {
  %t = arith.truncf %x : f32 to bf16
  %e = arith.extf %y : bf16 to f32
  return %t, %e : bf16, f32
}

// -----

// Vectors too.
// CHECK-LABEL: llvm.func @round_vector
// CHECK-NOT:     llvm.fptrunc
// CHECK:         llvm.bitcast %{{.*}} : vector<8xi16> to vector<8xbf16>
func.func @round_vector(%x: vector<8xf32>) -> vector<8xbf16> {
  %t = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  return %t : vector<8xbf16>
}

// -----

// Arithmetic in f32, rounded back once.
// CHECK-LABEL: llvm.func @multiply
// CHECK-NOT:     llvm.fptrunc
// CHECK:         llvm.fmul %{{.*}}, %{{.*}} : f32
// CHECK:         llvm.bitcast %{{.*}} : i16 to bf16
func.func @multiply(%x: bf16, %y: bf16) -> bf16 {
  %p = arith.mulf %x, %y : bf16
  return %p : bf16
}

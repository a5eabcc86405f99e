// RUN: hydra-opt %s --hydra-kernels-to-gpu-module="chips=sm_80,sm_90" --split-input-file -verify-diagnostics | FileCheck %s
// RUN: not hydra-opt %s --hydra-kernels-to-gpu-module="chips=gfx90a" --split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not hydra-opt %s --hydra-kernels-to-gpu-module --split-input-file 2>&1 | FileCheck %s --check-prefix=NOCHIPS

// A block kernel becomes a gpu.func kernel of one gpu.module with an NVVM
// target per chip: its workgroup buffers attributions (16-byte aligned, for
// cp.async and ldmatrix), its block size
// known, one resident block an SM its minimum. A function that is no
// kernel stays where it is.

// CHIP: not supported: GPU chip 'gfx90a' (sm_75 or later
// NOCHIPS: hydra-kernels-to-gpu-module needs chips

// CHECK:       module attributes {gpu.container_module}
// CHECK:       gpu.module @hydra_kernels [#nvvm.target<O = 3, chip = "sm_80">, #nvvm.target<O = 3, chip = "sm_90">]
// CHECK:         gpu.func @kernel(%[[A:.*]]: memref<64xf32>, %{{.*}}: index, %{{.*}}: index) workgroup(%[[W:.*]] : memref<32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[H:.*]] : memref<8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK-SAME:      known_block_size = array<i32: 32, 1, 1>
// CHECK-SAME:      nvvm.minctasm = 1 : i32
// CHECK:           %[[T:.*]] = gpu.thread_id{{ +}}x
// CHECK:           %[[X:.*]] = memref.load %[[A]][%[[T]]]
// CHECK:           memref.store %[[X]], %[[W]][%[[T]]]
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[W]]
// CHECK:           gpu.return
// CHECK-NOT:     memref.alloc
// CHECK:       func.func @host
// CHECK-NOT:   func.func @kernel
func.func @kernel(%a: memref<64xf32>, %begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %t = gpu.thread_id x
  %w = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
  %h = memref.alloc() : memref<8xf16, #gpu.address_space<workgroup>>
  %x = memref.load %a[%t] : memref<64xf32>
  memref.store %x, %w[%t] : memref<32xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  %c0 = arith.constant 0 : index
  %y = memref.load %w[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
  memref.store %y, %a[%t] : memref<64xf32>
  return
}

func.func @host(%a: memref<64xf32>) {
  return
}

// -----

// expected-error @+1 {{'func.func' op is not a GPU block kernel (run hydra-outline-kernels{gpu})}}
func.func @cpu_kernel(%a: memref<64xf32>, %begin: index, %end: index) attributes {hydra.kernel} {
  return
}

// -----

func.func @dynamic_shared(%a: memref<64xf32>, %n: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  // expected-error @+1 {{'memref.alloc' op not supported: a dynamic shared buffer}}
  %w = memref.alloc(%n) : memref<?xf32, #gpu.address_space<workgroup>>
  return
}

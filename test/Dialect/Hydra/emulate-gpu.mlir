// RUN: hydra-opt %s --hydra-emulate-gpu --split-input-file -verify-diagnostics | FileCheck %s

// A GPU block kernel made runnable by the runtime's GPU emulator: two
// trailing arguments (the block's shared memory, the thread's context),
// thread and block ids loaded from the context, barrier, shuffle and
// mma.sync called through it, workgroup buffers as views of the shared
// memory at their offsets (each from a 16-byte boundary, as ptxas lays
// out `.shared .align 16`: the 10-byte buffer's successor starts at 144).

// CHECK-LABEL: func.func @kernel
// CHECK-SAME:    (%[[A:.*]]: memref<64xf32>, %[[B:.*]]: index, %[[E:.*]]: index, %[[SHARED:.*]]: memref<?xi8>, %[[CTX:.*]]: !llvm.ptr)
// CHECK:         %[[FRAG:.*]] = memref.alloca() : memref<16xf32>
// CHECK:         %[[TSLOT:.*]] = llvm.getelementptr %[[CTX]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[TID64:.*]] = llvm.load %[[TSLOT]] : !llvm.ptr -> i64
// CHECK:         %[[TID:.*]] = arith.index_cast %[[TID64]] : i64 to index
// CHECK:         llvm.getelementptr %[[CTX]][1]
// CHECK:         %[[W0:.*]] = memref.view %[[SHARED]][%c0{{.*}}][] : memref<?xi8> to memref<32xf32>
// CHECK:         %[[W1:.*]] = memref.view %[[SHARED]][%c128{{.*}}][] : memref<?xi8> to memref<5xf16>
// CHECK:         memref.view %[[SHARED]][%c144{{.*}}][] : memref<?xi8> to memref<4xf32>
// CHECK:         memref.store %{{.*}}, %[[W0]][%[[TID]]]
// CHECK:         %[[BSLOT:.*]] = llvm.getelementptr %[[CTX]][3]
// CHECK:         %[[BFN:.*]] = llvm.load %[[BSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[BFN]](%[[CTX]]) : !llvm.ptr, (!llvm.ptr) -> ()
// CHECK:         %[[SFN:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[SH:.*]] = llvm.call %[[SFN]](%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, f32, i32, i32) -> f32
// mma.sync: 8 + 4 + 4 operand elements (as f32) into the fragment, the
// call, D read back from elements 12 to 15.
// CHECK-COUNT-16: memref.store %{{.*}}, %[[FRAG]]
// CHECK:         llvm.call %{{.*}}(%[[CTX]], %{{.*}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr) -> ()
// CHECK:         memref.load %[[FRAG]][%c12
// CHECK-NOT:     gpu.
// CHECK-NOT:     nvgpu.
func.func @kernel(%a: memref<64xf32>, %begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %t = gpu.thread_id x
  %blk = gpu.block_id x
  %w = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
  %h = memref.alloc() : memref<5xf16, #gpu.address_space<workgroup>>
  %z = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
  %x = memref.load %a[%t] : memref<64xf32>
  memref.store %x, %w[%t] : memref<32xf32, #gpu.address_space<workgroup>>
  gpu.barrier
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  %y, %ok = gpu.shuffle xor %x, %one, %width : f32
  %fa = arith.constant dense<1.0> : vector<4x2xf16>
  %fb = arith.constant dense<1.0> : vector<2x2xf16>
  %fc = vector.broadcast %y : f32 to vector<2x2xf32>
  %d = nvgpu.mma.sync(%fa, %fb, %fc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  %e = vector.extract %d[1, 1] : f32 from vector<2x2xf32>
  %o = arith.addi %t, %blk : index
  memref.store %e, %a[%o] : memref<64xf32>
  return
}

// -----

// cp.async copies become loads and stores done on the spot (a valid
// schedule of the asynchronous copy), commits and waits go away. Elements
// past the copy's srcElements are zeros: each reads the copy's first
// source element instead (no branch) and selects zero. bf16 mma operands
// widen on their bits (the high half of an f32).

// CHECK-LABEL: func.func @async_copy
// CHECK-SAME:    (%[[G:.*]]: memref<4x16xbf16>, %[[N:[^:]*]]: index
// CHECK:         %[[W:.*]] = memref.view {{.*}} to memref<4x16xbf16>
// CHECK-COUNT-7: memref.load %[[G]]
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %c7{{.*}}, %[[N]]
// CHECK:         %[[AT:.*]] = arith.select %[[IN]], %c7{{.*}}, %c0
// CHECK:         %[[COL:.*]] = arith.addi %{{.*}}, %[[AT]]
// CHECK:         %[[X:.*]] = memref.load %[[G]][%{{.*}}, %[[COL]]]
// CHECK:         %[[Z:.*]] = arith.select %[[IN]], %[[X]], %{{.*}} : bf16
// CHECK:         memref.store %[[Z]], %[[W]]
// CHECK:         vector.bitcast %{{.*}} : vector<4x2xbf16> to vector<4x2xi16>
// CHECK:         arith.extui %{{.*}} : i16 to i32
// CHECK:         arith.shli
// CHECK:         arith.bitcast %{{.*}} : i32 to f32
// CHECK-NOT:     nvvm.
// CHECK-NOT:     nvgpu.
func.func @async_copy(%g: memref<4x16xbf16>, %n: index, %begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %t = gpu.thread_id x
  %c0 = arith.constant 0 : index
  %w = memref.alloc() : memref<4x16xbf16, #gpu.address_space<workgroup>>
  %tok = nvgpu.device_async_copy %g[%t, %c0], %w[%t, %c0], 8, %n {bypassL1} : memref<4x16xbf16> to memref<4x16xbf16, #gpu.address_space<workgroup>>
  nvvm.cp.async.commit.group
  nvvm.cp.async.wait.group 0
  gpu.barrier
  %a = vector.load %w[%t, %c0] : memref<4x16xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
  %fa = vector.broadcast %a : vector<2xbf16> to vector<4x2xbf16>
  %fb = arith.constant dense<1.0> : vector<2x2xbf16>
  %fc = arith.constant dense<0.0> : vector<2x2xf32>
  %d = nvgpu.mma.sync(%fa, %fb, %fc) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return
}

// -----

// ldmatrix: the lane's row offset goes round the warp (an index shuffle
// per element), each lane reads its elements at the offsets it received,
// as integers of their width.
// CHECK-LABEL: func.func @ldmatrix
// CHECK:         %[[W:.*]] = memref.view {{.*}} to memref<16x16xf16>
// CHECK-COUNT-8: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, f32, i32, i32) -> f32
// CHECK:         vector.bitcast %{{.*}} : vector<4x2xi16> to vector<4x2xf16>
// CHECK-NOT:     nvgpu.ldmatrix
func.func @ldmatrix(%begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %t = gpu.thread_id x
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %w = memref.alloc() : memref<16x16xf16, #gpu.address_space<workgroup>>
  %row = arith.remui %t, %c16 : index
  %m = nvgpu.ldmatrix %w[%row, %c0] {numTiles = 4 : i32, transpose = true} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
  %fb = arith.constant dense<1.0> : vector<2x2xf16>
  %fc = arith.constant dense<0.0> : vector<2x2xf32>
  %d = nvgpu.mma.sync(%m, %fb, %fc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return
}

// -----

func.func @thread_y(%a: memref<64xf32>, %begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  // expected-error @+1 {{not supported by the GPU emulator: thread dimensions other than x}}
  %t = gpu.thread_id y
  %z = arith.constant 0.0 : f32
  memref.store %z, %a[%t] : memref<64xf32>
  return
}

// -----

func.func @dynamic_shared(%a: memref<64xf32>, %n: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  // expected-error @+1 {{not supported by the GPU emulator: a dynamic shared buffer}}
  %w = memref.alloc(%n) : memref<?xf32, #gpu.address_space<workgroup>>
  return
}

// -----

func.func @other_gpu_op(%a: memref<64xf32>) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  // expected-error @+1 {{'gpu.lane_id' op not supported by the GPU emulator}}
  %l = gpu.lane_id
  return
}

// -----

func.func @ldmatrix_3d(%begin: index, %end: index) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %c0 = arith.constant 0 : index
  %w = memref.alloc() : memref<2x16x16xf16, #gpu.address_space<workgroup>>
  // expected-error @+1 {{not supported by the GPU emulator: ldmatrix from other than a static 2-D row-major tile}}
  %m = nvgpu.ldmatrix %w[%c0, %c0, %c0] {numTiles = 4 : i32, transpose = false} : memref<2x16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
  return
}

// -----

func.func @wide_shuffle(%a: memref<64xi32>) attributes {hydra.kernel, hydra.block_size = 32 : i64} {
  %c0 = arith.constant 0 : index
  %x = memref.load %a[%c0] : memref<64xi32>
  %one = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  // expected-error @+1 {{not supported by the GPU emulator: shuffles other than f32 over a warp}}
  %y, %ok = gpu.shuffle xor %x, %one, %width : i32
  return
}

// -----

// CPU kernels (no hydra.block_size) are left alone.
// CHECK-LABEL: func.func @cpu_kernel
// CHECK-SAME:    (%{{.*}}: memref<64xf32>, %{{.*}}: index, %{{.*}}: index)
func.func @cpu_kernel(%a: memref<64xf32>, %begin: index, %end: index) attributes {hydra.kernel} {
  return
}

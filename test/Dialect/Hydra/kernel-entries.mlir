// RUN: hydra-opt %s --hydra-kernel-entries | FileCheck %s

// A packed entry is added for kernels only, reading each C-interface
// argument through argv: descriptors by pointer, i64s by value. The kernel
// and its C interface become internal (inlined into the entry, emitted
// once); functions that are not kernels keep their linkage.

// CHECK:       llvm.func internal @k(
// CHECK:       llvm.func internal @_mlir_ciface_k(
// CHECK:       llvm.func @not_a_kernel(
// CHECK:       llvm.func @_mlir_ciface_not_a_kernel(

// CHECK-LABEL: llvm.func @hydra_entry_k(
// CHECK-SAME:    %[[ARGV:.*]]: !llvm.ptr) {
// CHECK:         %[[S0:.*]] = llvm.getelementptr %[[ARGV]][0]
// CHECK:         %[[D0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[S1:.*]] = llvm.getelementptr %[[ARGV]][1]
// CHECK:         %[[P1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[B:.*]] = llvm.load %[[P1]] : !llvm.ptr -> i64
// CHECK:         %[[S2:.*]] = llvm.getelementptr %[[ARGV]][2]
// CHECK:         %[[P2:.*]] = llvm.load %[[S2]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[E:.*]] = llvm.load %[[P2]] : !llvm.ptr -> i64
// CHECK:         llvm.call @_mlir_ciface_k(%[[D0]], %[[B]], %[[E]])
// CHECK:         llvm.return
// CHECK-NOT:   @hydra_entry_not_a_kernel

llvm.func @k(%p: !llvm.ptr, %b: i64, %e: i64) attributes {hydra.kernel, llvm.emit_c_interface} {
  llvm.return
}
llvm.func @_mlir_ciface_k(%d: !llvm.ptr, %b: i64, %e: i64) attributes {hydra.kernel, llvm.emit_c_interface} {
  llvm.return
}
llvm.func @not_a_kernel(%p: !llvm.ptr) attributes {llvm.emit_c_interface} {
  llvm.return
}
llvm.func @_mlir_ciface_not_a_kernel(%p: !llvm.ptr) attributes {llvm.emit_c_interface} {
  llvm.return
}

// RUN: hydra-opt %s --hydra-drop-size-checks | FileCheck %s

// The artifact takes its size checks from the tensor-level function
// (hydra-compile); the pipelines then drop the ops, and the values only
// they used go with canonicalization.

// CHECK-LABEL: func @checks
// CHECK-NOT:     hydra.size_check
// CHECK:         %[[E:.*]] = tensor.extract
// CHECK:         return %[[E]]
func.func @checks(%shape: tensor<2xi64>, %x: tensor<?xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.extract %shape[%c1] : tensor<2xi64>
  %n = arith.index_cast %e : i64 to index
  %d = tensor.dim %x, %c0 : tensor<?xf32>
  hydra.size_check %n, %d, "node 'r' (Reshape): the shape does not keep the input's element count"
  return %e : i64
}

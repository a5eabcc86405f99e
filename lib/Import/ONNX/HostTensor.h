//===- HostTensor.h - constant tensors known at import time ----*- C++ -*-===//

#ifndef HYDRA_LIB_IMPORT_ONNX_HOSTTENSOR_H
#define HYDRA_LIB_IMPORT_ONNX_HOSTTENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "onnx/onnx_pb.h"

#include <string>
#include <vector>

namespace mlir::hydra::onnx_import {

/// A dense tensor whose value the importer knows: initializers, Constant
/// nodes, and the results of folding shape computations on them. Values
/// are kept as little-endian bytes of the ONNX element type.
struct HostTensor {
  int32_t elemType = 0; // onnx::TensorProto::DataType
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  bool isFloat() const;
  /// Element i as an integer or a double (converting as C++ would).
  int64_t intAt(int64_t i) const;
  double floatAt(int64_t i) const;
  /// All elements as integers.
  std::vector<int64_t> ints() const;

  /// A tensor of `elemType` and `shape` with the given values.
  static HostTensor fromInts(int32_t elemType, std::vector<int64_t> shape,
                             const std::vector<int64_t> &values);
  static HostTensor fromDoubles(int32_t elemType, std::vector<int64_t> shape,
                                const std::vector<double> &values);

  /// The value as an MLIR attribute of `type`.
  DenseElementsAttr toAttr(RankedTensorType type) const;
};

/// Bytes per element of an ONNX element type; 0 if not a fixed-size type.
size_t onnxElementSize(int32_t elemType);

/// Reads a TensorProto, with its external data resolved against
/// `modelDir`. Sets `error` and returns false on failure.
bool readTensorProto(const onnx::TensorProto &proto, StringRef modelDir,
                     HostTensor &out, std::string &error);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_HOSTTENSOR_H

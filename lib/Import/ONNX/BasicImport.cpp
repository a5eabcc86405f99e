//===- BasicImport.cpp - Identity and Constant ----------------------------===//

#include "GraphImporter.h"

using namespace mlir;
using namespace mlir::hydra::onnx_import;
using TP = onnx::TensorProto;

namespace {
LogicalResult importIdentity(GraphImporter &gi, const onnx::NodeProto &node) {
  if (const HostTensor *c = gi.constantInput(node, 0)) {
    gi.setConstantOutput(node, 0, *c);
    return success();
  }
  Value x = gi.input(node, 0);
  if (!x)
    return failure();
  gi.setOutput(node, 0, x);
  return success();
}

LogicalResult importConstant(GraphImporter &gi, const onnx::NodeProto &node) {
  if (node.attribute_size() != 1)
    return gi.error(node, "needs exactly one value attribute");
  const onnx::AttributeProto &a = node.attribute(0);
  HostTensor t;
  std::string error;
  if (a.name() == "value") {
    if (!readTensorProto(a.t(), gi.modelDir(), t, error))
      return gi.error(node, error);
  } else if (a.name() == "value_float") {
    t = HostTensor::fromDoubles(TP::FLOAT, {}, {a.f()});
  } else if (a.name() == "value_floats") {
    std::vector<double> v(a.floats().begin(), a.floats().end());
    t = HostTensor::fromDoubles(TP::FLOAT, {int64_t(v.size())}, v);
  } else if (a.name() == "value_int") {
    t = HostTensor::fromInts(TP::INT64, {}, {a.i()});
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    t = HostTensor::fromInts(TP::INT64, {int64_t(v.size())}, v);
  } else {
    return gi.error(node, "not supported: the '" + a.name() + "' attribute");
  }
  gi.setConstantOutput(node, 0, std::move(t));
  return success();
}
} // namespace

void registerBasicImporters(ImporterTable &onnx) {
  onnx["Identity"] = {importIdentity, {1, 1}};
  onnx["Constant"] = {importConstant, {0, 0}};
}

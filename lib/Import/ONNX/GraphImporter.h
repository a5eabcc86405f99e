//===- GraphImporter.h - one ONNX graph → one func.func --------*- C++ -*-===//

#ifndef HYDRA_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
#define HYDRA_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

#include "HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <limits>
#include <map>
#include <optional>
#include <set>

namespace mlir::hydra::onnx_import {

/// A small integer tensor (rank 0 or 1) whose elements are sizes known
/// only at run time: a Shape of a dynamically shaped value and the
/// arithmetic exporters do on it (Gather, Concat, Mul, ...). Each element
/// is a constant or an index value computed from tensor.dim, so Reshape,
/// Expand, Range and ConstantOfShape can size their results with it.
struct SymbolicInts {
  int32_t elemType = 7; // onnx::TensorProto::INT64
  bool scalar = false;  // rank 0 (else rank 1)
  SmallVector<OpFoldResult> elems;
};

/// What a graph value is at import time: IR, a known constant, a symbolic
/// size tensor, or IR and one of the others (a value an op needed as IR).
struct ImportedValue {
  Value tensor;
  std::optional<HostTensor> constant;
  std::optional<SymbolicInts> symbolic;
};

class GraphImporter;

/// Imports one node; emits an error naming the node on failure.
using NodeImporter = LogicalResult (*)(GraphImporter &,
                                       const onnx::NodeProto &);

/// Any number of inputs or outputs.
constexpr int kVariadic = std::numeric_limits<int>::max();

/// How many inputs and outputs an operator takes, as its ONNX schema says:
/// inputs [0, required) must be given (non-empty names), at most
/// `maxInputs` may be, and `minOutputs` to `maxOutputs` outputs. Checked
/// for every node before anything reads its inputs, so importers and the
/// folder can index the required ones.
struct OpArity {
  int required = 1;
  int maxInputs = 1;
  int maxOutputs = 1;
  int minOutputs = 1;
};

/// How one operator is imported: its arity and the importer for values
/// known only at run time (null for operators that only ever fold).
struct OpImporter {
  NodeImporter import = nullptr;
  OpArity arity;
};
using ImporterTable = std::map<std::string, OpImporter>;

/// The operators of one ONNX domain, by op_type.
const ImporterTable &defaultDomainImporters();
const ImporterTable &hydraDomainImporters();

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, StringRef modelDir,
                std::map<std::string, int64_t> opsets)
      : builder_(context), modelDir_(modelDir), opsets_(std::move(opsets)) {}

  /// Builds `func.func @main` for `graph` into `module`.
  LogicalResult importGraph(const onnx::GraphProto &graph, ModuleOp module);

  // --- for node importers ---
  OpBuilder &builder() { return builder_; }
  Location loc(const onnx::NodeProto &node);
  MLIRContext *context() { return builder_.getContext(); }
  /// The directory external tensor data is resolved against.
  StringRef modelDir() const { return modelDir_; }
  int64_t opset(StringRef domain) const;

  /// Emits "node 'NAME' (OP): message" at the node and returns failure.
  LogicalResult error(const onnx::NodeProto &node, const Twine &message);

  /// Whether input `i` is given (present and not the empty name).
  bool hasInput(const onnx::NodeProto &node, int i) const;
  /// Input `i` as IR (constants are materialized); null and an error if it
  /// is missing.
  Value input(const onnx::NodeProto &node, int i);
  /// The node's first `count` inputs, each of an element type `ok` accepts
  /// (else an error: "input i of element type other than <kinds>").
  LogicalResult typedInputs(const onnx::NodeProto &node, int count,
                            function_ref<bool(Type)> ok, StringRef kinds,
                            SmallVectorImpl<Value> &out);
  /// Input `i` as IR if given, else null.
  Value optionalInput(const onnx::NodeProto &node, int i);
  /// Input `i`'s constant value, if known at import time.
  const HostTensor *constantInput(const onnx::NodeProto &node, int i) const;

  /// Input `i` as sizes if it is an integer tensor of rank ≤ 1 known at
  /// import (constants as attributes), symbolically, or an integer graph
  /// input read at run time (dataElements); nothing otherwise.
  std::optional<SmallVector<OpFoldResult>>
  sizesInput(const onnx::NodeProto &node, int i);
  /// Input `i`'s symbolic sizes, if it has them.
  const SymbolicInts *symbolicInput(const onnx::NodeProto &node, int i) const;
  /// Dim `d` of `x` as an index value, one per (x, d): equal dims of one
  /// value are one SSA value.
  OpFoldResult dimOf(Value x, int64_t d);
  /// Every dim of `x`, as dimOf gives them.
  SmallVector<OpFoldResult> sizesOf(Value x);
  /// The first graph-input dim with the dim_param of input `arg`'s dim
  /// `axis` (ONNX: one name, one size), or (arg, axis) if it has none.
  std::pair<unsigned, unsigned> canonicalInputDim(unsigned arg,
                                                  unsigned axis) const;

  void setOutput(const onnx::NodeProto &node, int i, Value value);
  void setSymbolicOutput(const onnx::NodeProto &node, int i, SymbolicInts v);
  void setConstantOutput(const onnx::NodeProto &node, int i, HostTensor value);
  /// Whether output `i` is wanted (named, and used or a graph output).
  bool hasOutput(const onnx::NodeProto &node, int i) const;

  // Attributes.
  const onnx::AttributeProto *attribute(const onnx::NodeProto &node,
                                        StringRef name) const;
  int64_t intAttr(const onnx::NodeProto &node, StringRef name,
                  int64_t dflt) const;
  float floatAttr(const onnx::NodeProto &node, StringRef name,
                  float dflt) const;
  std::string stringAttr(const onnx::NodeProto &node, StringRef name,
                         StringRef dflt) const;
  std::vector<int64_t> intsAttr(const onnx::NodeProto &node,
                                StringRef name) const;
  /// The `axis` attribute (default `dflt`) for a tensor of `rank`, negative
  /// values counting from the end; an error naming the node when outside
  /// [0, rank), or [0, rank] with `inclusive` (Flatten).
  FailureOr<int64_t> axisAttr(const onnx::NodeProto &node, int64_t dflt,
                              int64_t rank, bool inclusive = false);

  /// The MLIR element type of an ONNX element type, or null.
  Type elementType(int32_t onnxType);
  /// Whether an ONNX element type is an unsigned integer.
  static bool isUnsignedType(int32_t onnxType);

  /// MLIR integers are signless; the importer records which ONNX values
  /// (by name: a Cast between int8 and uint8 keeps the MLIR value) hold
  /// unsigned integers. Division, comparisons and casts differ, and the
  /// artifact's signature says u8 rather than i8.
  bool isUnsigned(const std::string &name) const;
  bool inputIsUnsigned(const onnx::NodeProto &node, int i) const {
    return hasInput(node, i) && isUnsigned(node.input(i));
  }

private:
  Value materialize(const HostTensor &constant, Location loc);
  /// `v` as IR: constants and symbolic sizes are materialized once.
  Value tensorOf(ImportedValue &v, Location loc);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult checkArity(const onnx::NodeProto &node, const OpArity &arity);
  LogicalResult checkResultSizes(const onnx::NodeProto &node);
  void recordSignedness(const onnx::NodeProto &node);

  OpBuilder builder_;
  std::string modelDir_;
  std::map<std::string, int64_t> opsets_;
  std::map<std::string, ImportedValue> values_;
  llvm::DenseMap<std::pair<Value, int64_t>, Value> dims_;
  std::map<std::pair<unsigned, unsigned>, std::pair<unsigned, unsigned>>
      namedDims_; // graph-input dims with a dim_param → the first of it
  std::set<std::string> used_; // names some node or the graph output reads
  std::set<std::string> unsignedNames_; // tensors; constants carry their type
};

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

//===- GraphImporter.cpp - one ONNX graph → one func.func -----------------===//

#include "GraphImporter.h"
#include "ConstantFolding.h"
#include "ShapeArithmetic.h"
#include "SizeArithmetic.h"
#include "SymbolicShapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <set>

using namespace mlir;
using namespace mlir::hydra::onnx_import;
using TP = onnx::TensorProto;

static constexpr int64_t kMaxDefaultOpset = 28;

Location GraphImporter::loc(const onnx::NodeProto &node) {
  std::string name = node.name().empty()
                         ? (node.output_size() ? node.output(0) : "")
                         : node.name();
  return NameLoc::get(builder_.getStringAttr(name));
}

int64_t GraphImporter::opset(StringRef domain) const {
  std::string d = domain == "ai.onnx" ? "" : domain.str();
  auto it = opsets_.find(d);
  return it == opsets_.end() ? 0 : it->second;
}

LogicalResult GraphImporter::error(const onnx::NodeProto &node,
                                   const Twine &message) {
  std::string name = node.name().empty()
                         ? (node.output_size() ? node.output(0) : "?")
                         : node.name();
  return emitError(loc(node))
         << "node '" << name << "' (" << node.op_type() << "): " << message;
}

bool GraphImporter::hasInput(const onnx::NodeProto &node, int i) const {
  return i < node.input_size() && !node.input(i).empty();
}

bool GraphImporter::hasOutput(const onnx::NodeProto &node, int i) const {
  return i < node.output_size() && !node.output(i).empty() &&
         used_.count(node.output(i));
}

Type GraphImporter::elementType(int32_t t) {
  Builder &b = builder_;
  switch (t) {
  case TP::FLOAT:
    return b.getF32Type();
  case TP::FLOAT16:
    return b.getF16Type();
  case TP::BFLOAT16:
    return b.getBF16Type();
  case TP::DOUBLE:
    return b.getF64Type();
  case TP::BOOL:
    return b.getI1Type();
  case TP::INT8:
  case TP::UINT8:
    return b.getIntegerType(8);
  case TP::INT16:
  case TP::UINT16:
    return b.getIntegerType(16);
  case TP::INT32:
  case TP::UINT32:
    return b.getIntegerType(32);
  case TP::INT64:
  case TP::UINT64:
    return b.getI64Type();
  default:
    return nullptr;
  }
}

bool GraphImporter::isUnsignedType(int32_t t) {
  return t == TP::UINT8 || t == TP::UINT16 || t == TP::UINT32 ||
         t == TP::UINT64;
}

Value GraphImporter::materialize(const HostTensor &c, Location loc) {
  auto type = RankedTensorType::get(c.shape, elementType(c.elemType));
  return arith::ConstantOp::create(builder_, loc, c.toAttr(type));
}

bool GraphImporter::isUnsigned(const std::string &name) const {
  auto it = values_.find(name);
  if (it != values_.end() && it->second.constant)
    return isUnsignedType(it->second.constant->elemType);
  return unsignedNames_.count(name);
}

const HostTensor *GraphImporter::constantInput(const onnx::NodeProto &node,
                                               int i) const {
  if (!hasInput(node, i))
    return nullptr;
  auto it = values_.find(node.input(i));
  if (it == values_.end() || !it->second.constant)
    return nullptr;
  return &*it->second.constant;
}

Value GraphImporter::optionalInput(const onnx::NodeProto &node, int i) {
  if (!hasInput(node, i))
    return nullptr;
  auto it = values_.find(node.input(i));
  if (it == values_.end())
    return nullptr;
  return tensorOf(it->second, loc(node));
}

Value GraphImporter::tensorOf(ImportedValue &v, Location loc) {
  if (!v.tensor && v.constant)
    v.tensor = materialize(*v.constant, loc);
  if (!v.tensor && v.symbolic) {
    // from_elements of the sizes cast to the element type.
    Type elt = elementType(v.symbolic->elemType);
    SmallVector<Value> elems;
    for (OpFoldResult e : v.symbolic->elems) {
      Value index = getValueOrCreateConstantIndexOp(builder_, loc, e);
      elems.push_back(arith::IndexCastOp::create(builder_, loc, elt, index));
    }
    SmallVector<int64_t> shape;
    if (!v.symbolic->scalar)
      shape.push_back(elems.size());
    v.tensor = tensor::FromElementsOp::create(
        builder_, loc, RankedTensorType::get(shape, elt), elems);
  }
  return v.tensor;
}

const SymbolicInts *GraphImporter::symbolicInput(const onnx::NodeProto &node,
                                                 int i) const {
  if (!hasInput(node, i))
    return nullptr;
  auto it = values_.find(node.input(i));
  if (it == values_.end() || !it->second.symbolic)
    return nullptr;
  return &*it->second.symbolic;
}

std::optional<SmallVector<OpFoldResult>>
GraphImporter::sizesInput(const onnx::NodeProto &node, int i) {
  if (const SymbolicInts *s = symbolicInput(node, i))
    return s->elems;
  const HostTensor *c = constantInput(node, i);
  if (!c)
    return dataElements(*this, node, i);
  if (c->isFloat() || c->shape.size() > 1)
    return std::nullopt;
  SmallVector<OpFoldResult> out;
  for (int64_t v : c->ints())
    out.push_back(builder_.getIndexAttr(v));
  return out;
}

SmallVector<OpFoldResult> GraphImporter::sizesOf(Value x) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < cast<RankedTensorType>(x.getType()).getRank(); ++d)
    sizes.push_back(dimOf(x, d));
  return sizes;
}

std::pair<unsigned, unsigned>
GraphImporter::canonicalInputDim(unsigned arg, unsigned axis) const {
  auto it = namedDims_.find({arg, axis});
  return it == namedDims_.end() ? std::make_pair(arg, axis) : it->second;
}

OpFoldResult GraphImporter::dimOf(Value x, int64_t d) {
  auto t = cast<RankedTensorType>(x.getType());
  if (!t.isDynamicDim(d))
    return builder_.getIndexAttr(t.getDimSize(d));
  Value &dim = dims_[{x, d}];
  if (!dim) {
    // Right after x's definition, so every later use is dominated.
    OpBuilder::InsertionGuard guard(builder_);
    if (Operation *def = x.getDefiningOp())
      builder_.setInsertionPointAfter(def);
    else
      builder_.setInsertionPointToStart(cast<BlockArgument>(x).getOwner());
    dim = tensor::DimOp::create(builder_, x.getLoc(), x, d);
  }
  return dim;
}

void GraphImporter::setSymbolicOutput(const onnx::NodeProto &node, int i,
                                      SymbolicInts v) {
  if (i < node.output_size() && !node.output(i).empty())
    values_[node.output(i)] =
        ImportedValue{nullptr, std::nullopt, std::move(v)};
}

Value GraphImporter::input(const onnx::NodeProto &node, int i) {
  Value v = optionalInput(node, i);
  if (!v)
    (void)error(node, "input " + Twine(i) +
                          (hasInput(node, i)
                               ? " ('" + node.input(i) + "') is not defined"
                               : Twine(" is missing")));
  return v;
}

void GraphImporter::setOutput(const onnx::NodeProto &node, int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    values_[node.output(i)] = ImportedValue{v, std::nullopt, std::nullopt};
}

void GraphImporter::setConstantOutput(const onnx::NodeProto &node, int i,
                                      HostTensor v) {
  if (i < node.output_size() && !node.output(i).empty())
    values_[node.output(i)] =
        ImportedValue{nullptr, std::move(v), std::nullopt};
}

const onnx::AttributeProto *
GraphImporter::attribute(const onnx::NodeProto &node, StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t GraphImporter::intAttr(const onnx::NodeProto &node, StringRef name,
                               int64_t dflt) const {
  const auto *a = attribute(node, name);
  return a ? a->i() : dflt;
}

float GraphImporter::floatAttr(const onnx::NodeProto &node, StringRef name,
                               float dflt) const {
  const auto *a = attribute(node, name);
  return a ? a->f() : dflt;
}

std::string GraphImporter::stringAttr(const onnx::NodeProto &node,
                                      StringRef name, StringRef dflt) const {
  const auto *a = attribute(node, name);
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> GraphImporter::intsAttr(const onnx::NodeProto &node,
                                             StringRef name) const {
  const auto *a = attribute(node, name);
  if (!a)
    return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult GraphImporter::typedInputs(const onnx::NodeProto &node, int count,
                                         function_ref<bool(Type)> ok,
                                         StringRef kinds,
                                         SmallVectorImpl<Value> &out) {
  for (int i = 0; i < count; ++i) {
    Value v = input(node, i);
    if (!v)
      return failure();
    if (!ok(cast<RankedTensorType>(v.getType()).getElementType()))
      return error(node, "not supported: input " + Twine(i) +
                             " of element type other than " + kinds);
    out.push_back(v);
  }
  return success();
}

FailureOr<int64_t> GraphImporter::axisAttr(const onnx::NodeProto &node,
                                           int64_t dflt, int64_t rank,
                                           bool inclusive) {
  int64_t axis = intAttr(node, "axis", dflt);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank || (axis == rank && !inclusive)) {
    (void)error(node, "axis out of range");
    return failure();
  }
  return axis;
}

static const ImporterTable *importersFor(StringRef domain) {
  if (domain.empty() || domain == "ai.onnx")
    return &defaultDomainImporters();
  if (domain == "ai.hydrahead")
    return &hydraDomainImporters();
  return nullptr;
}

static std::string countText(int n) {
  return n == kVariadic ? "any number of" : std::to_string(n);
}

LogicalResult GraphImporter::checkArity(const onnx::NodeProto &node,
                                        const OpArity &arity) {
  int given = node.input_size();
  if (given > arity.maxInputs)
    return error(node, "takes at most " + countText(arity.maxInputs) +
                           " inputs, has " + Twine(given));
  for (int i = 0; i < arity.required; ++i)
    if (!hasInput(node, i))
      return error(node, "input " + Twine(i) + " is required" +
                             (i < given ? " but its name is empty"
                                        : " but the node has " + Twine(given) +
                                              " inputs"));
  for (int i = 0; i < given; ++i)
    if (hasInput(node, i) && !values_.count(node.input(i)))
      return error(node, "input " + Twine(i) + " ('" + node.input(i) +
                             "') is not defined before the node");
  // Every ONNX operator has at least one output; importers rely on it
  // (Split divides its axis among them).
  if (node.output_size() == 0)
    return error(node, "has no outputs");
  if (node.output_size() < arity.minOutputs)
    return error(node, "has " + Twine(node.output_size()) + " output" +
                           (node.output_size() == 1 ? "" : "s") +
                           ", its schema requires " + Twine(arity.minOutputs));
  if (node.output_size() > arity.maxOutputs)
    return error(node, "has " + Twine(node.output_size()) +
                           " outputs, at most " + countText(arity.maxOutputs) +
                           " are defined");
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node) {
  const OpImporter &entry = importersFor(node.domain())->at(node.op_type());
  if (failed(checkArity(node, entry.arity)))
    return failure();
  std::string error;
  if (auto folded = foldNode(*this, node, error)) {
    for (auto [i, value] : llvm::enumerate(*folded))
      setConstantOutput(node, i, std::move(value));
    return success();
  }
  if (!error.empty())
    return this->error(node, error);
  // Size arithmetic on run-time sizes stays symbolic.
  if (std::optional<LogicalResult> done = foldSymbolic(*this, node)) {
    if (succeeded(*done))
      recordSignedness(node);
    return *done;
  }
  if (!entry.import)
    return this->error(node, "not supported: " + node.op_type() +
                                 " on values only known at run time (hydra "
                                 "evaluates it at import, for results of up "
                                 "to " +
                                 Twine(kMaxFoldedElements) + " elements)");
  if (failed(entry.import(*this, node)))
    return failure();
  recordSignedness(node);
  return checkResultSizes(node);
}

LogicalResult GraphImporter::checkResultSizes(const onnx::NodeProto &node) {
  // Whatever sizes an operator computed from its attributes and constant
  // inputs (Expand, Pad, Concat, ...), no static type may describe more
  // than a tensor can hold: later byte offsets and strides must not wrap.
  for (const std::string &name : node.output()) {
    auto it = values_.find(name);
    if (name.empty() || it == values_.end() || !it->second.tensor)
      continue;
    auto t = dyn_cast<RankedTensorType>(it->second.tensor.getType());
    if (!t)
      continue;
    if (!fitsTensorLimit(t.getShape(), t.getElementTypeBitWidth()))
      return error(node, "output '" + name + "' of shape " +
                             formatShape(t.getShape()) +
                             " is larger than the " + Twine(kMaxTensorBytes) +
                             " bytes a tensor may hold");
  }
  return success();
}

/// Integer outputs are unsigned like the input they carry values of: Cast's
/// `to`, CastLike's second input, Where's second input, none for positions
/// (ArgMax, ArgMin, TopK's indices: int64), else the first.
void GraphImporter::recordSignedness(const onnx::NodeProto &node) {
  bool isUnsignedOut;
  const std::string &op = node.op_type();
  if (op == "ArgMax" || op == "ArgMin")
    isUnsignedOut = false;
  else if (op == "Cast")
    isUnsignedOut = isUnsignedType(intAttr(node, "to", 0));
  else if (op == "CastLike" || op == "Where")
    isUnsignedOut = inputIsUnsigned(node, 1);
  else
    isUnsignedOut = inputIsUnsigned(node, 0);
  if (!isUnsignedOut)
    return;
  for (auto [k, name] : llvm::enumerate(node.output())) {
    // TopK's second output is positions (int64).
    if (op == "TopK" && k == 1)
      continue;
    auto it = values_.find(name);
    if (it == values_.end() || !it->second.tensor)
      continue;
    auto t = dyn_cast<RankedTensorType>(it->second.tensor.getType());
    if (t && t.getElementType().isInteger() && !t.getElementType().isInteger(1))
      unsignedNames_.insert(name);
  }
}

LogicalResult GraphImporter::importGraph(const onnx::GraphProto &graph,
                                         ModuleOp module) {
  Location graphLoc = NameLoc::get(builder_.getStringAttr(graph.name()));
  // Every operator we cannot import, in one report.
  std::vector<std::string> unsupported;
  for (const auto &node : graph.node()) {
    const auto *table = importersFor(node.domain());
    if (!table || !table->count(node.op_type()))
      unsupported.push_back(
          (node.domain().empty() ? "" : node.domain() + "::") + node.op_type() +
          " (node '" +
          (node.name().empty() ? node.output_size() ? node.output(0) : ""
                               : node.name()) +
          "')");
  }
  if (!unsupported.empty()) {
    auto diag = emitError(graphLoc)
                << "not supported: " << unsupported.size() << " operator"
                << (unsupported.size() == 1 ? "" : "s") << " of graph '"
                << graph.name() << "': ";
    llvm::interleaveComma(unsupported, diag);
    return failure();
  }
  if (opset("") > kMaxDefaultOpset)
    return emitError(graphLoc) << "not supported: opset " << opset("")
                               << " of the default domain (hydra reads up "
                                  "to "
                               << kMaxDefaultOpset << ")";

  std::string error;
  std::set<std::string> initializerNames;
  for (const auto &init : graph.initializer()) {
    HostTensor t;
    if (!readTensorProto(init, modelDir_, t, error))
      return emitError(graphLoc) << "initializer: " << error;
    values_[init.name()] = ImportedValue{nullptr, std::move(t), std::nullopt};
    initializerNames.insert(init.name());
  }
  for (const auto &node : graph.node())
    for (const auto &in : node.input())
      used_.insert(in);
  for (const auto &out : graph.output())
    used_.insert(out.name());

  // Arguments: the graph inputs that are not initializers.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<bool> argUnsigned;
  SmallVector<SmallVector<std::string>> argDimNames;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return emitError(graphLoc) << "not supported: graph input '" << in.name()
                                 << "' is not a tensor";
    const auto &tt = in.type().tensor_type();
    Type elt = elementType(tt.elem_type());
    if (!elt)
      return emitError(graphLoc) << "not supported: graph input '" << in.name()
                                 << "' has element type " << tt.elem_type();
    if (!tt.has_shape())
      return emitError(graphLoc) << "not supported: graph input '" << in.name()
                                 << "' has no shape (rank)";
    SmallVector<int64_t> shape;
    for (const auto &d : tt.shape().dim())
      shape.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
    if (llvm::any_of(shape, [](int64_t d) {
          return d < 0 && !ShapedType::isDynamic(d);
        }))
      return emitError(graphLoc)
             << "graph input '" << in.name() << "' has the shape "
             << formatShape(shape) << ", with a negative dimension";
    if (!fitsTensorLimit(shape, elt.getIntOrFloatBitWidth()))
      return emitError(graphLoc)
             << "graph input '" << in.name() << "' has the shape "
             << formatShape(shape) << ", more than the " << kMaxTensorBytes
             << " bytes a tensor may hold";
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(in.name());
    argDimNames.emplace_back();
    for (const auto &d : tt.shape().dim())
      argDimNames.back().push_back(d.has_dim_value() ? "" : d.dim_param());
    argUnsigned.push_back(isUnsignedType(tt.elem_type()));
  }

  builder_.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder_, graphLoc, "main",
                                   builder_.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  std::map<std::string, std::pair<unsigned, unsigned>> firstOfName;
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "hydra.name", builder_.getStringAttr(name));
    // Dims that share a dim_param are one size (ONNX's IR says so): the
    // importer may cancel them against each other, and the compiler gives
    // them one symbol that the runtime checks.
    if (llvm::any_of(argDimNames[i], [](auto &n) { return !n.empty(); })) {
      SmallVector<Attribute> dims;
      for (auto [axis, dimName] : llvm::enumerate(argDimNames[i])) {
        dims.push_back(builder_.getStringAttr(dimName));
        if (dimName.empty())
          continue;
        auto key = std::make_pair(unsigned(i), unsigned(axis));
        namedDims_[key] = firstOfName.insert({dimName, key}).first->second;
      }
      func.setArgAttr(i, "hydra.dims", builder_.getArrayAttr(dims));
    }
    values_[name] =
        ImportedValue{body->getArgument(i), std::nullopt, std::nullopt};
    if (argUnsigned[i]) {
      func.setArgAttr(i, "hydra.unsigned", builder_.getUnitAttr());
      unsignedNames_.insert(name);
    }
  }
  builder_.setInsertionPointToStart(body);

  for (const auto &node : graph.node())
    if (failed(importNode(node)))
      return failure();

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    auto it = values_.find(out.name());
    if (it == values_.end())
      return emitError(graphLoc) << "graph output '" << out.name()
                                 << "' is not produced by any node";
    results.push_back(tensorOf(it->second, graphLoc));
  }
  func::ReturnOp::create(builder_, graphLoc, results);
  func.setFunctionType(
      builder_.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "hydra.name", builder_.getStringAttr(out.name()));
    if (isUnsigned(out.name()))
      func.setResultAttr(i, "hydra.unsigned", builder_.getUnitAttr());
  }
  return success();
}

//===- onnx_import_fuzzer.cc - libFuzzer target: the ONNX importer --------===//
//
// Imports the input as an ONNX model, verifies the module and runs the
// raising passes, as hydra-compile does before code generation. Any input
// must end in a diagnostic or a valid module: no crash, no hang, no
// allocation beyond the sanitizer's limit.
//
// Random bytes rarely parse as a ModelProto, so the custom mutator below
// mutates models as protobuf structures (node inputs and outputs, op types,
// attributes, dims, initializers, external data entries) with interesting
// values (0, -1, huge, INT64_MIN/MAX), and falls back to byte mutations
// when the input does not parse.
//
//===----------------------------------------------------------------------===//

#include "hydra/Compiler/Compiler.h"
#include "hydra/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
const DialectRegistry &registry() {
  static const DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    hydra::registerCompilerDialects(*reg);
    return reg;
  }();
  return *r;
}

// The operators hydra imports, so mutated op types stay mostly importable.
const char *const kOps[] = {"Add",
                            "Sub",
                            "Mul",
                            "Div",
                            "Pow",
                            "Sqrt",
                            "Exp",
                            "Tanh",
                            "Reciprocal",
                            "Neg",
                            "Where",
                            "Cast",
                            "CastLike",
                            "Equal",
                            "Less",
                            "Greater",
                            "LessOrEqual",
                            "GreaterOrEqual",
                            "Not",
                            "And",
                            "Or",
                            "Xor",
                            "Gather",
                            "Slice",
                            "Split",
                            "Pad",
                            "GatherElements",
                            "Transpose",
                            "Reshape",
                            "Unsqueeze",
                            "Squeeze",
                            "Concat",
                            "MatMul",
                            "Gemm",
                            "Softmax",
                            "ReduceMean",
                            "ReduceSum",
                            "ReduceMax",
                            "RMSNormalization",
                            "LayerNormalization",
                            "Expand",
                            "Flatten",
                            "Identity",
                            "Constant",
                            "Shape",
                            "Size",
                            "Range",
                            "Mod",
                            "ConstantOfShape",
                            "Attention",
                            "LinearAttention",
                            "HybridAttention"};

const int64_t kInteresting[] = {0,
                                1,
                                -1,
                                2,
                                3,
                                -2,
                                7,
                                64,
                                1 << 16,
                                int64_t(1) << 31,
                                (int64_t(1) << 31) - 1,
                                int64_t(1) << 40,
                                int64_t(1) << 62,
                                std::numeric_limits<int64_t>::max(),
                                std::numeric_limits<int64_t>::min()};

class Mutator {
public:
  explicit Mutator(unsigned seed) : rng(seed) {}

  /// One structural change to `model`; false if none applied.
  bool mutate(onnx::ModelProto &model) {
    onnx::GraphProto *g = model.mutable_graph();
    switch (pick(9)) {
    case 0:
    case 1:
      return mutateNode(*g);
    case 2:
      return mutateAttribute(*g);
    case 3:
      return mutateValueInfo(*g);
    case 4:
      return mutateInitializer(*g);
    case 5: { // duplicate or drop a node
      if (g->node_size() == 0)
        return false;
      int i = pick(g->node_size());
      if (pick(2))
        *g->add_node() = g->node(i);
      else
        g->mutable_node()->DeleteSubrange(i, 1);
      return true;
    }
    case 6: // swap two nodes (topological order)
      if (g->node_size() < 2)
        return false;
      g->mutable_node()->SwapElements(pick(g->node_size()),
                                      pick(g->node_size()));
      return true;
    case 7: { // opsets
      if (model.opset_import_size() == 0)
        return false;
      model.mutable_opset_import(pick(model.opset_import_size()))
          ->set_version(pick(30));
      return true;
    }
    default: // the IR version
      model.set_ir_version(pick(16));
      return true;
    }
  }

private:
  int pick(int n) { return n <= 0 ? 0 : int(rng() % unsigned(n)); }
  int64_t interesting() { return kInteresting[pick(std::size(kInteresting))]; }

  /// A value name of the graph: an input, an initializer or a node output.
  std::string someName(const onnx::GraphProto &g) {
    std::vector<const std::string *> names;
    for (const auto &i : g.input())
      names.push_back(&i.name());
    for (const auto &n : g.node())
      for (const auto &o : n.output())
        names.push_back(&o);
    if (names.empty())
      return "x";
    return *names[pick(names.size())];
  }

  bool mutateNode(onnx::GraphProto &g) {
    if (g.node_size() == 0)
      return false;
    onnx::NodeProto &n = *g.mutable_node(pick(g.node_size()));
    switch (pick(7)) {
    case 0:
      n.set_op_type(kOps[pick(std::size(kOps))]);
      n.set_domain(n.op_type() == "HybridAttention" ? "ai.hydrahead" : "");
      return true;
    case 1:
      n.add_input(pick(4) ? someName(g) : "");
      return true;
    case 2:
      if (n.input_size() == 0)
        return false;
      n.mutable_input()->RemoveLast();
      return true;
    case 3:
      if (n.input_size() == 0)
        return false;
      n.set_input(pick(n.input_size()), pick(4) ? someName(g) : "");
      return true;
    case 4:
      n.add_output("extra" + std::to_string(pick(4)));
      return true;
    case 5:
      if (n.output_size() == 0)
        return false;
      n.mutable_output()->RemoveLast();
      return true;
    default:
      n.clear_attribute();
      return true;
    }
  }

  bool mutateAttribute(onnx::GraphProto &g) {
    if (g.node_size() == 0)
      return false;
    onnx::NodeProto &n = *g.mutable_node(pick(g.node_size()));
    static const char *const kNames[] = {
        "axis",        "perm",        "axes",         "num_outputs", "split",
        "to",          "q_num_heads", "kv_num_heads", "is_causal",   "heads",
        "allowzero",   "keepdims",    "start",        "end",         "value",
        "update_rule", "scale",       "transA"};
    onnx::AttributeProto *a = nullptr;
    if (n.attribute_size() && pick(2))
      a = n.mutable_attribute(pick(n.attribute_size()));
    else {
      a = n.add_attribute();
      a->set_name(kNames[pick(std::size(kNames))]);
    }
    switch (pick(5)) {
    case 0:
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(interesting());
      return true;
    case 1:
      a->set_type(onnx::AttributeProto::INTS);
      a->clear_ints();
      for (int i = pick(5); i > 0; --i)
        a->add_ints(pick(3) ? pick(5) - 1 : interesting());
      return true;
    case 2:
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(pick(2) ? "FLLL" : std::string(pick(40), 'L'));
      return true;
    case 3:
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(pick(2) ? -std::numeric_limits<float>::infinity() : 0.0f);
      return true;
    default: {
      a->set_type(onnx::AttributeProto::TENSOR);
      onnx::TensorProto *t = a->mutable_t();
      t->set_data_type(pick(17));
      t->clear_dims();
      for (int i = pick(3); i > 0; --i)
        t->add_dims(pick(3) ? pick(4) : interesting());
      t->set_raw_data(std::string(pick(16), '\1'));
      return true;
    }
    }
  }

  bool mutateValueInfo(onnx::GraphProto &g) {
    auto *infos = pick(2) ? g.mutable_input() : g.mutable_output();
    if (infos->empty())
      return false;
    onnx::TypeProto_Tensor *t =
        (*infos)[pick(infos->size())].mutable_type()->mutable_tensor_type();
    if (pick(4) == 0) {
      t->set_elem_type(pick(17));
      return true;
    }
    auto *shape = t->mutable_shape();
    if (shape->dim_size() == 0 || pick(4) == 0) {
      shape->add_dim()->set_dim_value(pick(5));
      return true;
    }
    auto *d = shape->mutable_dim(pick(shape->dim_size()));
    if (pick(3) == 0)
      d->set_dim_param("s" + std::to_string(pick(3)));
    else
      d->set_dim_value(pick(2) ? pick(9) : interesting());
    return true;
  }

  bool mutateInitializer(onnx::GraphProto &g) {
    if (g.initializer_size() == 0)
      return false;
    onnx::TensorProto &t = *g.mutable_initializer(pick(g.initializer_size()));
    switch (pick(5)) {
    case 0:
      if (t.dims_size())
        t.set_dims(pick(t.dims_size()), pick(2) ? pick(9) : interesting());
      else
        t.add_dims(interesting());
      return true;
    case 1:
      t.set_data_type(pick(17));
      return true;
    case 2: {
      std::string raw = t.raw_data();
      raw.resize(pick(2) ? raw.size() / 2 : raw.size() + pick(9));
      t.set_raw_data(raw);
      return true;
    }
    case 3: { // external data: the location, offset and length fields
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      t.clear_external_data();
      static const char *const kLocations[] = {"w.bin", "../w.bin",
                                               "/etc/passwd", ""};
      static const char *const kNumbers[] = {"0", "-8", "abc",
                                             "18446744073709551615", "8"};
      auto *e = t.add_external_data();
      e->set_key("location");
      e->set_value(kLocations[pick(std::size(kLocations))]);
      for (const char *key : {"offset", "length"})
        if (pick(2)) {
          e = t.add_external_data();
          e->set_key(key);
          e->set_value(kNumbers[pick(std::size(kNumbers))]);
        }
      return true;
    }
    default:
      t.clear_raw_data();
      for (int i = pick(6); i > 0; --i)
        t.add_int64_data(interesting());
      return true;
    }
  }

  std::minstd_rand rng;
};
} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  onnx::ModelProto model;
  // One mutation in four stays at the byte level, also for models that
  // parse: truncations and flipped bits of valid protobufs.
  if (seed % 4 != 0 && size > 0 && model.ParseFromArray(data, int(size)) &&
      model.has_graph()) {
    Mutator m(seed);
    bool changed = false;
    for (int i = 0, n = 1 + int(seed % 3); i < n; ++i)
      changed |= m.mutate(model);
    std::string out;
    if (changed && model.SerializeToString(&out) && out.size() <= maxSize) {
      std::memcpy(data, out.data(), out.size());
      return out.size();
    }
  }
  return LLVMFuzzerMutate(data, size, maxSize);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A context keeps every type and constant it has seen uniqued: it is
  // made anew every few hundred inputs so that memory stays bounded,
  // without paying for loading the dialects on every input.
  static std::unique_ptr<MLIRContext> shared;
  static int uses = 0;
  if (!shared || ++uses % 256 == 0) {
    shared.reset();
    shared = std::make_unique<MLIRContext>(registry(),
                                           MLIRContext::Threading::DISABLED);
    shared->loadAllAvailableDialects();
    // Diagnostics are expected; printing them would only slow the fuzzer.
    shared->getDiagEngine().registerHandler(
        [](Diagnostic &) { return success(); });
  }
  MLIRContext &ctx = *shared;
  OwningOpRef<ModuleOp> module =
      hydra::importONNX(StringRef(reinterpret_cast<const char *>(data), size),
                        HYDRA_FUZZ_MODEL_PATH, &ctx);
  if (!module || failed(verify(*module)))
    return 0;
  (void)hydra::raiseONNX(*module);
  return 0;
}

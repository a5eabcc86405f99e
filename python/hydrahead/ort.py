"""hydra artifacts as the kernels of `ai.hydrahead::HybridAttention` nodes
in a model that onnxruntime runs: onnxruntime runs every other node, hydra
the hybrid attention, through onnxruntime-extensions' Python custom ops
(PyPI; `pip install hydrahead[onnxruntime]`).

    import hydrahead.ort
    session = hydrahead.ort.InferenceSession("decoder.onnx")
    logits, *presents = session.run(None, {"input_ids": ids, ...})

Each HybridAttention node becomes a one-node model compiled by hydra (its
input shapes as the model states them, symbolic sizes kept dynamic); the
node in the model onnxruntime runs is renamed to a custom op, one per node,
whose kernel runs that artifact. onnxruntime-extensions hands a Python
kernel its inputs as arrays and takes its outputs back as lists, so each
call copies the attention's outputs once more than a native kernel would:
the way to run a whole model fastest is still `hydrahead.compile` on it.
"""

import itertools
import os

import numpy as np
import onnx
from onnx import helper

from . import Module, Session, compile as hydra_compile
from . import onnx_schema

__all__ = ["prepare", "InferenceSession"]

_NAMES = itertools.count()


def _extensions():
    try:
        import onnxruntime_extensions
    except ImportError as e:  # pragma: no cover - the extra is missing
        raise ImportError("hydrahead.ort needs onnxruntime-extensions "
                          "(pip install hydrahead[onnxruntime])") from e
    return onnxruntime_extensions


def _custom_type(elem_type):
    ext = _extensions()
    types = {onnx.TensorProto.FLOAT: ext.PyCustomOpDef.dt_float,
             onnx.TensorProto.FLOAT16: ext.PyCustomOpDef.dt_float16,
             onnx.TensorProto.BFLOAT16: ext.PyCustomOpDef.dt_bfloat16,
             onnx.TensorProto.INT64: ext.PyCustomOpDef.dt_int64,
             onnx.TensorProto.INT32: ext.PyCustomOpDef.dt_int32}
    if elem_type not in types:
        raise ValueError("not supported: a HybridAttention tensor of ONNX type "
                         f"{onnx.TensorProto.DataType.Name(elem_type)} in onnxruntime")
    return types[elem_type]


def _value_types(model):
    """Every tensor's type the model states or shape inference finds."""
    onnx_schema.register()
    inferred = onnx.shape_inference.infer_shapes(model)
    graph = inferred.graph
    types = {}
    for vi in itertools.chain(graph.input, graph.value_info, graph.output):
        types[vi.name] = vi.type
    for init in graph.initializer:
        types.setdefault(init.name, helper.make_tensor_type_proto(init.data_type, init.dims))
    return types


def _node_model(node, types, opsets):
    """`node` alone as a model: its inputs (present ones) as graph inputs,
    sizes the model leaves unnamed given names, so they stay dynamic."""
    fresh = itertools.count()

    def info(name):
        if name not in types or not types[name].tensor_type.HasField("shape"):
            raise ValueError(f"not supported: HybridAttention node '{node.name}': the "
                             f"rank of '{name}' is not known (shape inference found "
                             "none); give the model value_info for it")
        t = onnx.TypeProto()
        t.CopyFrom(types[name])
        for d in t.tensor_type.shape.dim:
            if not d.HasField("dim_value") and not d.dim_param:
                d.dim_param = f"hydra_unnamed_{next(fresh)}"
        return helper.make_value_info(name, t)

    def output_info(position, name):
        # Types from the model where it states them, else the op's type
        # constraints: Y and the KV presents are the query's type T, the
        # state the past state's type S (hydra finds the shapes).
        if name in types and types[name].tensor_type.elem_type:
            return helper.make_value_info(name, types[name])
        like = node.input[8] if position == 3 and len(node.input) > 8 and node.input[8] \
            else node.input[0]
        return helper.make_tensor_value_info(name, types[like].tensor_type.elem_type, None)

    inputs = [info(n) for n in node.input if n]
    outputs = [output_info(i, n) for i, n in enumerate(node.output) if n]
    graph = helper.make_graph([node], f"{node.name or 'hybrid'}_alone", inputs, outputs)
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


class _Kernel:
    """One node's artifact and the session that runs it."""

    def __init__(self, node_model, target, device):
        self.module = Module(hydra_compile(node_model.SerializeToString(), target=target))
        self.session = Session(self.module, device=device)
        self.inputs = [i.name for i in node_model.graph.input]
        self.outputs = [o.name for o in node_model.graph.output]
        self.output_infos = list(node_model.graph.output)

    def __call__(self, *arrays):
        out = self.session.run(dict(zip(self.inputs, arrays)))
        results = tuple(np.ascontiguousarray(out[name]) for name in self.outputs)
        return results if len(results) > 1 else results[0]


def prepare(model, target="cpu", device="cpu"):
    """Compiles each HybridAttention node of `model` (a path, bytes or a
    ModelProto) and registers its kernel with onnxruntime-extensions.
    Returns the model to give onnxruntime (its hybrid nodes renamed to
    their kernels) and the SessionOptions that load the kernels."""
    import onnxruntime

    ext = _extensions()
    if isinstance(model, (str, os.PathLike)):
        model = onnx.load(os.fspath(model))
    elif isinstance(model, bytes):
        model = onnx.load_from_string(model)
    else:
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        model = copy
    types = _value_types(model)
    opsets = [o for o in model.opset_import]
    domain = ext.default_opset_domain()
    found = 0
    for node in model.graph.node:
        if node.domain != onnx_schema.DOMAIN or node.op_type != "HybridAttention":
            continue
        found += 1
        kernel = _Kernel(_node_model(node, types, opsets), target, device)
        op_type = f"HydraHybridAttention{next(_NAMES)}"
        ext.onnx_op(op_type=op_type,
                    inputs=[_custom_type(types[n].tensor_type.elem_type)
                            for n in node.input if n],
                    outputs=[_custom_type(o.type.tensor_type.elem_type)
                             for o in kernel.output_infos])(kernel)
        present_inputs = [n for n in node.input if n]
        present_outputs = [n for n in node.output if n]
        node.op_type, node.domain = op_type, domain
        del node.input[:]
        node.input.extend(present_inputs)
        del node.output[:]
        node.output.extend(present_outputs)
        del node.attribute[:]
    if not found:
        raise ValueError("the model has no ai.hydrahead::HybridAttention node")
    if not any(o.domain == domain for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(domain, 1))
    options = onnxruntime.SessionOptions()
    options.register_custom_ops_library(ext.get_library_path())
    return model, options


def InferenceSession(model, target="cpu", device="cpu", providers=("CPUExecutionProvider",)):
    """An onnxruntime.InferenceSession of `model` whose HybridAttention
    nodes run hydra's artifacts (see `prepare`)."""
    import onnxruntime

    prepared, options = prepare(model, target=target, device=device)
    return onnxruntime.InferenceSession(prepared.SerializeToString(), options,
                                        providers=list(providers))

"""hydra artifacts as the kernels of ai.hydrahead::HybridAttention nodes
inside onnxruntime (hydrahead.ort, through onnxruntime-extensions' custom
ops): onnxruntime runs the rest of the model. The suite's HydraHead
decoder must then generate PyTorch's greedy tokens, and a layer with
ordinary ops around its hybrid node must match onnx.reference running the
standard spelling of the same layer."""

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import hydrahead.ort  # noqa: E402
from hybrid_models import HybridLayer  # noqa: E402

SUITE = os.path.join(ROOT, "test", "Models", "real")
DECODER = os.path.join(SUITE, "hydrahead-decode-dynamo-op23-sdpa.onnx")
REFERENCE = np.load(os.path.join(SUITE, "hydrahead-generate.npz"))


def test_onnxruntime_generates_pytorchs_tokens_with_hydra_kernels():
    session = hydrahead.ort.InferenceSession(DECODER)
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    # Empty caches: no past keys, zero states (their static sizes from the model).
    feeds = {"input_ids": REFERENCE["prompt"]}
    for name, info in inputs.items():
        if name.startswith("past_"):
            shape = [1 if d == "batch" else 0 if d == "past" else d for d in info.shape]
            feeds[name] = np.zeros(shape, np.float32)
    tokens = []
    for _ in range(len(REFERENCE["tokens"])):
        out = dict(zip(outputs, session.run(None, feeds)))
        tokens.append(int(out["logits"][0, -1].argmax()))
        feeds = {"input_ids": np.array([[tokens[-1]]], np.int64)}
        feeds.update({n.replace("present_", "past_"): v for n, v in out.items()
                      if n.startswith("present_")})
    assert tokens == REFERENCE["tokens"].tolist()
    # The caches fed back hold only the F heads' kv heads: one of two.
    assert feeds["past_key_0"].shape == (1, 1, REFERENCE["prompt"].shape[1] +
                                         len(REFERENCE["tokens"]) - 1, 8)


def wrapped(model):
    """`model` with ordinary ops around its hybrid node: query scaled by
    1.5 on the way in (a Mul onnxruntime runs), y through Tanh on the way
    out."""
    graph = model.graph
    for node in graph.node:
        node.input[:] = ["query_scaled" if n == "query" else n for n in node.input]
        node.output[:] = ["y_raw" if n == "y" else n for n in node.output]
    graph.initializer.append(onnx.numpy_helper.from_array(np.array(1.5, np.float32), "s"))
    graph.node.insert(0, helper.make_node("Mul", ["query", "s"], ["query_scaled"]))
    graph.node.append(helper.make_node("Tanh", ["y_raw"], ["y"]))
    return model


@pytest.mark.parametrize("rule,past", [("gated_delta", None), ("delta", None),
                                       ("linear", None), ("gated", 5)])
def test_a_hybrid_node_among_ordinary_ops_matches_onnx_reference(rule, past):
    """delta leaves a gap (no decay, then beta): the kernel takes the
    present inputs only; past=5 adds the caches in and out."""
    rng = np.random.default_rng(13)
    layer = HybridLayer("FFLL", S=12, Hkv=2, rule=rule, past=past,
                        fusion_scale=(0.5 + rng.random((4, 16))).astype(np.float32))
    x = {k: v.astype(np.float32) for k, v in layer.random_inputs(seed=3).items()}
    session = hydrahead.ort.InferenceSession(wrapped(layer.custom_model()))
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, {i.name: x[i.name] for i in session.get_inputs()})))

    scaled = dict(x, query=1.5 * x["query"])
    want = dict(zip([o.name for o in layer.standard_model().graph.output],
                    ReferenceEvaluator(layer.standard_model()).run(None, scaled)))
    np.testing.assert_allclose(got["y"], np.tanh(want["y"]), atol=2e-5, rtol=1e-4)
    for name in names[1:]:
        np.testing.assert_allclose(got[name], want[name], atol=2e-5, rtol=1e-4)
    if past is not None:
        assert set(names) == {"y", "present_key", "present_value", "present_state"}


def test_a_model_without_a_hybrid_node_is_refused():
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2])
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g", [x],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])]))
    with pytest.raises(ValueError, match="no ai.hydrahead::HybridAttention node"):
        hydrahead.ort.prepare(model)

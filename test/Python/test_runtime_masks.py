"""Attention masks built at run time, as exporters write them for a
dynamic sequence: Trilu of a −∞ fill (torch.triu), Range positions
compared with LessOrEqual (transformers 5), a sliding window and a decode
step after a past. The causal ones become hydra's `causal` (no mask tensor
is built or read), the others stay masks; every model runs at several
sizes, from one token up, against onnxruntime."""

import os
import subprocess
import sys

import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto as TP, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

BIN = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")), "bin")
RNG = np.random.default_rng(7)
H, D = 2, 8


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def attention_model(mask_nodes, mask_inits, past=False):
    """softmax(Q·Kᵀ/√D + mask) · V over [1, H, S, D] queries and
    [1, H, T, D] keys (T = S, or P + S with a past), the float mask
    [S, T] named "mask" built by `mask_nodes`."""
    q = helper.make_tensor_value_info("q", TP.FLOAT, [1, H, "S", D])
    k = helper.make_tensor_value_info("k", TP.FLOAT, [1, H, "T" if past else "S", D])
    v = helper.make_tensor_value_info("v", TP.FLOAT, [1, H, "T" if past else "S", D])
    y = helper.make_tensor_value_info("y", TP.FLOAT, None)
    nodes = [
        helper.make_node("Shape", ["q"], ["qshape"]),
        helper.make_node("Gather", ["qshape", "two"], ["s"], axis=0),
        helper.make_node("Shape", ["k"], ["kshape"]),
        helper.make_node("Gather", ["kshape", "two"], ["t"], axis=0),
        *mask_nodes,
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]),
        helper.make_node("Mul", ["qk", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "mask"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "v"], ["y"]),
    ]
    inits = [const("two", np.array(2, np.int64)),
             const("scale", np.array(D ** -0.5, np.float32)), *mask_inits]
    graph = helper.make_graph(nodes, "g", [q, k, v], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def triu_mask(k):
    """torch.triu(full((S, S), −inf), k)."""
    return ([helper.make_node("Unsqueeze", ["s", "zero"], ["s1"]),
             helper.make_node("Concat", ["s1", "s1"], ["ss"], axis=0),
             helper.make_node("ConstantOfShape", ["ss"], ["fill"],
                              value=helper.make_tensor("v", TP.FLOAT, [1], [-np.inf])),
             helper.make_node("Trilu", ["fill", "diag"], ["mask"], upper=1)],
            [const("zero", np.array([0], np.int64)), const("diag", np.array(k, np.int64))])


def position_mask(window=None, past=False):
    """Where(key position ≤ query position [and within the window], 0,
    lowest float) from Range positions; queries at P + i after a past."""
    nodes = [helper.make_node("Range", ["zero", "t", "one"], ["keys"]),
             helper.make_node("Sub", ["t", "s"], ["p"]),
             helper.make_node("Add", ["s", "p"] if past else ["s", "zero"], ["qend"]),
             helper.make_node("Range", ["p" if past else "zero", "qend", "one"], ["rows"]),
             helper.make_node("Unsqueeze", ["rows", "last"], ["rows2"]),
             helper.make_node("LessOrEqual", ["keys", "rows2"], ["causal"])]
    keep = "causal"
    if window:
        nodes += [helper.make_node("Sub", ["rows2", "keys"], ["dist"]),
                  helper.make_node("Less", ["dist", "window"], ["near"]),
                  helper.make_node("And", ["causal", "near"], ["keep"])]
        keep = "keep"
    nodes.append(helper.make_node("Where", [keep, "zerof", "lowest"], ["mask"]))
    inits = [const("zero", np.array(0, np.int64)), const("one", np.array(1, np.int64)),
             const("last", np.array([1], np.int64)),
             const("zerof", np.array(0, np.float32)),
             const("lowest", np.array(np.finfo(np.float32).min, np.float32)),
             const("window", np.array(window or 0, np.int64))]
    return nodes, inits


def raised(m, tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(m.SerializeToString())
    proc = subprocess.run([os.path.join(BIN, "hydra-compile"), str(path), "--emit=hydra"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ops = [line for line in proc.stdout.splitlines()
           if "= hydra.hybrid_attention" in line]
    assert len(ops) == 1, ops
    return ops[0]


CASES = {
    # name: (model, whether it is causal, key lengths P + S over S)
    "trilu_k1": (lambda: attention_model(*triu_mask(1)), True, False),
    "trilu_k2": (lambda: attention_model(*triu_mask(2)), False, False),
    "positions": (lambda: attention_model(*position_mask()), True, False),
    "sliding_window": (lambda: attention_model(*position_mask(window=4)), False, False),
    "after_past": (lambda: attention_model(*position_mask(past=True), past=True), False, True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_runtime_mask(name, tmp_path):
    build, causal, past = CASES[name]
    m = build()
    op = raised(m, tmp_path)
    assert ("causal" in op and "mask(" not in op) == causal, op
    ours = hydrahead.Session(hydrahead.Module(hydrahead.compile(m.SerializeToString())))
    ref = onnxruntime.InferenceSession(m.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    for s, p in [(1, 0), (5, 3), (17, 2)] if past else [(1, 0), (6, 0), (17, 0)]:
        feeds = {"q": RNG.standard_normal((1, H, s, D), dtype=np.float32),
                 "k": RNG.standard_normal((1, H, p + s, D), dtype=np.float32),
                 "v": RNG.standard_normal((1, H, p + s, D), dtype=np.float32)}
        want = ref.run(None, feeds)[0]
        got = ours.run(feeds)["y"]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5,
                                   err_msg=f"S = {s}, P = {p}")

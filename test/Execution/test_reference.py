"""The float64 reference that the execution tests trust is itself checked
here against ONNX's reference implementation (onnx.reference) of
Attention-23 and LinearAttention-27, so that hydra's semantics are ONNX's."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import reference


def run_onnx(op_type, opset, inputs, attrs, n_outputs=1):
    names = [n if a is not None else "" for n, a in inputs]
    node = helper.make_node(op_type, names, [f"out{i}" for i in range(n_outputs)], **attrs)
    graph_inputs = [helper.make_tensor_value_info(
        n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in inputs if a is not None]
    outputs = [helper.make_tensor_value_info(f"out{i}", TensorProto.FLOAT, None)
               for i in range(n_outputs)]
    model = helper.make_model(helper.make_graph([node], "g", graph_inputs, outputs),
                              opset_imports=[helper.make_opsetid("", opset)])
    feeds = {n: a for n, a in inputs if a is not None}
    return ReferenceEvaluator(model).run(None, feeds)[0]


def pack(x):
    """[B, H, T, D] -> [B, T, H*D] (LinearAttention's packed layout)."""
    b, h, t, d = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(b, t, h * d))


ATTENTION = {
    "causal-gqa": dict(Hq=4, Hkv=2, S=7, T=7, causal=True),
    "s-ne-t": dict(Hq=2, Hkv=2, S=5, T=9),
    "softcap-scale": dict(Hq=2, Hkv=1, S=6, T=6, causal=True, softcap=1.5, scale=0.4),
    "bool-mask": dict(Hq=2, Hkv=2, S=6, T=6, mask="bool"),
    "float-mask-causal": dict(Hq=2, Hkv=2, S=6, T=6, mask="float", causal=True),
}


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_full_attention_reference_matches_onnx(name):
    c = ATTENTION[name]
    rng = np.random.default_rng(1)
    B, D = 2, 8
    q = rng.standard_normal((B, c["Hq"], c["S"], D)).astype(np.float32)
    k = rng.standard_normal((B, c["Hkv"], c["T"], D)).astype(np.float32)
    v = rng.standard_normal((B, c["Hkv"], c["T"], D)).astype(np.float32)
    mask = None
    if c.get("mask") == "bool":
        mask = rng.random((c["S"], c["T"])) < 0.7
        mask[:, 0] = True
    elif c.get("mask") == "float":
        mask = rng.standard_normal((c["S"], c["T"])).astype(np.float32)
    attrs = {"is_causal": int(c.get("causal", False))}
    if "softcap" in c:
        attrs["softcap"] = c["softcap"]
    if "scale" in c:
        attrs["scale"] = c["scale"]
    got = run_onnx("Attention", 23, [("Q", q), ("K", k), ("V", v), ("attn_mask", mask)], attrs)
    ref = reference.hybrid_attention(q, k, v, "F" * c["Hq"], causal=c.get("causal", False),
                                     scale=c.get("scale"), softcap=c.get("softcap"), mask=mask)
    np.testing.assert_allclose(ref, got, rtol=1e-4, atol=1e-5)


LINEAR = {
    "linear": dict(rule="linear"),
    "gated-head": dict(rule="gated", decay="head"),
    "gated-dim": dict(rule="gated", decay="dim"),
    "delta": dict(rule="delta", beta=2),
    "delta-beta1": dict(rule="delta", beta=1),
    "gated-delta-head": dict(rule="gated_delta", decay="head", beta=2),
    "gated-delta-dim-scale": dict(rule="gated_delta", decay="dim", beta=2, scale=0.3),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_linear_attention_reference_matches_onnx(name):
    c = LINEAR[name]
    rng = np.random.default_rng(2)
    B, Hq, Hkv, T, Dk, Dv = 2, 4, 2, 9, 8, 6
    q = rng.standard_normal((B, Hq, T, Dk)).astype(np.float32)
    k = rng.standard_normal((B, Hkv, T, Dk)).astype(np.float32)
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = rng.standard_normal((B, Hkv, T, Dv)).astype(np.float32)
    decay = beta = None
    decay_packed = beta_packed = None
    if c.get("decay") == "head":
        decay = (-rng.random((B, Hkv, T)) * 0.5).astype(np.float32)
        decay_packed = np.ascontiguousarray(decay.transpose(0, 2, 1))
    elif c.get("decay") == "dim":
        decay = (-rng.random((B, Hkv, T, Dk)) * 0.5).astype(np.float32)
        decay_packed = pack(decay)
    if "beta" in c:
        beta = rng.random((B, c["beta"], T)).astype(np.float32)
        beta_packed = np.ascontiguousarray(beta.transpose(0, 2, 1))
    attrs = {"q_num_heads": Hq, "kv_num_heads": Hkv, "update_rule": c["rule"]}
    if "scale" in c:
        attrs["scale"] = c["scale"]
    got = run_onnx("LinearAttention", 27,
                   [("query", pack(q)), ("key", pack(k)), ("value", pack(v)),
                    ("past_state", None), ("decay", decay_packed), ("beta", beta_packed)],
                   attrs, n_outputs=2)
    ref = reference.hybrid_attention(q, k, v, "L" * Hq, rule=c["rule"], decay=decay,
                                     beta=beta, linear_scale=c.get("scale"))
    np.testing.assert_allclose(pack(ref), got, rtol=1e-4, atol=1e-5)

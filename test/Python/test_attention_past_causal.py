"""Attention with past_key/past_value and is_causal: the causal diagonal
moves right by the past length (query i sees keys j <= i + past), with and
without an attn_mask, checked against onnx.reference and onnxruntime."""

import os
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402


def build(mask, hq=4, hkv=2, s=3, past=5, d=8, seed=0):
    rng = np.random.default_rng(seed)
    t = s + past
    shapes = {"Q": (1, hq, s, d), "K": (1, hkv, s, d), "V": (1, hkv, s, d),
              "PK": (1, hkv, past, d), "PV": (1, hkv, past, d)}
    feeds = {n: rng.standard_normal(sh).astype(np.float32) for n, sh in shapes.items()}
    infos = [helper.make_tensor_value_info(n, TensorProto.FLOAT, sh) for n, sh in shapes.items()]
    names = ["Q", "K", "V", "", "PK", "PV"]
    if mask == "bool":
        m = rng.random((s, t)) < 0.8
        m[:, 0] = True
        feeds["M"] = m
        infos.append(helper.make_tensor_value_info("M", TensorProto.BOOL, (s, t)))
        names[3] = "M"
    elif mask == "float":
        feeds["M"] = rng.standard_normal((s, t)).astype(np.float32)
        infos.append(helper.make_tensor_value_info("M", TensorProto.FLOAT, (s, t)))
        names[3] = "M"
    node = helper.make_node("Attention", names, ["Y", "PKo", "PVo"], is_causal=1)
    outs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, (1, hq, s, d)),
            helper.make_tensor_value_info("PKo", TensorProto.FLOAT, (1, hkv, t, d)),
            helper.make_tensor_value_info("PVo", TensorProto.FLOAT, (1, hkv, t, d))]
    model = helper.make_model(helper.make_graph([node], "g", infos, outs), ir_version=10,
                              opset_imports=[helper.make_opsetid("", 23)])
    return model, feeds


def numpy_reference(feeds, group=2):
    """Float64, written from the spec: keys are past + new; query i keeps
    key j when j <= i + past and the mask keeps it (bool) or adds to it."""
    q = feeds["Q"].astype(np.float64)
    k = np.repeat(np.concatenate([feeds["PK"], feeds["K"]], 2), group, axis=1)
    v = np.repeat(np.concatenate([feeds["PV"], feeds["V"]], 2), group, axis=1)
    s = q @ k.transpose(0, 1, 3, 2).astype(np.float64) / np.sqrt(q.shape[-1])
    n, t = s.shape[-2:]
    keep = np.arange(t)[None, :] <= np.arange(n)[:, None] + (t - n)
    m = feeds.get("M")
    if m is not None and m.dtype == np.bool_:
        keep = keep & m
    elif m is not None:
        s = s + m
    s = np.where(keep, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize("mask", ["none", "bool", "float"])
def test_causal_after_past(mask):
    model, feeds = build(mask)
    got = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(model.SerializeToString()))).run(feeds)
    np.testing.assert_allclose(got["Y"], numpy_reference(feeds), rtol=1e-5, atol=1e-6)
    ort_y = ort.InferenceSession(model.SerializeToString(),
                                 providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(got["Y"], ort_y, rtol=1e-4, atol=1e-5)
    # onnx.reference turns a bool mask into (1 - m) * -inf, which is NaN
    # where the mask keeps a key; it is compared only without one.
    if mask != "bool":
        want = ReferenceEvaluator(model).run(None, feeds)
        for name, w in zip(["Y", "PKo", "PVo"], want):
            np.testing.assert_allclose(got[name], w, rtol=1e-5, atol=1e-5, err_msg=name)

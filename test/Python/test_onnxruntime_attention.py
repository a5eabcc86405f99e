"""Differential tests: ONNX Attention models over random configurations,
run by onnxruntime and by hydra (compiled from the same model)."""

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

import onnxruntime as ort  # noqa: E402

N_CONFIGS = 24
# Configurations past one 64-row query tile and one 64-key tile: the CPU's
# lane form over several key tiles (the running max and sum rescaled), a
# last query tile of 16 rows or more (lanes) or fewer (row by row).
N_LONG_CONFIGS = 8


def random_config(seed, long=False):
    rng = np.random.default_rng(seed)
    hkv = int(rng.choice([1, 2, 4]))
    hq = hkv * int(rng.choice([1, 2, 4]))
    lengths = (60, 200) if long else (1, 40)
    s = int(rng.integers(*lengths))
    t = s if rng.random() < 0.5 else int(rng.integers(*lengths))
    return dict(
        seed=seed, B=int(rng.integers(1, 3)), Hq=hq, Hkv=hkv, S=s, T=t,
        Dk=int(rng.choice([8, 16, 32])), Dv=int(rng.choice([8, 16, 24])),
        layout=str(rng.choice(["3d", "4d"])), causal=bool(rng.random() < 0.5),
        mask=str(rng.choice(["none", "bool", "float"])),
        scale=float(rng.uniform(0.05, 0.5)) if rng.random() < 0.4 else None,
        softcap=float(rng.uniform(1, 10)) if rng.random() < 0.3 else None)


def build(c):
    B, Hq, Hkv, S, T, Dk, Dv = (c[k] for k in ("B", "Hq", "Hkv", "S", "T", "Dk", "Dv"))
    rng = np.random.default_rng(c["seed"] + 1000)
    if c["layout"] == "4d":
        shapes = {"Q": (B, Hq, S, Dk), "K": (B, Hkv, T, Dk), "V": (B, Hkv, T, Dv)}
        out_shape = (B, Hq, S, Dv)
    else:
        shapes = {"Q": (B, S, Hq * Dk), "K": (B, T, Hkv * Dk), "V": (B, T, Hkv * Dv)}
        out_shape = (B, S, Hq * Dv)
    feeds = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in shapes.items()]
    names = ["Q", "K", "V"]
    if c["mask"] != "none":
        m_shape = (S, T)
        if c["mask"] == "bool":
            m = rng.random(m_shape) < 0.75
            m[:, 0] = True  # every query keeps key 0
            inputs.append(helper.make_tensor_value_info("M", TensorProto.BOOL, m_shape))
        else:
            m = rng.standard_normal(m_shape).astype(np.float32)
            inputs.append(helper.make_tensor_value_info("M", TensorProto.FLOAT, m_shape))
        feeds["M"] = m
        names.append("M")
    attrs = {"is_causal": int(c["causal"])}
    if c["layout"] == "3d":
        attrs.update(q_num_heads=Hq, kv_num_heads=Hkv)
    if c["scale"] is not None:
        attrs["scale"] = c["scale"]
    if c["softcap"] is not None:
        attrs["softcap"] = c["softcap"]
    node = helper.make_node("Attention", names, ["Y"], **attrs)
    graph = helper.make_graph([node], "attention", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, out_shape)])
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 23)])
    return model, feeds


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
@pytest.mark.parametrize("seed", range(N_CONFIGS))
def test_attention_matches_onnxruntime(seed, device):
    # gpu-emulator: the GPU kernels (and ordinary operators as GPU grids)
    # run by the runtime's GPU emulator (docs/gpu.md).
    check_against_onnxruntime(random_config(seed), device)


@pytest.mark.parametrize("seed", range(N_LONG_CONFIGS))
def test_long_attention_matches_onnxruntime(seed):
    check_against_onnxruntime(random_config(1000 + seed, long=True), "cpu")


def check_against_onnxruntime(c, device):
    model, feeds = build(c)
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    artifact = hydrahead.compile(model.SerializeToString(), target=device)
    session = hydrahead.Session(hydrahead.Module(artifact), device=device)
    got = session.run(feeds)["Y"]
    assert got.shape == want.shape
    err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
    assert err <= 1e-4, f"config {c}: max error {err:.3e}"

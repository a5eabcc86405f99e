"""The hybrid layer in both ONNX spellings (examples/hybrid_models.py): the
ai.hydrahead::HybridAttention custom op and the standard-op spelling
(Gather → Attention / LinearAttention → Concat + Gather → RMSNormalization
→ Mul). hydra must raise the standard spelling to one
hydra.hybrid_attention, and both compiled models must match onnx.reference
run on the standard spelling."""

import os
import re
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx.reference import ReferenceEvaluator

from tools import ROOT, tool

sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import hydrahead  # noqa: E402
from hybrid_models import HybridLayer  # noqa: E402

TOLERANCE = 1e-4


def gamma(hq, dv, seed=3):
    return (0.5 + np.random.default_rng(seed).random((hq, dv))).astype(np.float32)


LAYERS = {
    "7to1_gated_delta": HybridLayer("FLLLLLLL", Hkv=2, fusion_scale=gamma(8, 16)),
    "interleaved_per_head_kv": HybridLayer("FLLLFLLL", Hkv=2, kv_mode="per_head",
                                           fusion_scale=gamma(8, 16)),
    "last_full_gated_per_key": HybridLayer("LLLLLLLF", Hkv=4, rule="gated",
                                           decay_per_key=True, fusion_scale=gamma(8, 16)),
    "mqa_delta_shared_beta": HybridLayer("FLFL", Hkv=1, rule="delta", beta_shared=True),
    "linear_rule_scales": HybridLayer("FFLL", Hkv=2, rule="linear", causal=False,
                                      scale=0.3, linear_scale=0.05, Dv=8,
                                      fusion_scale=gamma(4, 8), epsilon=1e-3),
    "mha_delta": HybridLayer("LFLLLLLF", Hkv=8, rule="delta", Dk=8, Dv=24,
                             fusion_scale=gamma(8, 24)),
    "all_full": HybridLayer("FFFF", Hkv=2, fusion_scale=gamma(4, 16)),
    "all_linear": HybridLayer("LLLL", Hkv=2, fusion_scale=gamma(4, 16)),
    "mixed_everything": HybridLayer("LLFL", Hkv=2, decay_per_key=True, beta_shared=True,
                                    kv_mode="per_head", fusion_scale=gamma(4, 16)),
    "batch_ragged": HybridLayer("FLLLLLLL", B=2, S=33, Hkv=2, rule="gated",
                                fusion_scale=gamma(8, 16)),
    "norm_after_transpose": HybridLayer("FLLLFLLL", Hkv=2, norm_layout="bshd",
                                        fusion_scale=gamma(8, 16)),
}


def save(model, path):
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def run_hydra(model, inputs, device="cpu"):
    target = "cpu" if device == "cpu" else device
    artifact = hydrahead.compile(model.SerializeToString(), target=target)
    session = hydrahead.Session(hydrahead.Module(artifact), device=device)
    return session.run(inputs)["y"]


def check(got, want, what):
    assert got.shape == want.shape, what
    err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
    assert err <= TOLERANCE, f"{what}: max error {err:.3e}"


@pytest.mark.parametrize("name", LAYERS)
def test_standard_spelling_is_raised(name, tmp_path):
    layer = LAYERS[name]
    path = save(layer.standard_model(), tmp_path / "standard.onnx")
    ir = tool("hydra-compile", path, "--emit=hydra", check=True).stdout
    ops = re.findall(r"hydra\.hybrid_attention .*heads = #hydra\.heads<\"(\w+)\">", ir)
    assert ops == [layer.heads], ir
    assert ("fusion_scale(" in ir) == (layer.fusion_scale is not None), ir
    for leftover in ("hydra.rms_norm", "tensor.concat", "tensor.extract_slice"):
        assert leftover not in ir, ir


@pytest.mark.parametrize("name", LAYERS)
def test_standard_spelling_is_valid_onnx_that_onnxruntime_runs(name):
    layer = LAYERS[name]
    standard = layer.standard_model()
    onnx.checker.check_model(standard, full_check=True)
    inputs = layer.random_inputs(seed=5)
    session = onnxruntime.InferenceSession(standard.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    want = ReferenceEvaluator(standard).run(None, inputs)[0]
    check(session.run(None, inputs)[0], want, f"{name}, onnxruntime")
    check(run_hydra(standard, inputs), session.run(None, inputs)[0], f"{name}, hydra")


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
@pytest.mark.parametrize("name", LAYERS)
def test_both_spellings_match_onnx_reference(name, device):
    # gpu-emulator: the whole model on the GPU path (layout changes and other
    # ordinary operators as grid-stride kernels, attention as block kernels)
    # run by the GPU emulator.
    layer = LAYERS[name]
    inputs = layer.random_inputs(seed=11)
    standard = layer.standard_model()
    want = ReferenceEvaluator(standard).run(None, inputs)[0]
    check(run_hydra(standard, inputs, device), want, f"{name}, standard spelling, {device}")
    check(run_hydra(layer.custom_model(), inputs, device), want, f"{name}, custom op, {device}")


# Decode steps: both spellings take the caches after `past` tokens and
# return the presents (the standard one through Attention's past_key and
# past_value and LinearAttention's past_state). Each group's kv heads are
# its own (no kv head repeated for its query heads), as a cache holds them.
CACHED = {
    "7to1_step_of_4": HybridLayer("FLLLLLLL", Hkv=8, S=4, past=9, fusion_scale=gamma(8, 16)),
    "one_token_gated": HybridLayer("LLLF", Hkv=4, S=1, past=20, rule="gated",
                                   fusion_scale=gamma(4, 16)),
    "full_kv_head_of_its_own": HybridLayer("FFLLLLLL", Hkv=4, S=3, past=5, rule="delta"),
}


def run_all_outputs(model, inputs):
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString())))
    return session.run(inputs)


@pytest.mark.parametrize("name", CACHED)
def test_standard_spelling_with_caches_is_raised(name, tmp_path):
    layer = CACHED[name]
    path = save(layer.standard_model(), tmp_path / "standard.onnx")
    ir = tool("hydra-compile", path, "--emit=hydra", check=True).stdout
    ops = re.findall(r"hydra\.hybrid_attention .*heads = #hydra\.heads<\"(\w+)\">", ir)
    assert ops == [layer.heads], ir
    op = next(line for line in ir.splitlines() if "hydra.hybrid_attention" in line)
    assert "full_key(" in op and "initial_state(" in op, op


@pytest.mark.parametrize("name", CACHED)
def test_both_spellings_with_caches_match_onnx_reference(name):
    layer = CACHED[name]
    inputs = layer.random_inputs(seed=13)
    standard = layer.standard_model()
    names = [o.name for o in standard.graph.output]
    want = dict(zip(names, ReferenceEvaluator(standard).run(None, inputs)))
    assert set(names) == {"y", "present_key", "present_value", "present_state"}
    for spelling, model in (("standard", standard), ("custom", layer.custom_model())):
        got = run_all_outputs(model, inputs)
        for n in names:
            check(got[n], want[n], f"{name}, {spelling} spelling, {n}")

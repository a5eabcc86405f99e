"""A log decay of -inf is a full state reset (e^-inf = 0): the state
forgets everything before that step. The chunkwise kernels sum log decays
within a chunk and take differences G_t - G_s, where -inf - (-inf) used to
give NaN from the reset on. hydra must match onnx.reference (which runs
the step recurrence and stays finite) on the CPU and the emulated GPU."""

import os
import sys

import numpy as np
import pytest
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import hydrahead  # noqa: E402
from hybrid_models import HybridLayer  # noqa: E402

LAYERS = {
    "gated_per_head": HybridLayer("FLLLLLLL", Hkv=2, rule="gated", S=40),
    "gated_per_key": HybridLayer("LLLF", Hkv=2, rule="gated", decay_per_key=True, S=40),
    "gated_delta": HybridLayer("LFLL", Hkv=2, rule="gated_delta", S=40),
}


def run_hydra(model, inputs, device):
    artifact = hydrahead.compile(model.SerializeToString(), target=device)
    return hydrahead.Session(hydrahead.Module(artifact), device=device).run(inputs)["y"]


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
@pytest.mark.parametrize("name", LAYERS)
def test_a_log_decay_of_minus_infinity_resets_the_state(name, device):
    layer = LAYERS[name]
    inputs = layer.random_inputs(seed=5)
    # Resets inside a chunk, at a chunk's first step, and two in a row.
    for step in (3, 16, 17, 33):
        inputs["decay"][:, step] = -np.inf
    model = layer.standard_model()
    want = ReferenceEvaluator(model).run(None, inputs)[0]
    assert np.all(np.isfinite(want))
    got = run_hydra(model, inputs, device)
    assert np.all(np.isfinite(got)), f"{name} on {device}: non-finite output"
    err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
    assert err <= 1e-4, f"{name} on {device}: max error {err:.3e}"
    # The reset really cuts the past: outputs from step 33 on do not change
    # when everything before it does.
    changed = {n: v.copy() for n, v in inputs.items()}
    for n in ("query", "key", "value"):
        changed[n][:, :33] = np.random.default_rng(9).standard_normal(changed[n][:, :33].shape)
    again = run_hydra(model, changed, device)
    # Linear heads only (full heads see the changed keys); the fusion norm
    # is per head and position, so it mixes nothing in.
    dv = layer.Dv
    cols = np.concatenate([np.arange(h * dv, (h + 1) * dv)
                           for h, kind in enumerate(layer.heads) if kind == "L"])
    assert np.allclose(again[:, 33:, cols], got[:, 33:, cols], atol=1e-5)

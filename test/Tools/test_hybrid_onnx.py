"""The hybrid custom op (ai.hydrahead::HybridAttention) and Attention /
LinearAttention models, compiled from ONNX and run through the tools,
against the float64 reference (itself checked against onnx.reference)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tools import BUILD, ROOT, tool


@pytest.mark.parametrize("spelling", ["custom", "standard"])
def test_example_model_end_to_end(tmp_path, spelling):
    subprocess.run([sys.executable, os.path.join(ROOT, "examples", "make_hybrid_onnx.py"),
                    str(tmp_path), "--spelling", spelling], check=True, capture_output=True)
    tool("hydra-compile", tmp_path / "model.onnx", "-o", tmp_path / "m.hydra", check=True)
    args = []
    for name in ("query", "key", "value", "decay", "beta"):
        args += ["--input", f"{name}={tmp_path / (name + '.npy')}"]
    tool("hydra-run", tmp_path / "m.hydra", *args, "--output-dir", tmp_path / "out",
         check=True)
    got = np.load(tmp_path / "out" / "y.npy")
    ref = np.load(tmp_path / "reference.npy")
    assert got.shape == ref.shape
    assert np.max(np.abs(got - ref)) <= 1e-4 * max(1, np.max(np.abs(ref)))

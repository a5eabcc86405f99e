"""hydra-compile --weights=bf16: the CPU code's constant weights packed as
bf16 (rounded to nearest even), products accumulated in f32. Checked
against float64 products of the bf16-rounded weights (what the kernels
compute, up to f32 accumulation) and of the f32 weights (the rounding's
cost), on a prefill-sized and a decode-sized input."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tools import assert_clean_error, tool

K, N = 192, 200  # N not a multiple of the 64-column panels


def bf16_round(w):
    """float32 → nearest bf16 (ties to even), back as float32."""
    bits = w.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("bf16")
    rng = np.random.default_rng(7)
    w = rng.standard_normal((K, N)).astype(np.float32)
    wt = rng.standard_normal((N, K)).astype(np.float32)  # read as (n, k)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Gemm", ["x", "wt"], ["g"], transB=1),
             helper.make_node("Add", ["h", "g"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", N])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(wt, "wt")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]),
              d / "m.onnx")
    for weights in ("f32", "bf16"):
        tool("hydra-compile", d / "m.onnx", "-o", d / f"{weights}.hydra",
             f"--weights={weights}", check=True)
    return d, w, wt


@pytest.mark.parametrize("rows", [1, 37])
def test_bf16_weights_match_the_rounded_product(model, rows, tmp_path):
    d, w, wt = model
    x = np.random.default_rng(rows).standard_normal((rows, K)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    tool("hydra-run", d / "bf16.hydra", "--input", f"x={tmp_path / 'x.npy'}",
         "--output-dir", tmp_path, check=True)
    got = np.load(tmp_path / "y.npy")
    x64 = x.astype(np.float64)
    rounded = x64 @ bf16_round(w).astype(np.float64) + x64 @ bf16_round(wt).T.astype(np.float64)
    exact = x64 @ w.astype(np.float64) + x64 @ wt.T.astype(np.float64)
    scale = np.abs(exact).max()
    # What the kernels compute: f32 sums of products of the rounded weights.
    assert np.abs(got - rounded).max() <= 1e-5 * scale
    # The rounding's cost, 8 bits of mantissa: about 2^-9 relative per weight.
    err = np.abs(got - exact).max() / scale
    assert 1e-5 < err < 1e-2, err


def test_bf16_weights_halve_the_artifact(model):
    d, _, _ = model
    f32 = (d / "f32.hydra").stat().st_size
    bf16 = (d / "bf16.hydra").stat().st_size
    weight_bytes = 2 * K * 256 * 4  # two weights as 4 panels of 64 columns
    assert f32 - bf16 >= 0.45 * weight_bytes, (f32, bf16)


def test_unknown_weight_type_is_refused(model, tmp_path):
    d, _, _ = model
    proc = tool("hydra-compile", d / "m.onnx", "-o", tmp_path / "x.hydra", "--weights=fp8")
    assert_clean_error(proc, "weight type must be f32 or bf16, not 'fp8'")
    assert len(proc.stderr) < 500  # the message, not the module

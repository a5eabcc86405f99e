"""The float functions, activations and the other elementwise operators
that transformer exporters write (Sigmoid of SiLU, Gelu, Softplus, Max,
Clip, Mod, IsNaN, ...), compiled by hydra and checked against
onnx.reference in f32 and f16 (hydra computes 16-bit floats in f32 and
rounds once, so f16 agrees to a rounding step), on the CPU and through the
GPU kernels on the emulator; bool constants through both."""

import os
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
              np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.bool_): TensorProto.BOOL}


def model_of(nodes, feeds, opset=22, initializers=()):
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPES[a.dtype], a.shape)
              for n, a in feeds.items()]
    graph = helper.make_graph(nodes, "g", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.UNDEFINED, None)],
                              initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def run_both(model, feeds, device="cpu"):
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    target = "gpu-emulator" if device == "gpu-emulator" else "cpu"
    artifact = hydrahead.compile(model.SerializeToString(), target=target)
    got = hydrahead.Session(hydrahead.Module(artifact), device=device).run(feeds)["y"]
    return got, want


def assert_close(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype == np.bool_ or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want)
        return
    # f16: the reference rounds each step to f16, hydra once.
    tol = 2e-3 if want.dtype == np.float16 else 2e-6
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                               rtol=tol, atol=tol, equal_nan=True)


def values(dtype, shape=(3, 17), scale=3.0, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x.flat[:4] = [0.0, -0.0, 1e-3, -7.5]
    return x.astype(dtype)


UNARY = ["Sqrt", "Exp", "Log", "Tanh", "Sin", "Cos", "Tan", "Atan", "Sinh", "Cosh",
         "Asinh", "Erf", "Floor", "Ceil", "Round", "Reciprocal", "Sigmoid", "HardSigmoid",
         "HardSwish", "LeakyRelu", "ThresholdedRelu", "Elu", "Selu", "Softplus", "Softsign",
         "Mish", "Gelu", "Abs", "Sign", "Relu", "IsNaN", "IsInf"]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("op", UNARY)
def test_unary_float(op, dtype):
    x = values(dtype)
    if op in ("IsNaN", "IsInf", "Sign", "Relu", "Abs"):
        x.flat[4:7] = [np.nan, np.inf, -np.inf]
    feeds = {"x": x}
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        got, want = run_both(model_of([helper.make_node(op, ["x"], ["y"])], feeds), feeds)
    assert_close(got, want)


@pytest.mark.parametrize("op, attrs, opset", [
    ("Gelu", {"approximate": "tanh"}, 22), ("Elu", {"alpha": 0.5}, 22),
    ("LeakyRelu", {"alpha": 0.2}, 22), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 22),
    ("Celu", {"alpha": 2.0}, 22), ("Swish", {"alpha": 1.5}, 24),
    ("IsInf", {"detect_negative": 0}, 22), ("IsInf", {"detect_positive": 0}, 22)])
def test_activation_attributes(op, attrs, opset):
    x = values(np.float32)
    x.flat[4:6] = [np.inf, -np.inf]
    feeds = {"x": x}
    with np.errstate(invalid="ignore", over="ignore"):
        got, want = run_both(model_of([helper.make_node(op, ["x"], ["y"], **attrs)], feeds,
                                      opset), feeds)
    assert_close(got, want)


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("n", [1, 3])
def test_variadic_broadcasts(op, n):
    shapes = [(2, 3, 5), (3, 1), (5,)][:n]
    feeds = {f"x{i}": values(np.float32, s, seed=i) for i, s in enumerate(shapes)}
    got, want = run_both(model_of([helper.make_node(op, list(feeds), ["y"])], feeds), feeds)
    assert_close(got, want)


@pytest.mark.parametrize("op", ["Max", "Min"])
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int8])
def test_max_min_integers_by_signedness(op, dtype):
    a = np.array([[250, 7, 128, 3]], np.uint8).astype(dtype)
    b = np.array([[3, 200, 5, 255]], np.uint8).astype(dtype)
    feeds = {"a": a, "b": b}
    got, want = run_both(model_of([helper.make_node(op, ["a", "b"], ["y"])], feeds), feeds)
    assert_close(got, want)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
@pytest.mark.parametrize("op", ["Abs", "Sign", "Relu"])
def test_integer_unary(op, dtype):
    x = np.array([[-7, 0, 5, -1, 127, -128 if dtype == np.int8 else -1000]], dtype)
    feeds = {"x": x}
    got, want = run_both(model_of([helper.make_node(op, ["x"], ["y"])], feeds), feeds)
    assert_close(got, want)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_mod_signs(fmod, dtype):
    if dtype == np.float32 and fmod == 0:
        opset = 28  # floor-mod of floats is new in opset 28
    else:
        opset = 22
    a = np.array([7, -7, 7, -7, 0, 9, -9], dtype)
    b = np.array([3, 3, -3, -3, 5, 3, -4], dtype)
    feeds = {"a": a, "b": b}
    got, want = run_both(model_of([helper.make_node("Mod", ["a", "b"], ["y"], fmod=fmod)],
                                  feeds, opset), feeds)
    if dtype == np.float32 and fmod == 0:
        want = np.mod(a, b)  # onnx.reference predates opset 28's float Mod
    assert_close(got, want)


def test_float_mod_needs_fmod_before_opset_28():
    feeds = {"a": np.ones(3, np.float32), "b": np.ones(3, np.float32)}
    model = model_of([helper.make_node("Mod", ["a", "b"], ["y"])], feeds, 22)
    with pytest.raises(hydrahead.HydraError, match="fmod must be 1 for float inputs"):
        hydrahead.compile(model.SerializeToString())


@pytest.mark.parametrize("bounds", ["both", "min", "max", "none"])
def test_clip_inputs(bounds):
    x = values(np.float32)
    names = {"both": ["x", "lo", "hi"], "min": ["x", "lo"], "max": ["x", "", "hi"],
             "none": ["x"]}[bounds]
    inits = [numpy_helper.from_array(np.array(-1.0, np.float32), "lo"),
             numpy_helper.from_array(np.array(2.5, np.float32), "hi")]
    feeds = {"x": x}
    got, want = run_both(model_of([helper.make_node("Clip", names, ["y"])], feeds,
                                  initializers=inits), feeds)
    assert_close(got, want)


def test_clip_integers_and_opset_6_attributes():
    x = np.array([[-7, 0, 5, 200]], np.int32)
    inits = [numpy_helper.from_array(np.array(-1, np.int32), "lo"),
             numpy_helper.from_array(np.array(100, np.int32), "hi")]
    feeds = {"x": x}
    got, want = run_both(model_of([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], feeds,
                                  initializers=inits), feeds)
    assert_close(got, want)
    feeds = {"x": values(np.float32)}
    got, want = run_both(model_of([helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=1.0)],
                                  feeds, 6), feeds)
    assert_close(got, want)


def test_swiglu_opset_28():
    feeds = {"a": values(np.float32, seed=1), "b": values(np.float32, seed=2)}
    model = model_of([helper.make_node("SwiGLU", ["a", "b"], ["y"], alpha=1.25)], feeds, 28)
    got = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString()))) \
        .run(feeds)["y"]
    a, b = feeds["a"].astype(np.float64), feeds["b"].astype(np.float64)
    want = a / (1 + np.exp(-1.25 * a)) * b  # Swish_alpha(A) · B, from the spec
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
def test_bool_constants_reach_the_kernels(device):
    """A bool initializer (a padding mask) and a bool produced by folding
    constants (a causal mask from Less of two constants) both become bool
    constants of the artifact, one byte an element."""
    s = 37
    pad = np.random.default_rng(3).random((s,)) < 0.5
    rows = np.arange(s, dtype=np.int64)
    inits = [numpy_helper.from_array(pad, "pad"),
             numpy_helper.from_array(rows.reshape(s, 1), "i"),
             numpy_helper.from_array(rows.reshape(1, s), "j"),
             numpy_helper.from_array(np.array(-1e4, np.float32), "neg")]
    nodes = [helper.make_node("Less", ["i", "j"], ["future"]),  # folded at import
             helper.make_node("Or", ["future", "pad"], ["masked"]),
             helper.make_node("Where", ["masked", "neg", "x"], ["y"])]
    feeds = {"x": values(np.float32, (2, s, s))}
    got, want = run_both(model_of(nodes, feeds, initializers=inits), feeds, device)
    assert_close(got, want)


def test_gpu_emulator_runs_the_new_ops():
    x = values(np.float32)
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["silu"]),
             helper.make_node("Gelu", ["silu"], ["g"]), helper.make_node("Erf", ["g"], ["e"]),
             helper.make_node("Sin", ["e"], ["y"])]
    feeds = {"x": x}
    got, want = run_both(model_of(nodes, feeds), feeds, "gpu-emulator")
    assert_close(got, want)

"""Matrix products through hydra-tile-contractions (packed B panels, a
register-tiled micro-kernel, a forall over blocks of C): shapes that cross
every block and tile boundary, tails in m, n and k, batch broadcast,
transposed operands, a bias folded after the product, dynamic sizes; each
checked against the product in float64. Also the ordinary operators split
across the thread pool and fused (hydra-fuse-elementwise), against
onnxruntime."""

import os
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

RNG = np.random.default_rng(11)


def model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, ir_version=10,
                             opset_imports=[helper.make_opsetid("", 21)])


def run(m, feeds, threads=0):
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(m.SerializeToString())),
                                threads=threads)
    return session.run(feeds)


def f32(shape):
    return RNG.standard_normal(shape).astype(np.float32)


def assert_product_close(got, want64, k):
    # f32 accumulation over k terms of N(0,1) products: error grows ~ sqrt(k).
    tol = 2e-6 * np.sqrt(k) * np.max(np.abs(want64))
    np.testing.assert_allclose(got.astype(np.float64), want64, rtol=0, atol=tol)


# Default blocks: 6-row strips, 64-column panels, 192 × 256 blocks of C,
# 256-deep panels: these cross each boundary and leave tails in each size.
# The first and third have a B of under 64 × 64 elements: rows one at a time,
# B read in place, nothing packed.
@pytest.mark.parametrize("m,k,n", [(1, 64, 16), (1, 4096, 33), (5, 3, 7), (12, 256, 32),
                                   (13, 385, 33), (193, 400, 257), (200, 769, 300)])
def test_weight_product(m, k, n):
    w = f32((k, n))
    x = f32((m, k))
    mm = model([helper.make_node("MatMul", ["x", "w"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
               [numpy_helper.from_array(w, "w")])
    got = run(mm, {"x": x})["y"]
    assert got.shape == (m, n)
    assert_product_close(got, x.astype(np.float64) @ w.astype(np.float64), k)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batched_broadcast_and_dynamic(threads):
    # [B, S, K] x [K, N] with S dynamic: the batch is an outer loop of C.
    k, n = 96, 80
    w = f32((k, n))
    mm = model([helper.make_node("MatMul", ["x", "w"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, "S", k])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, "S", n])],
               [numpy_helper.from_array(w, "w")])
    for s in (1, 17, 250):
        x = f32((3, s, k))
        got = run(mm, {"x": x}, threads)["y"]
        assert_product_close(got, x.astype(np.float64) @ w.astype(np.float64), k)


def test_batch_times_batch_with_broadcast_batch():
    # [2, 1, M, K] x [1, 3, K, N]: both batch axes broadcast.
    a, b = f32((2, 1, 20, 70)), f32((1, 3, 70, 90))
    mm = model([helper.make_node("MatMul", ["a", "b"], ["y"])],
               [helper.make_tensor_value_info("a", TensorProto.FLOAT, a.shape),
                helper.make_tensor_value_info("b", TensorProto.FLOAT, b.shape)],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 20, 90])])
    got = run(mm, {"a": a, "b": b})["y"]
    assert_product_close(got, a.astype(np.float64) @ b.astype(np.float64), 70)


@pytest.mark.parametrize("trans_a,trans_b", [(0, 1), (1, 0), (1, 1)])
def test_gemm_transposed_with_bias(trans_a, trans_b):
    m, k, n = 45, 70, 90
    a = f32((k, m) if trans_a else (m, k))
    b = f32((n, k) if trans_b else (k, n))
    c = f32((n,))
    node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=trans_a, transB=trans_b,
                            alpha=0.5, beta=2.0)
    g = model([node], [helper.make_tensor_value_info("a", TensorProto.FLOAT, a.shape)],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
              [numpy_helper.from_array(b, "b"), numpy_helper.from_array(c, "c")])
    a64 = a.astype(np.float64).T if trans_a else a.astype(np.float64)
    b64 = b.astype(np.float64).T if trans_b else b.astype(np.float64)
    got = run(g, {"a": a})["y"]
    assert_product_close(got, 0.5 * (a64 @ b64) + 2.0 * c, k)


def test_empty_reduction_gives_zeros():
    a, b = np.zeros((4, 0), np.float32), np.zeros((0, 5), np.float32)
    mm = model([helper.make_node("MatMul", ["a", "b"], ["y"])],
               [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["M", "K"]),
                helper.make_tensor_value_info("b", TensorProto.FLOAT, ["K", "N"])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["M", "N"])])
    got = run(mm, {"a": a, "b": b})["y"]
    assert got.shape == (4, 5) and not got.any()


def test_fused_elementwise_chain_and_norm_match_onnxruntime():
    # RMSNorm, a SwiGLU gate and a residual: fused elementwise kernels split
    # over rows, with products between them.
    d, f = 64, 96
    wg, wu, wd = f32((d, f)), f32((d, f)), f32((f, d))
    scale = (1 + 0.1 * f32((d,))).astype(np.float32)
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "axes"], ["ms"], keepdims=1),
        helper.make_node("Add", ["ms", "eps"], ["mse"]),
        helper.make_node("Sqrt", ["mse"], ["rms"]),
        helper.make_node("Div", ["x", "rms"], ["xn"]),
        helper.make_node("Mul", ["xn", "scale"], ["h"]),
        helper.make_node("MatMul", ["h", "wg"], ["g"]),
        helper.make_node("MatMul", ["h", "wu"], ["u"]),
        helper.make_node("Sigmoid", ["g"], ["sg"]),
        helper.make_node("Mul", ["g", "sg"], ["silu"]),
        helper.make_node("Mul", ["silu", "u"], ["gu"]),
        helper.make_node("MatMul", ["gu", "wd"], ["down"]),
        helper.make_node("Add", ["x", "down"], ["y"]),
    ]
    inits = [numpy_helper.from_array(v, n) for n, v in
             [("wg", wg), ("wu", wu), ("wd", wd), ("scale", scale),
              ("axes", np.array([-1], np.int64)), ("eps", np.array(1e-6, np.float32))]]
    g = model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, "S", d])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, "S", d])], inits)
    reference = ort.InferenceSession(g.SerializeToString(), providers=["CPUExecutionProvider"])
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(g.SerializeToString())))
    # One session over several sequence lengths, longer then shorter: its
    # kept temporaries grow and are reused.
    for s in (37, 90, 5, 37):
        xs = f32((2, s, d))
        want = reference.run(None, {"x": xs})[0]
        np.testing.assert_allclose(session.run({"x": xs})["y"], want, rtol=0,
                                   atol=2e-6 * np.abs(want).max())


def test_outputs_are_views_that_outlive_the_session():
    w = f32((8, 8))
    mm = model([helper.make_node("MatMul", ["x", "w"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
               [numpy_helper.from_array(w, "w")])
    x = f32((4, 8))
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(mm.SerializeToString())))
    first = session.run({"x": x})["y"]
    second = session.run({"x": 2 * x})["y"]
    del session
    np.testing.assert_allclose(first, x @ w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(second, 2 * x @ w, rtol=1e-5, atol=1e-5)

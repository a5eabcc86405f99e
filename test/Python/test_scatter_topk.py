"""ScatterElements, ScatterND and TopK (what exporters write for in-place
updates and expert routing), compiled by hydra and checked against
onnx.reference and onnxruntime: every reduction, negative indices, indices
shorter than the data, index tuples of several dims, a dynamic batch, ties
and both orders of TopK, unsigned values; and the errors for what they
cannot do."""

import os
import subprocess
import sys

import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto as TP, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

BIN = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")), "bin")
RNG = np.random.default_rng(3)
TYPES = {np.dtype(np.float32): TP.FLOAT, np.dtype(np.int64): TP.INT64,
         np.dtype(np.int32): TP.INT32, np.dtype(np.uint8): TP.UINT8}


def model(node, feeds, outputs, shapes=None, inits=()):
    """`node` over graph inputs `feeds`; outputs of the first input's
    type, except TopK's indices (int64)."""
    inputs = [helper.make_tensor_value_info(n, TYPES[a.dtype], (shapes or {}).get(n, a.shape))
              for n, a in feeds.items()]
    first = TYPES[next(iter(feeds.values())).dtype]
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info(
                                  o, TP.INT64 if o == "indices" else first, None)
                               for o in outputs], list(inits))
    return helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 18)])


def check(m, feeds, ort=True):
    want = ReferenceEvaluator(m).run(None, feeds)
    got = hydrahead.Session(hydrahead.Module(hydrahead.compile(m.SerializeToString()))).run(feeds)
    names = [o.name for o in m.graph.output]
    for name, w in zip(names, want):
        assert got[name].dtype == w.dtype, name
        np.testing.assert_allclose(got[name], w, rtol=1e-6, atol=1e-6, err_msg=name)
    if ort:
        ref = onnxruntime.InferenceSession(m.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
        for name, w in zip(names, ref.run(None, feeds)):
            np.testing.assert_allclose(got[name], w, rtol=1e-6, atol=1e-6, err_msg=name)


def distinct_indices(shape, axis, n):
    """Indices along `axis` that never repeat within a line (reduction
    'none' is defined only then), some negative."""
    lines = np.moveaxis(np.zeros(shape, np.int64), axis, -1)
    out = np.empty_like(lines)
    for pos in np.ndindex(lines.shape[:-1]):
        pick = RNG.permutation(n)[:shape[axis]]
        out[pos] = np.where(RNG.random(pick.shape) < 0.5, pick - n, pick)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_elements(axis, reduction):
    data = RNG.standard_normal((4, 5), dtype=np.float32)
    shape = (3, 4) if axis == 0 else (3, 2)  # shorter than data off the axis
    n = data.shape[axis]
    indices = (distinct_indices(shape, axis % 2, n) if reduction == "none"
               else RNG.integers(-n, n, shape))
    updates = RNG.standard_normal(shape, dtype=np.float32)
    node = helper.make_node("ScatterElements", ["data", "indices", "updates"], ["y"],
                            axis=axis, reduction=reduction)
    check(model(node, {"data": data, "indices": indices, "updates": updates}, ["y"]),
          {"data": data, "indices": indices, "updates": updates})


def test_scatter_elements_dynamic_batch_unsigned():
    node = helper.make_node("ScatterElements", ["data", "indices", "updates"], ["y"],
                            axis=1, reduction="max")
    for batch in (1, 3):
        data = RNG.integers(0, 255, (batch, 6), dtype=np.uint8)
        indices = RNG.integers(0, 6, (batch, 4))
        updates = RNG.integers(0, 255, (batch, 4), dtype=np.uint8)
        feeds = {"data": data, "indices": indices, "updates": updates}
        m = model(node, feeds, ["y"], shapes={"data": ["B", 6], "indices": ["B", 4],
                                              "updates": ["B", 4]})
        check(m, feeds)


@pytest.mark.parametrize("case", ["rows", "elements", "tuples_2d", "whole"])
@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd(case, reduction):
    data = RNG.standard_normal((4, 3, 5), dtype=np.float32)
    if case == "rows":      # k = 1: whole [3, 5] slices, one negative
        indices = np.array([[2], [-4]], np.int64)
    elif case == "elements":  # k = 3: single elements
        indices = np.array([[0, 1, 2], [3, -1, 4], [1, 0, 0]], np.int64)
    elif case == "tuples_2d":  # tuples laid out [2, 2], k = 2
        indices = np.array([[[0, 0], [1, 2]], [[3, 1], [2, -3]]], np.int64)
    else:                   # one tuple, k = 1, indices of rank 1
        indices = np.array([1], np.int64)
    k = indices.shape[-1]
    updates = RNG.standard_normal(indices.shape[:-1] + data.shape[k:], dtype=np.float32)
    node = helper.make_node("ScatterND", ["data", "indices", "updates"], ["y"],
                            reduction=reduction)
    feeds = {"data": data, "indices": indices, "updates": updates}
    check(model(node, feeds, ["y"]), feeds)


@pytest.mark.parametrize("largest", [1, 0])
@pytest.mark.parametrize("axis", [1, -1, 0])
def test_topk(largest, axis):
    x = RNG.standard_normal((5, 7), dtype=np.float32)
    x[1, 2] = x[1, 5]  # ties go to the lower index
    x[3, :] = 0.5
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=axis,
                            largest=largest)
    k = numpy_helper.from_array(np.array([3], np.int64), "k")
    check(model(node, {"x": x}, ["values", "indices"], inits=[k]), {"x": x})


def test_topk_unsigned_and_all():
    x = RNG.integers(0, 255, (3, 6), dtype=np.uint8)
    x[0, 1] = x[0, 4] = 200  # > 127: an int8 reading would order them last
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"])
    k = numpy_helper.from_array(np.array([6], np.int64), "k")
    check(model(node, {"x": x}, ["values", "indices"], inits=[k]), {"x": x})


def test_topk_orders_nan_largest():
    # onnx.reference and onnxruntime differ on NaN; torch.topk puts it first.
    x = np.array([[1.0, np.nan, 3.0, -1.0]], np.float32)
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"])
    k = numpy_helper.from_array(np.array([2], np.int64), "k")
    m = model(node, {"x": x}, ["values", "indices"], inits=[k])
    got = hydrahead.Session(hydrahead.Module(hydrahead.compile(m.SerializeToString()))).run({"x": x})
    assert np.isnan(got["values"][0, 0]) and got["values"][0, 1] == 3.0
    np.testing.assert_array_equal(got["indices"], [[1, 2]])


def compile_error(m, tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    proc = subprocess.run([os.path.join(BIN, "hydra-compile"), str(path), "-o",
                           str(tmp_path / "m.hydra")], capture_output=True, text=True)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    return proc.stderr


def test_topk_errors(tmp_path):
    x = np.zeros((2, 4), np.float32)
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"])
    # K read from tensor data at run time.
    m = model(node, {"x": x, "k": np.array([2], np.int64)}, ["values", "indices"])
    assert "not supported: K not known at import" in compile_error(m, tmp_path)
    too_many = numpy_helper.from_array(np.array([5], np.int64), "k")
    m = model(node, {"x": x}, ["values", "indices"], inits=[too_many])
    assert "K = 5 exceeds the axis size 4" in compile_error(m, tmp_path)


def test_scatter_errors(tmp_path):
    data = np.zeros((4, 3), np.float32)
    node = helper.make_node("ScatterND", ["data", "indices", "updates"], ["y"])
    feeds = {"data": data, "indices": np.zeros((2, 3), np.int64),
             "updates": np.zeros((2,), np.float32)}
    assert "indices address 3 dimensions of a rank-2 input" in compile_error(
        model(node, feeds, ["y"]), tmp_path)
    node = helper.make_node("ScatterElements", ["data", "indices", "updates"], ["y"],
                            reduction="mean")
    feeds = {"data": data, "indices": np.zeros((1, 3), np.int64),
             "updates": np.zeros((1, 3), np.float32)}
    assert "unknown reduction 'mean'" in compile_error(model(node, feeds, ["y"]), tmp_path)

"""Shapes, axes, split sizes, slice bounds and Range limits given as graph
inputs, so known only from the call's data: Reshape (0 and -1), Expand,
Unsqueeze, Squeeze, ReduceMean and ReduceSum, Split, Slice (any sign of
step, negative axes, bounds beyond the axis) and Range. One artifact per
model runs with several values, each against onnxruntime; values a node
is not defined for fail the call with an error naming the node, before
anything runs."""

import os
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto as TP, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

RNG = np.random.default_rng(0)


def vi(name, shape, t=TP.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def model(node, inputs, outputs, opset=23):
    m = helper.make_model(helper.make_graph([node], "g", inputs, outputs),
                          opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m) if all(
        o.type.tensor_type.HasField("shape") for o in m.graph.output) else None
    return m  # (onnxruntime validates the others)


class Compiled:
    """One hydra artifact and one onnxruntime session of a model."""

    def __init__(self, m, device="cpu"):
        artifact = hydrahead.compile(m.SerializeToString(), target=device)
        self.ours = hydrahead.Session(hydrahead.Module(artifact), device=device)
        self.ref = onnxruntime.InferenceSession(m.SerializeToString(),
                                                providers=["CPUExecutionProvider"])
        self.names = [o.name for o in m.graph.output]

    def check(self, feeds):
        got = self.ours.run(feeds)
        for name, want in zip(self.names, self.ref.run(None, feeds)):
            assert got[name].shape == want.shape, (feeds, name)
            np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-6,
                                       err_msg=f"{name} for {feeds}")

    def fails(self, feeds, match):
        with pytest.raises(hydrahead.HydraError, match=match):
            self.ours.run(feeds)


def i64(*v):
    return np.array(v, np.int64)


def x_of(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
def test_reshape_shape_input(device):
    # A dynamic input and a shape read at run time: 0 copies, -1 infers.
    # The GPU kernels read the sizes from the same device buffers.
    m = model(helper.make_node("Reshape", ["x", "shape"], ["y"], name="r"),
              [vi("x", ["n", 12]), vi("shape", [3], TP.INT64)], [vi("y", None)])
    c = Compiled(m, device)
    for n, shape in [(2, i64(0, -1, 3)), (2, i64(4, 3, 2)), (5, i64(-1, 2, 6)),
                     (3, i64(3, 12, 1)), (1, i64(1, 1, -1))]:
        c.check({"x": x_of(n, 12), "shape": shape})
    c.fails({"x": x_of(2, 12), "shape": i64(5, 5, 1)},
            r"node 'r' \(Reshape\): the shape does not keep the input's element count")
    c.fails({"x": x_of(2, 12), "shape": i64(-1, -1, 6)},
            r"node 'r' \(Reshape\): the shape has more than one -1")
    c.fails({"x": x_of(2, 12), "shape": i64(-2, 2, 6)},
            r"node 'r' \(Reshape\): shape element 0 is below -1")


def test_reshape_allowzero():
    m = model(helper.make_node("Reshape", ["x", "shape"], ["y"], allowzero=1),
              [vi("x", [2, 3, 4]), vi("shape", [3], TP.INT64)], [vi("y", None)])
    c = Compiled(m)
    for shape in [i64(4, 2, 3), i64(2, -1, 4), i64(24, 1, 1)]:
        c.check({"x": x_of(2, 3, 4), "shape": shape})


def test_expand_shape_input():
    m = model(helper.make_node("Expand", ["x", "shape"], ["y"], name="e"),
              [vi("x", [3, 1]), vi("shape", [3], TP.INT64)], [vi("y", None)])
    c = Compiled(m)
    for shape in [i64(2, 1, 6), i64(1, 3, 1), i64(4, 3, 5)]:
        c.check({"x": x_of(3, 1), "shape": shape})
    c.fails({"x": x_of(3, 1), "shape": i64(2, 4, 6)},
            r"node 'e' \(Expand\): shape element 1 is neither 1 nor the input's size")


def test_unsqueeze_and_squeeze_axes_inputs():
    u = Compiled(model(helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="u"),
                       [vi("x", [3, 4]), vi("axes", [2], TP.INT64)], [vi("y", None)]))
    for axes in [i64(0, 3), i64(-1, 1), i64(2, 0), i64(1, 2)]:
        u.check({"x": x_of(3, 4), "axes": axes})
    u.fails({"x": x_of(3, 4), "axes": i64(1, 1)},
            r"node 'u' \(Unsqueeze\): two axes name dimension 1")
    u.fails({"x": x_of(3, 4), "axes": i64(0, 4)},
            r"node 'u' \(Unsqueeze\): axis 1 is out of range for rank 4")
    s = Compiled(model(helper.make_node("Squeeze", ["x", "axes"], ["y"], name="s"),
                       [vi("x", [1, 3, 1, 5]), vi("axes", [1], TP.INT64)], [vi("y", None)]))
    for axes in [i64(0), i64(2), i64(-2), i64(-4)]:
        s.check({"x": x_of(1, 3, 1, 5), "axes": axes})
    s.fails({"x": x_of(1, 3, 1, 5), "axes": i64(1)},
            r"node 's' \(Squeeze\): an axis names dimension 1, whose size is not 1")


@pytest.mark.parametrize("op", ["Squeeze", "ReduceMean"])
def test_more_axes_than_dimensions_is_an_import_error(op):
    # (the importer fuzzer's find: three axes read at run time for a 1D input)
    m = model(helper.make_node(op, ["x", "axes"], ["y"], name="n", keepdims=0)
              if op == "ReduceMean" else helper.make_node(op, ["x", "axes"], ["y"], name="n"),
              [vi("x", [7]), vi("axes", [3], TP.INT64)], [vi("y", None)])
    with pytest.raises(hydrahead.HydraError, match=rf"node 'n' \({op}\): 3 axes for a rank-1 input"):
        hydrahead.compile(m.SerializeToString(), target="cpu")


def test_unsqueeze_past_the_rank_limit_is_an_import_error():
    # (the importer fuzzer's find: 64 axes read at run time made a rank-68
    # output whose size arithmetic ran out of memory)
    m = model(helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="u"),
              [vi("x", [1, 3, 1, 5]), vi("axes", [5], TP.INT64)], [vi("y", None)])
    with pytest.raises(hydrahead.HydraError,
                       match=r"node 'u' \(Unsqueeze\): not supported: axes read from data "
                             r"on a tensor of rank 9 \(at most 8\)"):
        hydrahead.compile(m.SerializeToString(), target="cpu")


@pytest.mark.parametrize("op,keepdims", [("ReduceMean", 1), ("ReduceMean", 0),
                                         ("ReduceSum", 0), ("ReduceMax", 1)])
def test_reduce_axes_input(op, keepdims):
    m = model(helper.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims),
              [vi("x", [2, 3, 4]), vi("axes", [2], TP.INT64)], [vi("y", None)])
    c = Compiled(m)
    for axes in [i64(0, 2), i64(-1, 1), i64(1, 0), i64(2, -3)]:
        c.check({"x": x_of(2, 3, 4), "axes": axes})


def test_split_sizes_input():
    m = model(helper.make_node("Split", ["x", "split"], ["a", "b", "c"], axis=0, name="p"),
              [vi("x", ["n", 2]), vi("split", [3], TP.INT64)],
              [vi("a", None), vi("b", None), vi("c", None)])
    c = Compiled(m)
    for n, split in [(7, i64(1, 2, 4)), (7, i64(0, 7, 0)), (3, i64(1, 1, 1)),
                     (0, i64(0, 0, 0))]:
        c.check({"x": x_of(n, 2), "split": split})
    c.fails({"x": x_of(7, 2), "split": i64(1, 2, 3)},
            r"node 'p' \(Split\): the split sizes do not sum to the axis' size")
    c.fails({"x": x_of(7, 2), "split": i64(8, -1, 0)},
            r"node 'p' \(Split\): split size 1 is negative")


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
def test_slice_all_inputs(device):
    big = np.iinfo(np.int64).max
    m = model(helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"],
                               name="sl"),
              [vi("x", [6, 5, 4])] + [vi(n, [2], TP.INT64)
                                      for n in ("starts", "ends", "axes", "steps")],
              [vi("y", None)])
    c = Compiled(m, device)
    cases = [((0, 1), (3, 4), (0, 1), (1, 1)),
             ((5, -1), (0, -big), (0, 2), (-2, -1)),
             ((-100, 2), (big, 100), (-1, 0), (3, 2)),
             ((1, 4), (1, 0), (1, 2), (1, -1)),
             ((2, -3), (2, big), (2, 1), (1, 1))]
    for s, e, a, st in cases:
        c.check({"x": x_of(6, 5, 4), "starts": i64(*s), "ends": i64(*e),
                 "axes": i64(*a), "steps": i64(*st)})
    c.fails({"x": x_of(6, 5, 4), "starts": i64(0, 0), "ends": i64(1, 1),
             "axes": i64(0, 1), "steps": i64(1, 0)},
            r"node 'sl' \(Slice\): step 1 is 0")
    c.fails({"x": x_of(6, 5, 4), "starts": i64(0, 0), "ends": i64(1, 1),
             "axes": i64(0, 0), "steps": i64(1, 1)},
            r"node 'sl' \(Slice\): two axes name dimension 0")


def test_slice_bounds_inputs():
    # Axes known at import, bounds read at run time.
    m = model(helper.make_node("Slice", ["x", "starts", "ends"], ["y"]),
              [vi("x", [20, 10]), vi("starts", [2], TP.INT64),
               vi("ends", [2], TP.INT64)], [vi("y", None)])
    c = Compiled(m)
    for s, e in [((0, 0), (20, 10)), ((-5, 3), (-1, 100)), ((7, 9), (2, 10))]:
        c.check({"x": x_of(20, 10), "starts": i64(*s), "ends": i64(*e)})


@pytest.mark.parametrize("t,dtype", [(TP.INT64, np.int64), (TP.INT32, np.int32)])
def test_range_inputs(t, dtype):
    m = model(helper.make_node("Range", ["a", "b", "d"], ["y"], name="rg"),
              [vi("a", [], t), vi("b", [], t), vi("d", [], t)], [vi("y", None, t)])
    c = Compiled(m)
    for a, b, d in [(0, 10, 3), (10, 6, -3), (5, 5, 1), (-4, 4, 2), (3, 0, 1)]:
        c.check({"a": np.array(a, dtype), "b": np.array(b, dtype),
                 "d": np.array(d, dtype)})
    c.fails({"a": np.array(0, dtype), "b": np.array(4, dtype), "d": np.array(0, dtype)},
            r"node 'rg' \(Range\): delta is 0")


@pytest.mark.parametrize("t,dtype,device", [(TP.FLOAT, np.float32, "cpu"),
                                            (TP.DOUBLE, np.float64, "cpu"),
                                            (TP.FLOAT, np.float32, "gpu-emulator")])
def test_float_range_inputs(t, dtype, device):
    # The length is a float computation the artifact repeats per call.
    m = model(helper.make_node("Range", ["a", "b", "d"], ["y"], name="rg"),
              [vi("a", [], t), vi("b", [], t), vi("d", [], t)], [vi("y", None, t)])
    c = Compiled(m, device)
    for a, b, d in [(0.5, 10, 0.75), (10, 6, -1.5), (1, 1, 1), (3, 0, 1),
                    (-4.25, 4, 0.5), (0, 1, 0.125), (2, 2.5, 4)]:
        c.check({"a": np.array(a, dtype), "b": np.array(b, dtype),
                 "d": np.array(d, dtype)})
    for a, b, d in [(0, 4, 0), (0, np.inf, 1), (np.nan, 1, 1)]:
        c.fails({"a": np.array(a, dtype), "b": np.array(b, dtype),
                 "d": np.array(d, dtype)},
                r"is not a finite integer within int64 \(a Range whose delta is 0")


@pytest.mark.parametrize("t", [TP.FLOAT16, TP.BFLOAT16])
def test_half_range_inputs(t):
    # onnxruntime has no 16-bit Range: numpy's arange in double, rounded once.
    import ml_dtypes
    dtype = np.float16 if t == TP.FLOAT16 else ml_dtypes.bfloat16
    m = model(helper.make_node("Range", ["a", "b", "d"], ["y"]),
              [vi("a", [], t), vi("b", [], t), vi("d", [], t)], [vi("y", None, t)],
              opset=27)
    ours = hydrahead.Session(hydrahead.Module(hydrahead.compile(m.SerializeToString())))
    for a, b, d in [(1, 5, 2), (0.5, 33, 0.25), (8, -8, -3)]:
        feeds = {k: np.array(v, dtype) for k, v in zip("abd", (a, b, d))}
        want = np.arange(*(float(feeds[k]) for k in "abd")).astype(dtype)
        got = ours.run(feeds)["y"]
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64))


def test_float_range_count_in_the_artifact(tmp_path):
    # hydra-inspect shows the float size ops the count is made of.
    import subprocess
    m = model(helper.make_node("Range", ["a", "b", "d"], ["y"]),
              [vi("a", []), vi("b", []), vi("d", [])], [vi("y", None)])
    path = tmp_path / "range.hydra"
    path.write_bytes(hydrahead.compile(m.SerializeToString()))
    bin_dir = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")), "bin")
    text = subprocess.run([os.path.join(bin_dir, "hydra-inspect"), str(path)],
                          capture_output=True, text=True, check=True).stdout
    for op in ["float(input1[0])", "float(input0[0])", " -. ", "ceil(", "max("]:
        assert op in text, text

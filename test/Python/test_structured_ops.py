"""Operators that index, repeat, accumulate or contract by position —
Trilu, CumSum, Tile, GatherND, ArgMax/ArgMin, Einsum, Conv, LogSoftmax,
the Reduce family — compiled by hydra and checked against onnx.reference
(or the spec in float64 where the reference falls short), on the CPU and,
for a sample, through the GPU kernels on the emulator."""

import os
import sys

import numpy as np
import pytest
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_math_ops import assert_close, model_of, run_both, values  # noqa: E402


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def check(nodes, feeds, inits=(), opset=22, device="cpu", tol=None):
    got, want = run_both(model_of(nodes, feeds, opset, inits), feeds, device)
    if tol is None:
        assert_close(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


X = values(np.float32, (2, 5, 7))


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [-2, 0, 3])
def test_trilu_constant_k(upper, k):
    check([helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)], {"x": X},
          [const("k", np.int64(k))])


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
def test_trilu_run_time_k_and_no_k(device):
    check([helper.make_node("Trilu", ["x", "k"], ["y"], upper=0)],
          {"x": X, "k": np.array(-1, np.int64)}, device=device)
    check([helper.make_node("Trilu", ["x"], ["y"])], {"x": X}, device=device)


@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
def test_cumsum(exclusive, reverse):
    check([helper.make_node("CumSum", ["x", "a"], ["y"], exclusive=exclusive, reverse=reverse)],
          {"x": X}, [const("a", np.int64(-1))], tol=1e-5)


def test_cumsum_of_integers_is_exact():
    # position_ids = mask.cumsum(-1) - 1, as exporters write it.
    mask = np.array([[0, 1, 1, 1, 0, 1]], np.int64)
    check([helper.make_node("CumSum", ["x", "a"], ["y"])], {"x": mask}, [const("a", np.int32(1))])


def test_tile():
    check([helper.make_node("Tile", ["x", "r"], ["y"])], {"x": X},
          [const("r", np.array([2, 1, 3], np.int64))])


def test_tile_checks_repeats(tmp_path):
    import hydrahead
    model = model_of([helper.make_node("Tile", ["x", "r"], ["y"])], {"x": X},
                     initializers=[const("r", np.array([2, 1], np.int64))])
    with pytest.raises(hydrahead.HydraError, match="do not give one count per dimension"):
        hydrahead.compile(model.SerializeToString())


@pytest.mark.parametrize("batch_dims", [0, 1])
def test_gather_nd(batch_dims):
    data = values(np.float32, (2, 3, 4, 5))
    if batch_dims == 0:
        idx = np.array([[1, -1], [0, 2], [1, 0]], np.int64)
    else:
        idx = np.array([[[1, -1], [0, 2]], [[2, 3], [1, 0]]], np.int64)
    check([helper.make_node("GatherND", ["d", "i"], ["y"], batch_dims=batch_dims)],
          {"d": data, "i": idx})


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("last", [0, 1])
def test_arg_extremes_with_ties(op, keepdims, last):
    x = np.round(values(np.float32, (3, 4, 5)))  # ties
    check([helper.make_node(op, ["x"], ["y"], axis=1, keepdims=keepdims,
                            select_last_index=last)], {"x": x})


def test_arg_max_unsigned():
    check([helper.make_node("ArgMax", ["x"], ["y"], axis=-1)],
          {"x": np.array([[3, 250, 7, 250]], np.uint8)})


EINSUMS = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bhld,lrd->bhlr", [(2, 3, 4, 5), (4, 6, 5)]),
           ("i,j->ij", [(3,), (4,)]), ("ij,jk", [(3, 4), (4, 5)]),
           ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
           ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 5)]), ("ii->i", [(4, 4)]),
           ("ij->", [(3, 4)]), ("...ij->...ji", [(2, 3, 4)]), ("ab,ab,ab->a", [(3, 4)] * 3),
           ("ij,...jk", [(3, 4), (2, 4, 5)])]


@pytest.mark.parametrize("equation, shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum(equation, shapes):
    feeds = {f"x{i}": values(np.float32, s, 1.0, i) for i, s in enumerate(shapes)}
    check([helper.make_node("Einsum", list(feeds), ["y"], equation=equation)], feeds, opset=12,
          tol=1e-5)


CONVS = {
    # The causal depthwise conv of gated-DeltaNet layers: kernel 4, left pad 3.
    "depthwise_causal_1d": ((2, 8, 10), (8, 1, 4), dict(group=8, pads=[3, 0]), True),
    "strided_dilated_1d": ((2, 8, 10), (6, 8, 3), dict(strides=[2], dilations=[2], pads=[1, 2]),
                           False),
    "grouped_same_upper_2d": ((1, 4, 7, 6), (6, 2, 3, 2), dict(auto_pad="SAME_UPPER", group=2),
                              True),
    "strided_same_lower_2d": ((1, 4, 7, 6), (6, 4, 3, 2),
                              dict(auto_pad="SAME_LOWER", strides=[2, 2]), False),
}


@pytest.mark.parametrize("name", CONVS)
def test_conv(name):
    xs, ws, attrs, bias = CONVS[name]
    inits = [const("w", values(np.float32, ws, 1.0, 1))]
    inputs = ["x", "w"]
    if bias:
        inits.append(const("b", values(np.float32, (ws[0],), 1.0, 2)))
        inputs.append("b")
    check([helper.make_node("Conv", inputs, ["y"], **attrs)], {"x": values(np.float32, xs, 1.0)},
          inits, tol=1e-5)


REDUCTIONS = ["ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp"]


@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("op", REDUCTIONS)
def test_reductions(op, keepdims):
    x = values(np.float32, (2, 3, 5), 1.0)
    if op == "ReduceLogSum":
        x = np.abs(x) + 0.1
    check([helper.make_node(op, ["x", "a"], ["y"], keepdims=keepdims)], {"x": x},
          [const("a", np.array([1, -1], np.int64))], opset=18, tol=1e-5)


def test_log_sum_exp_does_not_overflow():
    x = values(np.float32, (2, 3, 5), 300.0)
    check([helper.make_node("ReduceLogSumExp", ["x", "a"], ["y"])], {"x": x},
          [const("a", np.array([2], np.int64))], opset=18, tol=1e-5)


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
@pytest.mark.parametrize("axis", [-1, 1])
def test_log_softmax(axis, device):
    import hydrahead
    x = values(np.float32, (2, 3, 5), 30.0)
    model = model_of([helper.make_node("LogSoftmax", ["x"], ["y"], axis=axis)], {"x": x})
    artifact = hydrahead.compile(model.SerializeToString(),
                                 target="cpu" if device == "cpu" else device)
    got = hydrahead.Session(hydrahead.Module(artifact), device=device).run({"x": x})["y"]
    # float64, not onnx.reference: its f32 arithmetic is off by 2e-3 at |x| ~ 100.
    f = x.astype(np.float64)
    m = f.max(axis, keepdims=True)
    want = f - m - np.log(np.exp(f - m).sum(axis, keepdims=True))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)


def test_log_softmax_before_opset_13_flattens_from_the_axis():
    import hydrahead
    x = values(np.float32, (2, 3, 5), 1.0)
    model = model_of([helper.make_node("LogSoftmax", ["x"], ["y"], axis=1)], {"x": x}, 11)
    got = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString()))) \
        .run({"x": x})["y"]
    # onnx.reference ignores the flattening; the spec in float64 instead.
    f = x.reshape(2, 15).astype(np.float64)
    want = (f - np.log(np.exp(f).sum(1, keepdims=True))).reshape(2, 3, 5)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_gpu_emulator_runs_structured_ops():
    data = values(np.float32, (2, 3, 4, 5))
    idx = np.array([[1, -1], [0, 2], [1, 0]], np.int64)
    check([helper.make_node("GatherND", ["d", "i"], ["y"])], {"d": data, "i": idx},
          device="gpu-emulator")
    check([helper.make_node("CumSum", ["x", "a"], ["y"])], {"x": X}, [const("a", np.int64(1))],
          device="gpu-emulator", tol=1e-5)
    check([helper.make_node("Einsum", ["a", "b"], ["y"], equation="bij,bjk->bik")],
          {"a": values(np.float32, (2, 3, 4)), "b": values(np.float32, (2, 4, 5), seed=1)},
          opset=12, device="gpu-emulator", tol=1e-5)
    xs, ws, attrs, _ = CONVS["depthwise_causal_1d"]
    check([helper.make_node("Conv", ["x", "w"], ["y"], **attrs)],
          {"x": values(np.float32, xs, 1.0)}, [const("w", values(np.float32, ws, 1.0, 1))],
          device="gpu-emulator", tol=1e-5)

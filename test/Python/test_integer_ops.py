"""Integer and bool element types through the elementwise operators:
signed and unsigned division, comparisons, logic and the casts between
them, compiled by hydra and checked against onnx.reference on values that
tell signed from unsigned arithmetic apart."""

import os
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

ONNX_TYPES = {np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8,
              np.dtype(np.uint16): TensorProto.UINT16, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.uint32): TensorProto.UINT32, np.dtype(np.int64): TensorProto.INT64,
              np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.bool_): TensorProto.BOOL}


def run_both(node, feeds, out_type):
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPES[a.dtype], a.shape)
              for n, a in feeds.items()]
    graph = helper.make_graph([node], "g", inputs,
                              [helper.make_tensor_value_info("y", out_type, None)])
    model = helper.make_model(graph, ir_version=10,
                              opset_imports=[helper.make_opsetid("", 21)])
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    got = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(model.SerializeToString()))).run(feeds)["y"]
    return got, want


BIG_U8 = np.array([[250, 7, 128, 3]], np.uint8)  # >= 128: negative if read as int8
SMALL_U8 = np.array([[3, 2, 5, 255]], np.uint8)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
def test_unsigned_arithmetic_wraps_and_divides_unsigned(op):
    got, want = run_both(helper.make_node(op, ["a", "b"], ["y"]),
                         {"a": BIG_U8, "b": SMALL_U8}, TensorProto.UINT8)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, want)


def test_signed_division_truncates_toward_zero():
    a = np.array([-7, 7, -8, 9], np.int32)
    b = np.array([2, -2, 3, -4], np.int32)
    got, want = run_both(helper.make_node("Div", ["a", "b"], ["y"]), {"a": a, "b": b},
                         TensorProto.INT32)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("to, np_type", [
    (TensorProto.FLOAT, np.float32), (TensorProto.INT32, np.int32),
    (TensorProto.UINT32, np.uint32), (TensorProto.INT8, np.int8),
    (TensorProto.BOOL, np.bool_)])
def test_cast_from_unsigned_bytes(to, np_type):
    got, want = run_both(helper.make_node("Cast", ["a"], ["y"], to=to), {"a": BIG_U8}, to)
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("to", [TensorProto.INT64, TensorProto.UINT16, TensorProto.BOOL])
def test_cast_from_float_and_signed(to):
    x = np.array([[-3.7, 0.0, 2.5, 40.9]], np.float32)
    if to == TensorProto.UINT16:
        x = np.abs(x)  # float → unsigned is only defined for values in range
    got, want = run_both(helper.make_node("Cast", ["a"], ["y"], to=to), {"a": x}, to)
    np.testing.assert_array_equal(got, want)
    i8 = np.array([-128, -1, 0, 127], np.int8)
    if to != TensorProto.UINT16:
        got, want = run_both(helper.make_node("Cast", ["a"], ["y"], to=to), {"a": i8}, to)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["Less", "Greater", "Equal", "LessOrEqual", "GreaterOrEqual"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.float32])
def test_comparisons(op, dtype):
    a = BIG_U8.astype(dtype) if dtype != np.int8 else BIG_U8.view(np.int8)
    b = SMALL_U8.astype(dtype) if dtype != np.int8 else SMALL_U8.view(np.int8)
    got, want = run_both(helper.make_node(op, ["a", "b"], ["y"]), {"a": a, "b": b},
                         TensorProto.BOOL)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logic(op):
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    got, want = run_both(helper.make_node(op, ["a", "b"], ["y"]), {"a": a, "b": b},
                         TensorProto.BOOL)
    np.testing.assert_array_equal(got, want)
    got, want = run_both(helper.make_node("Not", ["a"], ["y"]), {"a": a}, TensorProto.BOOL)
    np.testing.assert_array_equal(got, want)


def test_where_on_integers():
    c = np.array([True, False, True, False])
    x = np.array([1, 2, 3, 4], np.int64)
    y = np.array([-1, -2, -3, -4], np.int64)
    got, want = run_both(helper.make_node("Where", ["c", "x", "y"], ["y"]),
                         {"c": c, "x": x, "y": y}, TensorProto.INT64)
    np.testing.assert_array_equal(got, want)

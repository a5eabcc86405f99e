"""Malformed and crafted ONNX models: every one gets a clear error naming
the node, field or file and the limit it broke, never a signal, a hang, an
out-of-memory abort or bytes from outside the model's files. One test a
class of problem found by fuzzing and review (issue 9)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tools import assert_clean_error, tool

INT64_MAX = 2**63 - 1


def save(path, nodes, inputs, outputs, inits=(), opset=23):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, ir_version=10,
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, path)
    return path


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def compile_error(tmp_path, model, *fragments):
    proc = tool("hydra-compile", model, "-o", tmp_path / "m.hydra")
    assert_clean_error(proc, *fragments)
    return proc


# --- external data -----------------------------------------------------------

def external_weight(tmp_path, offset, length=None, data=b"\0" * 16):
    (tmp_path / "w.bin").write_bytes(data)
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
    w.data_location = TensorProto.EXTERNAL
    entries = [("location", "w.bin"), ("offset", offset)]
    if length is not None:
        entries.append(("length", length))
    for k, v in entries:
        e = w.external_data.add()
        e.key, e.value = k, v
    return save(tmp_path / "m.onnx", [helper.make_node("Add", ["x", "w"], ["y"])],
                [vi("x", [2])], [vi("y", [2])], inits=[w])


@pytest.mark.parametrize("offset", ["-8", "abc", " 8", "18446744073709551616"])
def test_external_offsets_that_are_not_plain_numbers_are_refused(tmp_path, offset):
    compile_error(tmp_path, external_weight(tmp_path, offset),
                  "tensor 'w'", f"offset '{offset}' is not a non-negative integer")


def test_external_offset_and_length_cannot_wrap_past_the_file(tmp_path):
    # offset + length wraps to 4: the old check passed and copied heap bytes.
    compile_error(tmp_path, external_weight(tmp_path, str(2**64 - 4), "8"),
                  "tensor 'w'", "does not hold 8 bytes at offset 18446744073709551612")
    compile_error(tmp_path, external_weight(tmp_path, "12", "8"),
                  "(16 bytes) does not hold 8 bytes at offset 12")


def test_external_length_must_match_the_shape(tmp_path):
    compile_error(tmp_path, external_weight(tmp_path, "0", "4"),
                  "external data length 4 is not the 8 bytes its shape needs")


def test_external_data_in_range_is_read(tmp_path):
    data = np.array([0, 0, 1.5, -2.0], np.float32).tobytes()
    model = external_weight(tmp_path, "8", "8", data=data)
    tool("hydra-compile", model, "-o", tmp_path / "m.hydra", check=True)


# --- node arity ----------------------------------------------------------------

def constant(name, value):
    return helper.make_node("Constant", [], [name],
                            value=numpy_helper.from_array(np.asarray(value), name))


@pytest.mark.parametrize("op,inputs,message", [
    ("Where", ["c", "a"], "input 2 is required but the node has 2 inputs"),
    ("Add", ["a"], "input 1 is required but the node has 1 inputs"),
    ("Add", ["a", ""], "input 1 is required but its name is empty"),
    ("Not", [], "input 0 is required but the node has 0 inputs"),
    ("Neg", ["a", "a"], "takes at most 1 inputs, has 2"),
])
def test_operand_counts_are_checked_before_folding(tmp_path, op, inputs, message):
    # All operands are constants: the folder is the first to read them.
    nodes = [constant("c", np.array([True, False])),
             constant("a", np.array([1.0, 2.0], np.float32)),
             helper.make_node(op, inputs, ["y"], name="n")]
    compile_error(tmp_path, save(tmp_path / "m.onnx", nodes, [], [vi("y", [2])]),
                  "node 'n'", message)


def test_operand_counts_are_checked_for_run_time_values(tmp_path):
    model = save(tmp_path / "m.onnx", [helper.make_node("Where", ["x", "x"], ["y"], name="w")],
                 [vi("x", [2])], [vi("y", [2])])
    compile_error(tmp_path, model, "node 'w' (Where)", "input 2 is required")


def test_too_many_outputs_are_refused(tmp_path):
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Neg", ["x"], ["y", "z"], name="n")],
                 [vi("x", [2])], [vi("y", [2])])
    compile_error(tmp_path, model, "node 'n'", "has 2 outputs, at most 1")


def test_an_input_used_before_it_is_defined_is_refused(tmp_path):
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Neg", ["later"], ["y"], name="n"),
                  helper.make_node("Neg", ["x"], ["later"])],
                 [vi("x", [2])], [vi("y", [2])])
    compile_error(tmp_path, model, "node 'n'", "('later') is not defined before the node")


# --- attributes and shapes ------------------------------------------------------

@pytest.mark.parametrize("perm", [[0, 5], [0, 0], [-1, 0], [0, 1, 2]])
def test_transpose_perm_must_be_a_permutation(tmp_path, perm):
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Transpose", ["x"], ["y"], name="t", perm=perm)],
                 [vi("x", [2, 3])], [vi("y", [3, 2])])
    compile_error(tmp_path, model, "node 't'", "is not a permutation of the 2 dimensions")


def test_attention_with_a_dynamic_head_count_is_not_supported(tmp_path):
    shape = [1, "h", 4, 8]
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="a")],
                 [vi("q", shape), vi("k", shape), vi("v", shape)], [vi("y", shape)])
    compile_error(tmp_path, model, "node 'a'",
                  "not supported: query with a dynamic number of heads")


def test_a_huge_head_count_is_refused(tmp_path):
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="a",
                                   q_num_heads=2**40, kv_num_heads=2**40)],
                 [vi("q", [1, 4, 0])] * 1 + [vi("k", [1, 4, 0]), vi("v", [1, 4, 0])],
                 [vi("y", [1, 4, 0])])
    compile_error(tmp_path, model, "node 'a'", "exceeds the 65536 heads")


def test_split_num_outputs_must_match_the_outputs(tmp_path):
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Split", ["x"], ["a", "b"], name="s", axis=0,
                                   num_outputs=2**40)],
                 [vi("x", [4])], [vi("a", [2]), vi("b", [2])], opset=18)
    compile_error(tmp_path, model, "node 's'",
                  "num_outputs is 1099511627776 but the node has 2 outputs")


def test_split_sizes_cannot_wrap(tmp_path):
    split = numpy_helper.from_array(np.array([INT64_MAX, INT64_MAX, 6], np.int64), "sp")
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Split", ["x", "sp"], ["a", "b", "c"], name="s")],
                 [vi("x", [4])], [vi("a", [1]), vi("b", [1]), vi("c", [1])],
                 inits=[split])
    compile_error(tmp_path, model, "node 's'", "do not cover the axis of size 4")


def test_absurd_static_input_shapes_are_refused_up_front(tmp_path):
    big = 2**31 - 1
    model = save(tmp_path / "m.onnx", [helper.make_node("Neg", ["x"], ["y"])],
                 [vi("x", [big, big, big])], [vi("y", [big, big, big])])
    compile_error(tmp_path, model, "graph input 'x'",
                  "more than the 281474976710656 bytes a tensor may hold")


def test_negative_static_input_dims_are_refused(tmp_path):
    model = save(tmp_path / "m.onnx", [helper.make_node("Neg", ["x"], ["y"])],
                 [vi("x", [2, -3])], [vi("y", [2, 3])])
    compile_error(tmp_path, model, "graph input 'x'", "with a negative dimension")


def test_negative_initializer_dims_are_refused(tmp_path):
    w = helper.make_tensor("w", TensorProto.FLOAT, [2], vals=[1.0, 2.0])
    w.dims[:] = [-2, -1]
    model = save(tmp_path / "m.onnx", [helper.make_node("Add", ["x", "w"], ["y"])],
                 [vi("x", [2])], [vi("y", [2])], inits=[w])
    compile_error(tmp_path, model, "tensor 'w'", "with a negative dimension")


def test_constant_of_shape_too_large_to_evaluate_fails_fast(tmp_path):
    shape = numpy_helper.from_array(np.array([2**31 - 1, 2**31 - 1], np.int64), "s")
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("ConstantOfShape", ["s"], ["y"], name="c")],
                 [], [vi("y", [2**31 - 1, 2**31 - 1])], inits=[shape])
    compile_error(tmp_path, model, "node 'c'",
                  "not supported: ConstantOfShape of shape [2147483647, 2147483647]")


def test_constant_of_shape_with_a_negative_dim_is_refused(tmp_path):
    shape = numpy_helper.from_array(np.array([2, -1], np.int64), "s")
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("ConstantOfShape", ["s"], ["y"], name="c")],
                 [], [vi("y", [2])], inits=[shape])
    compile_error(tmp_path, model, "node 'c'", "has a negative dimension")


def test_range_too_long_to_evaluate_fails_fast(tmp_path):
    inits = [numpy_helper.from_array(np.array(v, np.int64), n)
             for n, v in (("a", 0), ("b", INT64_MAX), ("d", 1))]
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Range", ["a", "b", "d"], ["y"], name="r")],
                 [], [vi("y", [4], TensorProto.INT64)], inits=inits)
    compile_error(tmp_path, model, "node 'r'", "not supported: Range of more than")


@pytest.mark.parametrize("dims,message", [
    ([2**62, 4, 1], "holds a different number of elements"),
    ([-1, -1], "two -1 entries"),
    ([-5, 2], "negative entry -5"),
    ([2**62, -1], "does not divide the input"),
])
def test_reshape_dims_are_checked_without_overflow(tmp_path, dims, message):
    # The same checks whether the data is a constant (folded) or not.
    shape = numpy_helper.from_array(np.array(dims, np.int64), "s")
    for folded in (False, True):
        nodes = [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")]
        inputs = [vi("x", [2, 4])]
        inits = [shape]
        if folded:
            inputs = []
            inits.append(numpy_helper.from_array(np.zeros((2, 4), np.float32), "x"))
        model = save(tmp_path / "m.onnx", nodes, inputs, [vi("y", [8])], inits=inits)
        compile_error(tmp_path, model, "node 'r'", message)


@pytest.mark.parametrize("axes", [[0, 0], [5], [-7]])
def test_unsqueeze_axes_out_of_range_or_repeated_are_refused(tmp_path, axes):
    a = numpy_helper.from_array(np.array(axes, np.int64), "ax")
    for folded in (False, True):
        inputs, inits = [vi("x", [2, 3])], [a]
        if folded:
            inputs = []
            inits.append(numpy_helper.from_array(np.zeros((2, 3), np.float32), "x"))
        model = save(tmp_path / "m.onnx",
                     [helper.make_node("Unsqueeze", ["x", "ax"], ["y"], name="u")],
                     inputs, [vi("y", [1, 2, 3])], inits=inits)
        compile_error(tmp_path, model, "node 'u'")


def test_results_larger_than_a_tensor_may_hold_are_refused(tmp_path):
    # Expand's shape is a constant the exporter wrote: [2^31 - 1] * 3.
    shape = numpy_helper.from_array(np.array([2**31 - 1] * 3, np.int64), "s")
    model = save(tmp_path / "m.onnx", [helper.make_node("Expand", ["x", "s"], ["y"], name="e")],
                 [vi("x", [1])], [vi("y", [2**31 - 1] * 3)], inits=[shape])
    compile_error(tmp_path, model, "node 'e'", "is larger than the 281474976710656 bytes")


def test_expand_to_a_negative_dim_is_refused(tmp_path):
    shape = numpy_helper.from_array(np.array([2, -3], np.int64), "s")
    model = save(tmp_path / "m.onnx", [helper.make_node("Expand", ["x", "s"], ["y"], name="e")],
                 [vi("x", [1])], [vi("y", [2, 3])], inits=[shape])
    compile_error(tmp_path, model, "node 'e'", "has a negative dimension")


def test_pads_that_would_wrap_are_refused(tmp_path):
    pads = numpy_helper.from_array(np.array([2**62, 2**62], np.int64), "p")
    model = save(tmp_path / "m.onnx", [helper.make_node("Pad", ["x", "p"], ["y"], name="p")],
                 [vi("x", [2])], [vi("y", [2])], inits=[pads])
    compile_error(tmp_path, model, "node 'p'", "are too large")


def run_folded(tmp_path, nodes, out_type, inits=()):
    """Compiles a graph whose output the importer folds, runs it with an
    unused input, and returns the output."""
    nodes = list(nodes) + [helper.make_node("Identity", ["x"], ["x_out"])]
    model = save(tmp_path / "m.onnx", nodes, [vi("x", [1])],
                 [vi("y", None, out_type), vi("x_out", [1])], inits=inits)
    tool("hydra-compile", model, "-o", tmp_path / "m.hydra", check=True)
    np.save(tmp_path / "x.npy", np.zeros(1, np.float32))
    tool("hydra-run", tmp_path / "m.hydra", "--input", f"x={tmp_path / 'x.npy'}",
         "--output-dir", tmp_path / "out", check=True)
    return np.load(tmp_path / "out" / "y.npy")


def wrapped(op, a, b):
    """The two's-complement result (what the generated code computes)."""
    if op == "Div":  # truncating division; only INT64_MIN / -1 leaves the range
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    elif op == "Mod":  # the sign of the divisor, as ONNX Mod with fmod=0
        q = a - b * (a // b)
    else:
        q = {"Add": a + b, "Sub": a - b, "Mul": a * b}[op]
    return (q + 2**63) % 2**64 - 2**63


@pytest.mark.parametrize("op,a,b", [
    ("Add", INT64_MAX, 1),
    ("Add", 2**53 + 1, 0),  # would round if it went through a double
    ("Sub", -INT64_MAX - 1, 1),
    ("Mul", 2**62, 4),
    ("Div", -INT64_MAX - 1, -1),
    ("Div", -7, 2),
    ("Mod", -INT64_MAX - 1, -1),
    ("Mod", -7, 3),
])
def test_folded_integer_arithmetic_wraps_like_the_generated_code(tmp_path, op, a, b):
    # C++ signed overflow (and INT64_MIN / -1) would be undefined behaviour.
    inits = [numpy_helper.from_array(np.array([a], np.int64), "a"),
             numpy_helper.from_array(np.array([b], np.int64), "b")]
    got = run_folded(tmp_path, [helper.make_node(op, ["a", "b"], ["y"])],
                     TensorProto.INT64, inits)
    assert got.tolist() == [wrapped(op, a, b)]


def test_folded_float_to_int_casts_saturate(tmp_path):
    values = np.array([1e30, -1e30, np.nan, 2.5, -2.5], np.float32)
    inits = [numpy_helper.from_array(values, "a")]
    got = run_folded(tmp_path, [helper.make_node("Cast", ["a"], ["y"], to=TensorProto.INT64)],
                     TensorProto.INT64, inits)
    assert got.tolist() == [INT64_MAX, -INT64_MAX - 1, 0, 2, -2]


def test_a_node_without_outputs_is_refused(tmp_path):
    # Found by the fuzzer: Split with no outputs divided its axis by zero.
    model = save(tmp_path / "m.onnx", [helper.make_node("Split", ["x"], [], name="s", axis=0),
                                       helper.make_node("Neg", ["x"], ["y"])],
                 [vi("x", [4])], [vi("y", [4])])
    compile_error(tmp_path, model, "node 's' (Split)", "has no outputs")


# Found by the fuzzer: builders that take consistent operands on trust.

def test_concat_of_mismatched_ranks_or_sizes_is_refused(tmp_path):
    for shapes, message in ((([2, 3], [2]), "input 1 has rank 1, input 0 rank 2"),
                            (([2, 3], [4, 3]), "input 1 has size 4 in dim 0, input 0 2")):
        model = save(tmp_path / "m.onnx",
                     [helper.make_node("Concat", ["a", "b"], ["y"], name="c", axis=1)],
                     [vi("a", shapes[0]), vi("b", shapes[1])], [vi("y", None)])
        compile_error(tmp_path, model, "node 'c'", "cannot concatenate: " + message)


def test_attention_operands_must_agree(tmp_path):
    def attention(q, k, v, *extra_inputs, inputs=()):
        names = ["q", "k", "v"] + [n for n, _ in extra_inputs]
        return save(tmp_path / "m.onnx",
                    [helper.make_node("Attention", names, ["y"], name="a")],
                    [vi("q", q), vi("k", k), vi("v", v)] + [vi(n, s) for n, s in extra_inputs],
                    [vi("y", None)])
    compile_error(tmp_path, attention([1, 2, 4, 8], [1, 2, 5, 8], [1, 2, 6, 8]), "node 'a'",
                  "key and value sequence length differ: 5 and 6")
    compile_error(tmp_path, attention([1, 2, 4, 8], [2, 2, 5, 8], [2, 2, 5, 8]), "node 'a'",
                  "query and key batch differ: 1 and 2")
    compile_error(tmp_path, attention([1, 3, 4, 8], [1, 2, 5, 8], [1, 2, 5, 8]), "node 'a'",
                  "3 heads are not a multiple of the key's 2")
    compile_error(tmp_path, attention([1, 0, 4, 8], [1, 0, 5, 8], [1, 0, 5, 8]), "node 'a'",
                  "query has no heads")
    compile_error(tmp_path, attention([1, 2, 4, 8], [1, 2, 5, 8], [1, 2, 5, 8],
                                      ("m", [4, 5]), ("pk", [1, 2, 3, 4]), ("pv", [1, 2, 3, 8])),
                  "node 'a'", "past_key does not extend the key: input 1 has size 8 in dim 3")


def test_transpose_of_a_scalar_is_the_scalar(tmp_path):
    # Found by the fuzzer: linalg.transpose of a rank-0 tensor crashed.
    out = run_folded(tmp_path, [helper.make_node("Size", ["x"], ["s"]),
                                helper.make_node("Transpose", ["s"], ["y"])], TensorProto.INT64)
    assert out.tolist() == 1


def test_a_mask_that_does_not_broadcast_is_refused(tmp_path):
    # Found by the fuzzer: the causal-after-past mask was combined with a
    # mask of another shape through an unchecked broadcast (uninitialised
    # IR, then a crash).
    model = save(tmp_path / "m.onnx",
                 [helper.make_node("Attention", ["q", "k", "v", "m", "pk", "pv"], ["y"],
                                   name="a", is_causal=1)],
                 [vi("q", [1, 2, 4, 8]), vi("k", [1, 2, 5, 8]), vi("v", [1, 2, 5, 8]),
                  vi("m", [4, 7, 8]), vi("pk", [1, 2, 3, 8]), vi("pv", [1, 2, 3, 8])],
                 [vi("y", None)])
    compile_error(tmp_path, model, "node 'a'", "attn_mask does not broadcast")


def test_linear_attention_needs_both_outputs(tmp_path):
    """present_state is a required output of LinearAttention-27: a node with
    one output is invalid ONNX (onnx.checker, onnxruntime), and hydra says
    so rather than accepting it."""
    path = save(tmp_path / "m.onnx",
                [helper.make_node("LinearAttention", ["q", "q", "q"], ["y"], q_num_heads=2,
                                  kv_num_heads=2)],
                [vi("q", [1, 4, 8])], [vi("y", None)], opset=27)
    compile_error(tmp_path, path, "(LinearAttention): has 1 output, its schema requires 2")

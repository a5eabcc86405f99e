"""Dynamic shapes end to end: batch, sequence and cache lengths as
dim_params, through projections, Reshape with 0 and -1 and shapes computed
by Shape/Gather/Concat chains, Unsqueeze/Squeeze/Flatten, Expand,
ConstantOfShape and Range sized at run time, and a KV cache concatenated
onto a dynamic past. One artifact is compiled per model and run at several
sizes against onnxruntime (CPU, and the GPU kernels on the emulator); the
artifact's derived sizes (P + S) and size checks are looked at too."""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto as TP, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

BIN = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")), "bin")
RNG = np.random.default_rng(0)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def vi(name, shape, t=TP.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def model(nodes, inputs, outputs, inits=(), opset=23):
    m = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(inits)),
                          opset_imports=[helper.make_opsetid("", opset)])
    if all(o.type.tensor_type.HasField("shape") for o in m.graph.output):
        onnx.checker.check_model(m, full_check=True)
    return m  # (onnxruntime validates the others)


def session(m, device="cpu"):
    artifact = hydrahead.compile(m.SerializeToString(),
                                 target="cpu" if device == "cpu" else device)
    return hydrahead.Session(hydrahead.Module(artifact), device=device), artifact


def check_sizes(m, make_feeds, sizes, device="cpu", tol=1e-5):
    ours, _ = session(m, device)
    ref = onnxruntime.InferenceSession(m.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    names = [o.name for o in m.graph.output]
    for size in sizes:
        feeds = make_feeds(*size)
        got = ours.run(feeds)
        for name, want in zip(names, ref.run(None, feeds)):
            assert got[name].shape == want.shape, (size, name)
            np.testing.assert_allclose(got[name], want, rtol=tol, atol=tol,
                                       err_msg=f"{name} at {size}")


D, H, DH = 64, 4, 16


def attention_block():
    """x [B, S, 64] → q, k, v projections → Reshape to [B, S, 4, 16] with a
    shape built from Shape(x) → heads → causal Attention-23 → merged back
    with Reshape [B, S, 64] → output projection, as exporters write it."""
    nodes = [helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Gather", ["sx", "i0"], ["b"], axis=0),
             helper.make_node("Gather", ["sx", "i1"], ["s"], axis=0),
             helper.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
             helper.make_node("Unsqueeze", ["s", "ax0"], ["s1"]),
             helper.make_node("Concat", ["b1", "s1", "hd"], ["shape4"], axis=0),
             helper.make_node("Concat", ["b1", "s1", "dd"], ["shape3"], axis=0)]
    inits = [const("i0", np.int64(0)), const("i1", np.int64(1)),
             const("ax0", np.array([0], np.int64)), const("hd", np.array([H, DH], np.int64)),
             const("dd", np.array([D], np.int64))]
    for n in "qkvo":
        inits.append(const("w" + n, (RNG.standard_normal((D, D)) * 0.1).astype(np.float32)))
    for n in "qkv":
        nodes += [helper.make_node("MatMul", ["x", "w" + n], [n + "p"]),
                  helper.make_node("Reshape", [n + "p", "shape4"], [n + "4"]),
                  helper.make_node("Transpose", [n + "4"], [n + "h"], perm=[0, 2, 1, 3])]
    nodes += [helper.make_node("Attention", ["qh", "kh", "vh"], ["ah"], is_causal=1),
              helper.make_node("Transpose", ["ah"], ["at"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["at", "shape3"], ["a3"]),
              helper.make_node("MatMul", ["a3", "wo"], ["y"])]
    return model(nodes, [vi("x", ["B", "S", D])], [vi("y", ["B", "S", D])], inits)


@pytest.mark.parametrize("device", ["cpu", "gpu-emulator"])
def test_attention_block_with_computed_shapes_runs_every_size(device):
    check_sizes(attention_block(),
                lambda b, s: {"x": RNG.standard_normal((b, s, D)).astype(np.float32)},
                [(1, 7), (2, 33), (1, 130)], device)


def kv_cache_attention(lengths=None):
    """Causal Attention-23 with a past; `lengths` names each input's
    sequence dim (by default q, k, v share S and the caches P)."""
    lengths = lengths or {"q": "S", "k": "S", "v": "S", "pk": "P", "pv": "P"}
    nodes = [helper.make_node("Attention", ["q", "k", "v", "", "pk", "pv"],
                              ["y", "present_key", "present_value"], is_causal=1)]
    ins = [vi(n, ["B", H, lengths[n], DH]) for n in ["q", "k", "v", "pk", "pv"]]
    return model(nodes, ins, [vi("y", None), vi("present_key", None), vi("present_value", None)])


def kv_feeds(b, s, p):
    return {n: RNG.standard_normal((b, H, s if n in "qkv" else p, DH)).astype(np.float32)
            for n in ["q", "k", "v", "pk", "pv"]}


def test_kv_cache_prefill_and_decode_in_one_artifact():
    check_sizes(kv_cache_attention(), kv_feeds, [(1, 9, 0), (2, 1, 7), (1, 3, 40)])


def test_kv_cache_sizes_are_derived_and_checked(tmp_path):
    # Key and value lengths of their own names: P_k + S_k against P_v + S_v
    # is checked per call.
    ours, artifact = session(kv_cache_attention(
        {"q": "S", "k": "Sk", "v": "Sv", "pk": "Pk", "pv": "Pv"}))
    path = tmp_path / "kv.hydra"
    path.write_bytes(artifact)
    text = subprocess.run([os.path.join(BIN, "hydra-inspect"), str(path)], capture_output=True,
                          text=True, check=True).stdout
    # present_key is P + S long; the key and value lengths are checked equal.
    assert " + " in text and "check s" in text, text
    present = [line for line in text.splitlines() if "output present_key" in line][0]
    assert "[s0, 4, s" in present, present
    feeds = kv_feeds(1, 2, 5)
    feeds["pv"] = feeds["pv"][:, :, :4]  # a value cache one shorter than the key cache
    with pytest.raises(hydrahead.HydraError, match="sizes that must agree differ"):
        ours.run(feeds)
    # With one dim_param for both caches they share a symbol: the same
    # mismatch is refused when the inputs are bound.
    shared, _ = session(kv_cache_attention())
    with pytest.raises(hydrahead.HydraError, match="pv"):
        shared.run(feeds)


def test_reshapes_of_dynamic_values():
    # [B, S, 64] → Reshape [0, -1, 8] → Unsqueeze → Squeeze → Flatten(2).
    nodes = [helper.make_node("Reshape", ["x", "s"], ["r"]),
             helper.make_node("Unsqueeze", ["r", "a"], ["u"]),
             helper.make_node("Squeeze", ["u", "a"], ["q"]),
             helper.make_node("Flatten", ["q"], ["y"], axis=2)]
    m = model(nodes, [vi("x", ["B", "S", D])], [vi("y", None)],
              [const("s", np.array([0, -1, 8], np.int64)), const("a", np.array([1], np.int64))])
    check_sizes(m, lambda b, s: {"x": RNG.standard_normal((b, s, D)).astype(np.float32)},
                [(1, 3), (3, 5)])


def test_masks_built_at_run_time():
    """A causal mask from Range(0, S) and comparisons, an additive bias from
    ConstantOfShape([S, S]) and Where, broadcast to [B, 1, S, S] by Expand
    with a computed shape, as eager exports build them."""
    nodes = [helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Gather", ["sx", "i1"], ["s"], axis=0),
             helper.make_node("Range", ["zero", "s", "one"], ["pos"]),
             helper.make_node("Unsqueeze", ["pos", "ax0"], ["row"]),
             helper.make_node("Unsqueeze", ["pos", "ax1"], ["col"]),
             helper.make_node("Greater", ["row", "col"], ["future"]),
             helper.make_node("Unsqueeze", ["s", "ax0"], ["s1"]),
             helper.make_node("Concat", ["s1", "s1"], ["ss"], axis=0),
             helper.make_node("ConstantOfShape", ["ss"], ["zeros"],
                              value=numpy_helper.from_array(np.array([0.0], np.float32))),
             helper.make_node("Where", ["future", "neg", "zeros"], ["bias"]),
             helper.make_node("Gather", ["sx", "i0"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b", "ax0"], ["b1"]),
             helper.make_node("Concat", ["b1", "one1", "s1", "s1"], ["shape"], axis=0),
             helper.make_node("Expand", ["bias", "shape"], ["y"])]
    inits = [const("i0", np.int64(0)), const("i1", np.int64(1)), const("zero", np.int64(0)),
             const("one", np.int64(1)), const("ax0", np.array([0], np.int64)),
             const("ax1", np.array([1], np.int64)), const("one1", np.array([1], np.int64)),
             const("neg", np.float32(-1e9))]
    m = model(nodes, [vi("x", ["B", "S", D])], [vi("y", None)], inits)
    check_sizes(m, lambda b, s: {"x": np.zeros((b, s, D), np.float32)}, [(1, 4), (2, 11)])


def test_a_size_the_inputs_cannot_give_is_an_error_at_run_time():
    # A negative derived size must be refused, not allocated:
    # ConstantOfShape([S - 3]). Range(0, S - 3) is empty there, as ONNX
    # says (its length is max(ceil((limit - start) / delta), 0)).
    nodes = [helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Gather", ["sx", "i1"], ["s"], axis=0),
             helper.make_node("Sub", ["s", "three"], ["n"]),
             helper.make_node("Range", ["zero", "n", "one"], ["y"]),
             helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
             helper.make_node("ConstantOfShape", ["n1"], ["z"])]
    inits = [const("i1", np.int64(1)), const("three", np.int64(3)),
             const("zero", np.int64(0)), const("one", np.int64(1)),
             const("ax0", np.array([0], np.int64))]
    m = model(nodes, [vi("x", ["B", "S", D])],
              [vi("y", None, TP.INT64), vi("z", None)], inits)
    ours, _ = session(m)
    got = ours.run({"x": np.zeros((1, 7, D), np.float32)})
    np.testing.assert_array_equal(got["y"], np.arange(4))
    np.testing.assert_array_equal(got["z"], np.zeros(4, np.float32))
    with pytest.raises(hydrahead.HydraError, match="negative size"):
        ours.run({"x": np.zeros((1, 2, D), np.float32)})
    small = helper.make_model(helper.make_graph(nodes[:4], "g", [vi("x", ["B", "S", D])],
                                                [vi("y", None, TP.INT64)], inits[:4]),
                              opset_imports=[helper.make_opsetid("", 23)])
    ours, _ = session(small)
    assert ours.run({"x": np.zeros((1, 2, D), np.float32)})["y"].shape == (0,)


def test_embedding_gather_of_dynamic_ids():
    table = RNG.standard_normal((50, D)).astype(np.float32)
    m = model([helper.make_node("Gather", ["table", "ids"], ["y"], axis=0)],
              [vi("ids", ["B", "S"], TP.INT64)], [vi("y", ["B", "S", D])], [const("table", table)])
    check_sizes(m, lambda b, s: {"ids": RNG.integers(-50, 50, (b, s)).astype(np.int64)},
                [(1, 3), (2, 17)])


def test_symbolic_sizes_as_graph_outputs():
    # Shape of a dynamic input, and arithmetic on it, returned directly
    # (a fuzzer found this materialized nothing).
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Mul", ["shape", "two"], ["doubled"])]
    m = model(nodes, [vi("x", ["B", "S", D])],
              [vi("shape", [3], TP.INT64), vi("doubled", [3], TP.INT64)],
              [const("two", np.int64(2))])
    check_sizes(m, lambda b, s: {"x": np.zeros((b, s, D), np.float32)}, [(1, 3), (4, 9)])


def test_slices_with_run_time_bounds():
    """Slice bounds from the sizes, negative ones included, clamped as ONNX
    says: x[:, S-5 : S+2] (start below 0 for S < 5, so it counts from the
    end, and the end past the axis), x[:, -3:] and x[:, 1:] of a dynamic
    axis, and every other of a key axis sliced from 2 on (steps), all with
    one artifact."""
    nodes = [helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Slice", ["sx", "one", "two"], ["s"]),
             helper.make_node("Sub", ["s", "five"], ["start"]),
             helper.make_node("Add", ["s", "two"], ["end"]),
             helper.make_node("Slice", ["x", "start", "end", "one"], ["a"]),
             helper.make_node("Slice", ["x", "m3", "big", "one"], ["b"]),
             helper.make_node("Slice", ["x", "one", "big", "one"], ["c"]),
             helper.make_node("Slice", ["x", "two", "big", "one", "two"], ["d"])]
    inits = [const("one", np.array([1], np.int64)), const("two", np.array([2], np.int64)),
             const("five", np.array([5], np.int64)), const("m3", np.array([-3], np.int64)),
             const("big", np.array([2**63 - 1], np.int64))]
    m = model(nodes, [vi("x", ["B", "S", 4])], [vi(n, None) for n in "abcd"], inits)
    check_sizes(m, lambda b, s: {"x": RNG.standard_normal((b, s, 4)).astype(np.float32)},
                [(1, 1), (2, 3), (1, 4), (2, 9), (1, 17)])


def test_dims_of_one_dim_param_are_one_size():
    """Two inputs whose batch is one dim_param: the importer may cancel one
    against the other (a Reshape to [B, S, -1, 8] whose shape reads the
    other input's batch), and the runtime checks them equal."""
    nodes = [helper.make_node("Shape", ["ids"], ["si"]),
             helper.make_node("Slice", ["si", "zero", "one"], ["b"]),
             helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Slice", ["sx", "one", "two"], ["s"]),
             helper.make_node("Concat", ["b", "s", "m1", "eight"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["y"])]
    inits = [const(n, np.array([v], np.int64))
             for n, v in [("zero", 0), ("one", 1), ("two", 2), ("m1", -1), ("eight", 8)]]
    m = model(nodes, [vi("ids", ["B", "T"], TP.INT64), vi("x", ["B", "S", 32])],
              [vi("y", None)], inits)
    ours, _ = session(m)
    out = ours.run({"ids": np.zeros((2, 3), np.int64),
                    "x": RNG.standard_normal((2, 5, 32)).astype(np.float32)})["y"]
    assert out.shape == (2, 5, 4, 8)
    with pytest.raises(hydrahead.HydraError):
        ours.run({"ids": np.zeros((3, 3), np.int64),
                  "x": RNG.standard_normal((2, 5, 32)).astype(np.float32)})


def test_a_slice_from_the_end_of_a_static_axis_with_a_run_time_end():
    """x[:, :, 4 : S] of a static axis of 4: empty whatever S is."""
    nodes = [helper.make_node("Shape", ["x"], ["sx"]),
             helper.make_node("Slice", ["sx", "one", "two"], ["s"]),
             helper.make_node("Slice", ["x", "four", "s", "two"], ["y"])]
    inits = [const("one", np.array([1], np.int64)), const("two", np.array([2], np.int64)),
             const("four", np.array([4], np.int64))]
    m = model(nodes, [vi("x", ["B", "S", 4])], [vi("y", None)], inits)
    check_sizes(m, lambda b, s: {"x": RNG.standard_normal((b, s, 4)).astype(np.float32)},
                [(1, 2), (2, 7)])


def test_split_of_a_dynamic_shape_with_an_empty_part():
    """Split along a static axis of a dynamically shaped input, one part
    empty (the expanded RotaryEmbedding function splits off 0 elements)."""
    nodes = [helper.make_node("Split", ["x", "parts"], ["a", "b", "c"], axis=2)]
    m = model(nodes, [vi("x", ["B", "S", 8])], [vi(n, None) for n in "abc"],
              [const("parts", np.array([3, 5, 0], np.int64))])
    check_sizes(m, lambda b, s: {"x": RNG.standard_normal((b, s, 8)).astype(np.float32)},
                [(1, 2), (3, 5)])


def test_depthwise_conv1d_and_pad_on_dynamic_batch_and_sequence():
    # A gated-DeltaNet short convolution: Pad on the left, depthwise Conv1d
    # with explicit pads, both over a run-time batch and sequence.
    w = RNG.standard_normal((6, 1, 4)).astype(np.float32)
    nodes = [helper.make_node("Pad", ["x", "pads"], ["xp"]),
             helper.make_node("Conv", ["xp", "w"], ["y"], group=6, pads=[1, 2])]
    m = model(nodes, [vi("x", ["B", 6, "S"])], [vi("y", None)],
              [const("pads", np.array([0, 0, 3, 0, 0, 0], np.int64)), const("w", w)])
    check_sizes(m, lambda b, s: {"x": RNG.standard_normal((b, 6, s)).astype(np.float32)},
                [(1, 1), (2, 5), (3, 9)])

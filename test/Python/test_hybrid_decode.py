"""ai.hydrahead::HybridAttention with caches (docs/custom-op.md): one
artifact with dynamic batch, past and new lengths serves a prefill (an
empty past) and one-token decode steps, each step fed the presents of the
one before. Every call's output, the caches and the final state are
checked against a float64 reference run over the whole sequence at once
(test/Execution/reference.py, written from the ONNX definitions)."""

import os
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))
import hydrahead  # noqa: E402
from reference import hybrid_attention  # noqa: E402

F32 = TensorProto.FLOAT


def kv_heads_of(heads, kind, group):
    """The kv heads that at least one `kind` head reads, increasing."""
    return sorted({h // group for h, c in enumerate(heads) if c == kind})


def cached_model(heads, hkv, d, rule, fusion=True, outputs=("Y", "present_key",
                 "present_value", "present_state"), dtype=np.float32):
    """One HybridAttention node with every cache input and the given
    outputs; B, S (new tokens) and P (past tokens) dynamic. Everything but
    the state (f32) is `dtype`."""
    T = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    hq = len(heads)
    group = hq // hkv
    nf = len(kv_heads_of(heads, "F", group))
    nl = len(kv_heads_of(heads, "L", group))
    gated = rule in ("gated", "gated_delta")
    delta = rule in ("delta", "gated_delta")
    inputs = [helper.make_tensor_value_info("q", T, ["B", "S", hq * d]),
              helper.make_tensor_value_info("k", T, ["B", "S", hkv * d]),
              helper.make_tensor_value_info("v", T, ["B", "S", hkv * d])]
    names = ["q", "k", "v", "", "", ""]
    inits = []
    if fusion:
        gamma = np.random.default_rng(7).uniform(0.5, 1.5, (hq, d)).astype(dtype)
        inits.append(helper.make_tensor("gamma", T, gamma.shape,
                                        gamma.astype(np.float32).ravel()))
        names[3] = "gamma"
    if gated:
        inputs.append(helper.make_tensor_value_info("decay", T, ["B", "S", hkv]))
        names[4] = "decay"
    if delta:
        inputs.append(helper.make_tensor_value_info("beta", T, ["B", "S", hkv]))
        names[5] = "beta"
    inputs += [helper.make_tensor_value_info("past_key", T, ["B", nf, "P", d]),
               helper.make_tensor_value_info("past_value", T, ["B", nf, "P", d]),
               helper.make_tensor_value_info("past_state", F32, ["B", nl, d, d])]
    names += ["past_key", "past_value", "past_state"]
    shapes = {"Y": ["B", "S", hq * d], "present_key": ["B", nf, "T", d],
              "present_value": ["B", nf, "T", d], "present_state": ["B", nl, d, d]}
    out_names = ["Y", "present_key", "present_value", "present_state"]
    node = helper.make_node(
        "HybridAttention", names, [n if n in outputs else "" for n in out_names],
        domain="ai.hydrahead", heads=heads, q_num_heads=hq, kv_num_heads=hkv,
        update_rule=rule)
    graph = helper.make_graph(
        [node], "cached", inputs,
        [helper.make_tensor_value_info(n, F32 if n == "present_state" else T, shapes[n])
         for n in outputs], inits)
    model = helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 23), helper.make_opsetid("ai.hydrahead", 1)])
    return model, (gamma if fusion else None)


def sequence(heads, hkv, d, rule, batch, length, seed=0, dtype=np.float32):
    """Packed inputs of a whole sequence ([B, T, H·D] and per-step gates)."""
    rng = np.random.default_rng(seed)
    hq = len(heads)
    x = {"q": rng.standard_normal((batch, length, hq * d)),
         "k": rng.standard_normal((batch, length, hkv * d)) / np.sqrt(d),
         "v": rng.standard_normal((batch, length, hkv * d))}
    if rule in ("gated", "gated_delta"):
        x["decay"] = -rng.uniform(0.01, 0.5, (batch, length, hkv))
    if rule in ("delta", "gated_delta"):
        x["beta"] = rng.uniform(0.1, 0.9, (batch, length, hkv))
    return {n: a.astype(dtype) for n, a in x.items()}


def heads_first(x, h):
    """[B, T, H·D] → [B, H, T, D]."""
    b, t, hd = x.shape
    return x.reshape(b, t, h, hd // h).transpose(0, 2, 1, 3)


@pytest.mark.parametrize("rule,device,dtype", [
    ("linear", "cpu", np.float32), ("gated", "cpu", np.float32),
    ("delta", "cpu", np.float32), ("gated_delta", "cpu", np.float32),
    # The GPU kernels, run by the runtime's emulator: SIMT (f32, and the
    # delta rules' step recurrence) and tensor cores (f16 FA and gated LA).
    ("gated_delta", "gpu-emulator", np.float32),
    ("gated", "gpu-emulator", np.float16)])
def test_prefill_then_steps_match_the_whole_sequence(rule, device, dtype):
    # Kv head 0 has only F heads (no state), kv head 3 both kinds, 1 and 2
    # only L heads (no cache): the caches hold kv heads 0 and 3, the state
    # kv heads 1, 2 and 3.
    heads, hkv, d, batch = "FFLLLLLF", 4, 16, 2
    group = len(heads) // hkv
    full_kv = kv_heads_of(heads, "F", group)
    linear_kv = kv_heads_of(heads, "L", group)
    prompt, steps = 24, 3
    model, gamma = cached_model(heads, hkv, d, rule, dtype=dtype)
    session = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(model.SerializeToString(), target=device)), device=device)

    x = sequence(heads, hkv, d, rule, batch, prompt + steps, dtype=dtype)
    # Inputs rounded to f16 are exact in f64; the kernels round P and the
    # output to f16 (docs/gpu.md), hence the looser bound.
    rtol, atol = (2e-4, 2e-5) if dtype == np.float32 else (2e-2, 4e-3)
    q4 = heads_first(x["q"], len(heads))
    k4, v4 = heads_first(x["k"], hkv), heads_first(x["v"], hkv)
    want, state = hybrid_attention(
        q4, k4, v4, heads, causal=True, rule=rule, fusion_scale=gamma,
        decay=None if "decay" not in x else x["decay"].transpose(0, 2, 1),
        beta=None if "beta" not in x else x["beta"].transpose(0, 2, 1),
        return_state=True)
    want = want.transpose(0, 2, 1, 3).reshape(batch, prompt + steps, -1)

    past = {"past_key": np.zeros((batch, len(full_kv), 0, d), dtype),
            "past_value": np.zeros((batch, len(full_kv), 0, d), dtype),
            "past_state": np.zeros((batch, len(linear_kv), d, d), np.float32)}
    bounds = [0, prompt] + [prompt + i + 1 for i in range(steps)]
    for start, end in zip(bounds, bounds[1:]):
        feeds = {n: a[:, start:end] for n, a in x.items()}
        got = session.run({**feeds, **past})
        np.testing.assert_allclose(got["Y"].astype(np.float64), want[:, start:end],
                                   rtol=rtol, atol=atol, err_msg=f"tokens {start}..{end}")
        # The caches hold only the F heads' kv heads, every token so far.
        assert got["present_key"].shape == (batch, len(full_kv), end, d)
        np.testing.assert_array_equal(got["present_key"], k4[:, full_kv, :end])
        np.testing.assert_array_equal(got["present_value"], v4[:, full_kv, :end])
        assert got["present_state"].shape == (batch, len(linear_kv), d, d)
        past = {"past_key": got["present_key"], "past_value": got["present_value"],
                "past_state": got["present_state"]}
    np.testing.assert_allclose(past["past_state"], state[:, linear_kv], rtol=rtol,
                               atol=atol)


def test_chunked_prefill_and_a_decode_without_the_cache_outputs():
    """A prompt in two pieces (a past of 13, then 11 tokens at once), and
    a model that returns only Y: the caches are inputs, the presents are
    not asked for."""
    heads, hkv, d, batch = "LLLF", 2, 8, 1
    model, gamma = cached_model(heads, hkv, d, "gated", fusion=False)
    session = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(model.SerializeToString())))
    x = sequence(heads, hkv, d, "gated", batch, 24, seed=3)
    want = hybrid_attention(heads_first(x["q"], 4), heads_first(x["k"], hkv),
                            heads_first(x["v"], hkv), heads, causal=True,
                            rule="gated", decay=x["decay"].transpose(0, 2, 1))
    want = want.transpose(0, 2, 1, 3).reshape(batch, 24, -1)
    past = {"past_key": np.zeros((batch, 1, 0, d), np.float32),
            "past_value": np.zeros((batch, 1, 0, d), np.float32),
            "past_state": np.zeros((batch, 2, d, d), np.float32)}
    first = session.run({**{n: a[:, :13] for n, a in x.items()}, **past})
    second = session.run({**{n: a[:, 13:] for n, a in x.items()},
                          "past_key": first["present_key"],
                          "past_value": first["present_value"],
                          "past_state": first["present_state"]})
    np.testing.assert_allclose(np.concatenate([first["Y"], second["Y"]], 1), want,
                               rtol=2e-4, atol=2e-5)

    only_y, _ = cached_model(heads, hkv, d, "gated", fusion=False, outputs=("Y",))
    got = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(only_y.SerializeToString()))).run(
            {**{n: a[:, 13:] for n, a in x.items()},
             "past_key": first["present_key"], "past_value": first["present_value"],
             "past_state": first["present_state"]})
    np.testing.assert_allclose(got["Y"], second["Y"], rtol=1e-6, atol=1e-7)


def compile_error(model):
    with pytest.raises(hydrahead.HydraError) as e:
        hydrahead.compile(model.SerializeToString())
    return str(e.value)


def test_cache_contract_errors_name_the_problem():
    model, _ = cached_model("FLLL", 2, 8, "linear")
    # A past key cache over both kv heads where only kv head 0 has F heads.
    model.graph.input[3].CopyFrom(helper.make_tensor_value_info(
        "past_key", F32, ["B", 2, "P", 8]))
    assert "past_key does not extend the key" in compile_error(model)

    model, _ = cached_model("FLLL", 2, 8, "linear")
    model.graph.input[5].CopyFrom(helper.make_tensor_value_info(
        "past_state", TensorProto.FLOAT16, ["B", 2, 8, 8]))
    assert "past_state must be float32" in compile_error(model)

    model, _ = cached_model("FLLL", 2, 8, "linear")
    model.graph.input[5].CopyFrom(helper.make_tensor_value_info(
        "past_state", F32, ["B", 1, 8, 8]))
    assert "past_state shape [?, 1, 8, 8] is not [B, Hkv_L, Dk, Dv] = [?, 2, 8, 8]" \
        in compile_error(model)

    model, _ = cached_model("FLLL", 2, 8, "linear")
    del model.graph.node[0].input[7:]
    model.graph.node[0].input.append("")
    assert "only past_key is given" in compile_error(model)

    model, _ = cached_model("LLLL", 2, 8, "linear", outputs=("Y", "present_state"))
    model.graph.input[3].CopyFrom(helper.make_tensor_value_info(
        "past_key", F32, ["B", 0, "P", 8]))
    assert "'heads' has no F head" in compile_error(model)

    model, _ = cached_model("FFFF", 2, 8, "linear", outputs=("Y", "present_key"))
    assert "'heads' has no L head" in compile_error(model)


@pytest.mark.parametrize("past,new", [(2500, 1), (3000, 3), (5000, 8)])
def test_long_caches_split_their_keys(past, new):
    """A decode step on a cache of over 1024 keys runs as key splits
    merged afterwards (docs/passes.md): several steps' worth of new tokens,
    fusion scales on, against the whole-sequence reference."""
    heads, hkv, d, batch = "FFFFLLLF", 4, 32, 1
    group = len(heads) // hkv
    full_kv = kv_heads_of(heads, "F", group)
    linear_kv = kv_heads_of(heads, "L", group)
    model, gamma = cached_model(heads, hkv, d, "gated")
    session = hydrahead.Session(hydrahead.Module(
        hydrahead.compile(model.SerializeToString())))
    x = sequence(heads, hkv, d, "gated", batch, past + new, seed=past)
    q4 = heads_first(x["q"], len(heads))
    k4, v4 = heads_first(x["k"], hkv), heads_first(x["v"], hkv)
    # Only the last `new` queries are asked for: the reference's F heads
    # over the whole sequence, its L heads from the state after the past.
    want, state = hybrid_attention(
        q4[:, :, past:], k4, v4, heads.replace("L", "F"), causal=True,
        fusion_scale=gamma), None
    # Causal over the whole sequence for the new rows: query i sees keys
    # j <= past + i (the reference aligns S new rows to the end itself
    # only through the mask).
    keep = np.arange(past + new)[None, :] <= past + np.arange(new)[:, None]
    want = hybrid_attention(q4[:, :, past:], k4, v4, heads.replace("L", "F"),
                            mask=keep, fusion_scale=gamma)
    _, past_state = hybrid_attention(
        q4[:, :, :past], k4[:, :, :past], v4[:, :, :past], heads, causal=True,
        rule="gated", decay=x["decay"][:, :past].transpose(0, 2, 1),
        return_state=True)
    linear_want = hybrid_attention(
        q4[:, :, past:], k4[:, :, past:], v4[:, :, past:], heads, causal=True,
        rule="gated", decay=x["decay"][:, past:].transpose(0, 2, 1),
        fusion_scale=gamma, initial_state=past_state)
    for h, c in enumerate(heads):
        if c == "L":
            want[:, h] = linear_want[:, h]
    want = want.transpose(0, 2, 1, 3).reshape(batch, new, -1)
    got = session.run({**{n: a[:, past:] for n, a in x.items()},
                       "past_key": np.ascontiguousarray(k4[:, full_kv, :past]),
                       "past_value": np.ascontiguousarray(v4[:, full_kv, :past]),
                       "past_state": past_state[:, linear_kv].astype(np.float32)})
    np.testing.assert_allclose(got["Y"], want, rtol=2e-4, atol=2e-5)

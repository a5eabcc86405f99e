"""Linear heads with an initial state and the final state as a second
result (LinearAttention-27's past_state / present_state), against the
float64 recurrence started from the same state."""

import numpy as np
import pytest

from cases import max_error
from hydra_exec import mlir_type, run_function
import reference

PIPELINE = "hydra-to-llvm=query-tile=8 key-tile=8 chunk-size=8"
# Chunks of 16 steps: the CPU's blocked forms (a decay per head or none).
BLOCKED_PIPELINE = "hydra-to-llvm=query-tile=16 key-tile=16 chunk-size=16"


@pytest.mark.parametrize("heads,hkv,rule,decay", [
    ("LLLL", 4, "linear", None),
    ("LLLLLLLL", 2, "gated_delta", "dim"),  # GQA: one state per kv head
    ("FLLF", 2, "gated", "head"),           # hybrid, each kv head has an L head
])
def test_initial_and_final_state(heads, hkv, rule, decay):
    check_states(heads, hkv, rule, decay, PIPELINE, T=21, Dk=8, Dv=16)


@pytest.mark.parametrize("heads,hkv,rule,decay", [
    ("LLLL", 4, "linear", None),
    ("LLLL", 2, "gated", "head"),
    ("LLLL", 4, "delta", None),
    ("FLLL", 2, "gated_delta", "head"),
])
def test_blocked_chunks_keep_the_state(heads, hkv, rule, decay):
    # 37 steps: two whole chunks of 16 and a short one; Dv 128 (slices of
    # 64) and 24 (one slice of 24 lanes).
    check_states(heads, hkv, rule, decay, BLOCKED_PIPELINE, T=37, Dk=16, Dv=128)
    check_states(heads, hkv, rule, decay, BLOCKED_PIPELINE, T=37, Dk=16, Dv=24)


@pytest.mark.parametrize("rule,decay", [("linear", None), ("gated", "head"),
                                        ("delta", None), ("gated_delta", "head")])
@pytest.mark.parametrize("T", [96 + 20, 96 + 13])
def test_blocked_pair_bands(rule, decay, T):
    # Chunks of 32: a row of the first 16 is paired with the first 16 steps
    # only, a later row with both groups; the short last chunk ends in the
    # second band (20 steps: 4 rows of it) or in the first (13: a row past
    # the last block of 4).
    pipeline = BLOCKED_PIPELINE.replace("chunk-size=16", "chunk-size=32")
    check_states("LL", 2, rule, decay, pipeline, T=T, Dk=16, Dv=64)


@pytest.mark.parametrize("rule,decay", [("gated", "head"), ("gated_delta", "head")])
def test_blocked_depth_blocks(rule, decay):
    # Dk 128: S read in two blocks of 64 rows (for the outputs and, for the
    # delta rules, the pseudo-values' v − kᵀS), the partial sums carried.
    check_states("LL", 2, rule, decay, BLOCKED_PIPELINE, T=37, Dk=128, Dv=64)


def check_states(heads, hkv, rule, decay, pipeline, T, Dk, Dv):
    rng = np.random.default_rng(len(heads) + hkv)
    B = 2
    Hq = len(heads)
    q = rng.standard_normal((B, Hq, T, Dk)).astype(np.float32)
    k = rng.standard_normal((B, hkv, T, Dk)).astype(np.float32)
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = rng.standard_normal((B, hkv, T, Dv)).astype(np.float32)
    s0 = rng.standard_normal((B, hkv, Dk, Dv)).astype(np.float32)
    ins = {"q": q, "k": k, "v": v}
    optional = ""
    if decay == "head":
        ins["d"] = (-rng.random((B, hkv, T)) * 0.5).astype(np.float32)
    elif decay == "dim":
        ins["d"] = (-rng.random((B, hkv, T, Dk)) * 0.5).astype(np.float32)
    if "d" in ins:
        optional += f" decay(%d : {mlir_type(ins['d'].shape, np.float32)})"
    if "delta" in rule:
        ins["b"] = rng.random((B, hkv, T)).astype(np.float32)
        optional += f" beta(%b : {mlir_type(ins['b'].shape, np.float32)})"
    ins["s"] = s0
    optional += f" initial_state(%s : {mlir_type(s0.shape, np.float32)})"
    args = ", ".join(f"%{n}: {mlir_type(a.shape, np.float32)}" for n, a in ins.items())
    out_t = mlir_type((B, Hq, T, Dv), np.float32)
    st_t = mlir_type(s0.shape, np.float32)
    qkv_t = ", ".join(mlir_type(ins[n].shape, np.float32) for n in "qkv")
    src = (f"func.func @f({args}) -> ({out_t}, {st_t}) {{\n"
           f"  %y, %st = hydra.hybrid_attention %q, %k, %v{optional}\n"
           f"    {{heads = #hydra.heads<\"{heads}\">, causal, update_rule = #hydra.update_rule<{rule}>}}\n"
           f"    : {qkv_t} -> {out_t}, {st_t}\n"
           f"  return %y, %st : {out_t}, {st_t}\n}}\n")
    y, st = run_function(src, "f", list(ins.values()), [(B, Hq, T, Dv), s0.shape],
                         pipeline=pipeline)
    ref_y, ref_st = reference.hybrid_attention(
        q, k, v, heads, causal=True, rule=rule, decay=ins.get("d"), beta=ins.get("b"),
        initial_state=s0, return_state=True)
    assert max_error(y, ref_y) <= 1e-4
    assert max_error(st, ref_st) <= 1e-4

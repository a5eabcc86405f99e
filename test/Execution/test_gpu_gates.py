"""Static gates of the GPU kernels at the shapes that matter, checked
without a GPU: a 7:1 HydraHead layer (32 query heads over 8 kv heads, 4
full and 28 linear, f16, D = 128, gated decay, fused merge), compiled for
sm_90 with its sequence length dynamic, its launches evaluated by
hydra-inspect at a 32K-token prefill and a decode step on a 32K cache.

- At a 32K-token prefill and at a decode step on a 32K cache every
  attention launch has at least two blocks per SM of an H100/H200 (264):
  full attention by its query tiles, or at the decode step by splitting
  the cache (flash-decoding); linear attention by its chunks (chunk
  states, their scan, outputs), or at the decode step by the state's
  elements and the outputs' columns (its step form). Not gated: the two
  kernels of O(heads · Dv) work that finish rows, the combine of a split
  full attention and the step form's normalization.
- The same layer with the gated delta rule (β per kv head): its chunk
  weights (the UT transform) and outputs fill the GPU the same way; its
  recurrence over chunks is sequential by nature (each chunk's new values
  need the state before it), so it runs a block per (batch, kv head, 16
  value columns), and the decode step's state a block per (batch, kv
  head, 8 value columns): both counted here exactly, not gated.
- The same layer with a decay per key dimension (chunks of 32 at D = 128)
  passes the same gates as with one decay per head; with the gated delta
  rule too it fits an SM without spills like the others.
- Every kernel fits at least one block per SM without spills.
- hydra-inspect gives each launch a roofline time on an H200."""

import json
import re
import subprocess

import pytest

from gpu_cases import INSPECT, SPLIT_CASES, compile_case, hydrahead, inspect_json
from test_gpu_resources import MAX_STATIC_SHARED, REGISTERS_PER_SM, allocated_registers

SEQUENCE = 32768
SM_COUNT = 132
HEADS = "FLLLLLLL" * 4

PREFILL = f"""
func.func @prefill(%q: tensor<1x32x?x128xf16>, %k: tensor<1x8x?x128xf16>,
                   %v: tensor<1x8x?x128xf16>, %g: tensor<32x128xf16>,
                   %d: tensor<1x8x?xf16>) -> tensor<1x32x?x128xf16> {{
  %y = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<32x128xf16>)
         decay(%d : tensor<1x8x?xf16>)
         {{heads = #hydra.heads<"{HEADS}">, causal, update_rule = #hydra.update_rule<gated>}}
       : tensor<1x32x?x128xf16>, tensor<1x8x?x128xf16>, tensor<1x8x?x128xf16>
      -> tensor<1x32x?x128xf16>
  return %y : tensor<1x32x?x128xf16>
}}
"""

# One new token: its full heads read a 4-kv-head key/value cache of T
# positions, its linear heads update an [8, 128, 128] f32 state.
DECODE = f"""
func.func @decode(%q: tensor<1x32x1x128xf16>, %k: tensor<1x8x1x128xf16>,
                  %v: tensor<1x8x1x128xf16>, %g: tensor<32x128xf16>,
                  %d: tensor<1x8x1xf16>, %s0: tensor<1x8x128x128xf32>,
                  %ck: tensor<1x4x?x128xf16>, %cv: tensor<1x4x?x128xf16>)
    -> (tensor<1x32x1x128xf16>, tensor<1x8x128x128xf32>) {{
  %y, %s = hydra.hybrid_attention %q, %k, %v fusion_scale(%g : tensor<32x128xf16>)
         decay(%d : tensor<1x8x1xf16>) initial_state(%s0 : tensor<1x8x128x128xf32>)
         full_key(%ck : tensor<1x4x?x128xf16>) full_value(%cv : tensor<1x4x?x128xf16>)
         {{heads = #hydra.heads<"{HEADS}">, causal, update_rule = #hydra.update_rule<gated>}}
       : tensor<1x32x1x128xf16>, tensor<1x8x1x128xf16>, tensor<1x8x1x128xf16>
      -> tensor<1x32x1x128xf16>, tensor<1x8x128x128xf32>
  return %y, %s : tensor<1x32x1x128xf16>, tensor<1x8x128x128xf32>
}}
"""



def delta_rule(source):
    """The same layer with the gated delta rule: β [B, 8, T] from a new
    argument after the decay (per head or per key)."""
    decay = r"tensor<1x8x(\?|1)(x128)?xf16>"
    source, args = re.subn(rf"%d: ({decay})", r"%d: \1, %beta: tensor<1x8x\2xf16>",
                           source)
    source, uses = re.subn(rf"decay\(%d : ({decay})\)",
                           r"decay(%d : \1) beta(%beta : tensor<1x8x\2xf16>)", source)
    changed = source.replace("update_rule<gated>", "update_rule<gated_delta>")
    assert args == uses == 1 and changed != source
    return changed


DELTA_PREFILL = delta_rule(PREFILL)
DELTA_DECODE = delta_rule(DECODE)


def per_key_decay(source):
    """The same layer with a decay per key dimension: [B, 8, T, 128]."""
    changed = source
    for steps in ("?", "1"):
        changed = changed.replace(f"tensor<1x8x{steps}xf16>", f"tensor<1x8x{steps}x128xf16>")
    assert changed.count("x128xf16>") == source.count("x128xf16>") + 2
    return changed


PER_KEY_PREFILL = per_key_decay(PREFILL)
PER_KEY_DECODE = per_key_decay(DECODE)
PER_KEY_DELTA_PREFILL = delta_rule(PER_KEY_PREFILL)
PER_KEY_DELTA_DECODE = delta_rule(PER_KEY_DECODE)


def inspect_at(source, tmp_path, sizes):
    path = tmp_path / "layer.hydra"
    path.write_bytes(hydrahead.compile(source.encode(), target="sm_90", format="mlir"))
    proc = subprocess.run([INSPECT, str(path), "--json", "--sizes", sizes, "--gpu", "h200"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def launches(info):
    kernels = info["kernels"]
    (function,) = info["functions"]
    (program,) = [p for p in function["programs"] if p["device"] == "cuda"]
    for launch in program["launches"]:
        yield kernels[launch["kernel"]], launch


def attention_launches(name, source, tmp_path):
    """Each launch with its kernel, printed with its figures."""
    info = inspect_at(source, tmp_path, f"s0={SEQUENCE}")
    out = []
    for kernel, launch in launches(info):
        roof = launch["roofline"]
        assert launch["blocks"] is not None and roof is not None, kernel["name"]
        # A grid with no blocks (the form a call does not take) does no work.
        if launch["blocks"] == 0:
            assert launch["flops"] == 0 and launch["bytes"] == 0, kernel["name"]
        print(f"{name} {kernel['name']}: {launch['blocks']} blocks of "
              f"{kernel['block_size']}, {launch['flops'] / 1e9:.4g} GFLOP, "
              f"{launch['bytes'] / 1e6:.4g} MB, roofline {roof['seconds'] * 1e6:.4g} us "
              f"({'memory' if roof['memory_bound'] else 'compute'}-bound)")
        out.append((kernel["name"].split("_k", 1)[1].split("_", 1)[1], launch["blocks"]))
    return out


# Row finishers: O(heads · Dv) work, a block per (batch, head, row).
UNGATED = ("full_attention_combine", "linear_attention_step_normalize")


# The step form of linear attention: a one-step call's launches.
STEP = ["linear_attention_step_state", "linear_attention_step_outputs",
        "linear_attention_step_normalize"]


@pytest.mark.parametrize("name,source", [("prefill-32k", PREFILL),
                                         ("per-key-prefill-32k", PER_KEY_PREFILL)])
def test_prefill_fills_an_h200(name, source, tmp_path):
    gated = attention_launches(name, source, tmp_path)
    names = [n for n, _ in gated]
    # The sequence length is dynamic: the program holds both forms of
    # linear attention, and at 32K the step form launches no blocks.
    assert names == ["full_attention_mma", "full_attention_combine",
                     "linear_attention_chunk_states_mma", "linear_attention_chunk_scan",
                     "linear_attention_chunk_outputs_mma"] + STEP, names
    for what, blocks in gated:
        if what in STEP:
            assert blocks == 0, (what, blocks)
        elif what not in UNGATED:
            assert blocks >= 2 * SM_COUNT, (what, blocks)


@pytest.mark.parametrize("name,source", [("decode-32k", DECODE),
                                         ("per-key-decode-32k", PER_KEY_DECODE)])
def test_decode_fills_an_h200(name, source, tmp_path):
    gated = attention_launches(name, source, tmp_path)
    names = [n for n, _ in gated]
    # One new token, statically: the step form alone.
    assert names == ["full_attention_mma", "full_attention_combine"] + STEP, names
    for what, blocks in gated:
        if what not in UNGATED:
            assert blocks >= 2 * SM_COUNT, (what, blocks)


DELTA_STEP = ["linear_attention_delta_step_state", "linear_attention_step_outputs",
              "linear_attention_step_normalize"]
# B · kv heads · Dv / 16 and B · kv heads · Dv / 8 (see the top).
DELTA_RECURRENCE_BLOCKS = 1 * 8 * 128 // 16
DELTA_STEP_STATE_BLOCKS = 1 * 8 * 128 // 8


def test_delta_prefill_grids(tmp_path):
    launched = attention_launches("delta-prefill-32k", DELTA_PREFILL, tmp_path)
    names = [n for n, _ in launched]
    assert names == ["full_attention_mma", "full_attention_combine",
                     "linear_attention_delta_weights_mma",
                     "linear_attention_delta_recurrence_mma",
                     "linear_attention_chunk_outputs_mma"] + DELTA_STEP, names
    for what, blocks in launched:
        if what in DELTA_STEP:
            assert blocks == 0, (what, blocks)
        elif what == "linear_attention_delta_recurrence_mma":
            assert blocks == DELTA_RECURRENCE_BLOCKS, blocks
        elif what not in UNGATED:
            assert blocks >= 2 * SM_COUNT, (what, blocks)


def test_delta_decode_grids(tmp_path):
    launched = attention_launches("delta-decode-32k", DELTA_DECODE, tmp_path)
    names = [n for n, _ in launched]
    assert names == ["full_attention_mma", "full_attention_combine"] + DELTA_STEP, names
    for what, blocks in launched:
        if what == "linear_attention_delta_step_state":
            assert blocks == DELTA_STEP_STATE_BLOCKS, blocks
        elif what not in UNGATED:
            assert blocks >= 2 * SM_COUNT, (what, blocks)


@pytest.mark.parametrize("name,source", [("prefill", PREFILL), ("decode", DECODE),
                                         ("delta-prefill", DELTA_PREFILL),
                                         ("delta-decode", DELTA_DECODE),
                                         ("per-key-prefill", PER_KEY_PREFILL),
                                         ("per-key-decode", PER_KEY_DECODE),
                                         ("per-key-delta-prefill", PER_KEY_DELTA_PREFILL),
                                         ("per-key-delta-decode", PER_KEY_DELTA_DECODE)])
def test_layer_kernels_fit_an_sm(name, source, tmp_path):
    info = inspect_at(source, tmp_path, f"s0={SEQUENCE}")
    threads = {k["name"]: k["block_size"] for k in info["kernels"]}
    (cubin,) = [e for e in info["executables"]
                if e["target"] == "sm_90" and e["format"] == "cubin"]
    assert {r["kernel"] for r in cubin["resources"]} == set(threads)
    for r in cubin["resources"]:
        where = r["kernel"]
        assert r["spill_stores"] == 0 and r["spill_loads"] == 0, where
        assert r["stack_bytes"] == 0, where
        assert allocated_registers(r["registers"]) * threads[where] <= REGISTERS_PER_SM, where
        assert r["shared_bytes"] <= MAX_STATIC_SHARED, where


@pytest.mark.parametrize("name", sorted(SPLIT_CASES))
def test_split_cases_split_their_keys(name, tmp_path):
    """The emulation test's flash-decoding cases do take the split form:
    their full-attention grid has a split dimension above 1 and the
    combine launches blocks."""
    info = inspect_json(compile_case(SPLIT_CASES[name], "gpu-emulator"), tmp_path)
    blocks = {k["name"].split("_k", 1)[1]: l["blocks"] for k, l in launches(info)}
    attention = [b for n, b in blocks.items()
                 if "full_attention" in n and not n.endswith("_combine")]
    combine = [b for n, b in blocks.items() if n.endswith("full_attention_combine")]
    assert attention and combine, sorted(blocks)
    assert combine[0] > 0 and attention[0] > combine[0], blocks


def test_inspect_roofline_text_and_unknown_gpu(tmp_path):
    path = tmp_path / "layer.hydra"
    path.write_bytes(hydrahead.compile(DECODE.encode(), target="sm_90", format="mlir"))
    text = subprocess.run([INSPECT, str(path), "--sizes", "s0=32768", "--gpu", "H100"],
                          capture_output=True, text=True, check=True).stdout
    assert "decode_k0_full_attention_mma grid [1, 4, 1, s4] = 264 blocks" in text
    assert "roofline on h100:" in text and "memory-bound (tensor-core peak)" in text
    unbound = subprocess.run([INSPECT, str(path), "--gpu", "h200"],
                             capture_output=True, text=True, check=True).stdout
    assert "roofline on h200: needs every size bound (--sizes)" in unbound
    bad = subprocess.run([INSPECT, str(path), "--gpu", "v100"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "--gpu 'v100' is not known (known: h100, h200, a100)" in bad.stderr

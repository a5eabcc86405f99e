"""Runs the CPU code that hydra generates for hydra.hybrid_attention and
checks it against the float64 reference: |err| ≤ 1e-4 · max(1, max|ref|).

Small tile sizes make every case cross several query tiles, key tiles and
chunks, with ragged last ones."""

import zlib

import numpy as np
import pytest

from cases import HybridCase, max_error
from hydra_exec import run_function

PIPELINE = "hydra-to-llvm=query-tile=8 key-tile=8 chunk-size=8"

CASES = {
    # Full attention.
    "fa-noncausal": HybridCase("FFFF"),
    "fa-causal": HybridCase("FFFF", causal=True),
    "fa-gqa": HybridCase("FFFFFFFF", Hkv=2, causal=True),
    "fa-dk-ne-dv": HybridCase("FF", Dk=32, Dv=8, causal=True),
    "fa-s-ne-t": HybridCase("FF", S=13, T=29),
    "fa-s-ne-t-causal": HybridCase("FF", S=13, T=29, causal=True),
    "fa-bool-mask": HybridCase("FFFF", mask="bool", B=2),
    "fa-float-mask-bcast": HybridCase("FFFF", mask="float", mask_shape=(19, 19)),
    "fa-mask-causal": HybridCase("FF", mask="bool", mask_shape=(1, 1, 19, 19), causal=True),
    "fa-softcap": HybridCase("FF", softcap=2.0, causal=True, scale=0.7),
    # Linear attention, each rule.
    "la-linear": HybridCase("LLLL"),
    "la-gated-head": HybridCase("LLLL", rule="gated", decay="head"),
    "la-gated-dim": HybridCase("LLLL", rule="gated", decay="dim"),
    "la-delta": HybridCase("LLLL", rule="delta", beta_heads=4),
    "la-delta-beta1": HybridCase("LLLL", rule="delta", beta_heads=1),
    "la-gated-delta-head": HybridCase("LLLL", rule="gated_delta", decay="head", beta_heads=4),
    "la-gated-delta-dim": HybridCase("LLLL", rule="gated_delta", decay="dim", beta_heads=4),
    "la-gqa": HybridCase("LLLLLLLL", Hkv=2, rule="gated", decay="dim"),
    "la-scale": HybridCase("LL", linear_scale=0.3, Dk=8, Dv=24),
    # Hybrid head maps.
    "hybrid-7to1": HybridCase("FLLLLLLL", causal=True, rule="gated", decay="head"),
    "hybrid-7to1-fused": HybridCase("FLLLLLLL", causal=True, rule="gated", decay="head", fusion=True),
    "hybrid-7to1-gqa-fused": HybridCase("FLLLLLLL", Hkv=4, causal=True, rule="gated_delta",
                                        decay="dim", beta_heads=4, fusion=True),
    "hybrid-1to1": HybridCase("FLFL", causal=True, rule="delta", beta_heads=4),
    "hybrid-1to1-fused": HybridCase("LFLF", causal=True, fusion=True, B=2, S=33),
    "all-f-fused": HybridCase("FFFF", causal=True, fusion=True),
    "all-l-fused": HybridCase("LLLL", rule="gated", decay="head", fusion=True),
    "hybrid-scattered": HybridCase("LFFLLFLF", Hkv=2, causal=True, fusion=True,
                                   mask="float", mask_shape=(1, 8, 19, 19)),
    # Dynamic batch and lengths: one compiled function, sizes from the call.
    "dynamic-fa": HybridCase("FFFF", B=2, S=13, T=21, dynamic=True),
    "dynamic-hybrid": HybridCase("FLLL", B=2, S=23, causal=True, rule="gated_delta",
                                 decay="dim", beta_heads=4, fusion=True, dynamic=True),
    # Half precision in and out; f32 inside.
    "f16-hybrid": HybridCase("FLLL", causal=True, rule="gated", decay="head",
                             fusion=True, dtype=np.float16),
}

# f16 results are rounded once, at the store: allow for that rounding.
TOLERANCES = {np.dtype(np.float32): 1e-4, np.dtype(np.float16): 2e-3}


def compile_and_compare(name, case, pipeline):
    """Runs `case` through `pipeline` on seeded inputs; returns the output
    and its error against the float64 reference."""
    inputs = case.make_inputs(seed=zlib.crc32(name.encode()))
    got = run_function(case.mlir_source(), "hybrid",
                       [inputs[n] for n in case.operand_order()],
                       case.output_shape(), case.dtype, pipeline=pipeline)
    return got, max_error(got, case.reference())


@pytest.mark.parametrize("name", sorted(CASES))
def test_hybrid_attention_matches_reference(name):
    case = CASES[name]
    got, err = compile_and_compare(name, case, PIPELINE)
    tolerance = TOLERANCES[np.dtype(case.dtype)]
    assert np.all(np.isfinite(got)), "non-finite output"
    assert err <= tolerance, f"max error {err:.3e} > {tolerance}"


# Default tile sizes and a longer sequence: many query tiles, key tiles and
# chunks, and scratch buffers reused across every loop iteration.
LONG = {
    "long-hybrid-default-tiles": HybridCase("FLLLLLLL", Hkv=2, S=700, Dk=64, Dv=64,
                                            causal=True, rule="gated_delta",
                                            decay="head", beta_heads=2, fusion=True),
    "long-fa-default-tiles": HybridCase("FFFF", B=2, S=333, T=517, Dk=32, Dv=48),
}


@pytest.mark.parametrize("name", sorted(LONG))
def test_default_pipeline_long_sequences(name):
    _, err = compile_and_compare(name, LONG[name], "hydra-to-llvm")
    assert err <= 1e-4, f"max error {err:.3e} > 1e-4"

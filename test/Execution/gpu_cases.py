"""The GPU side of the execution tests: every CPU case compiled for the GPU
targets, through the hydra-compile library (hydrahead), as artifacts."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import hydrahead  # noqa: E402

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

from cases import HybridCase  # noqa: E402
from test_hybrid_attention import CASES, LONG  # noqa: E402,F401
from test_hybrid_attention import TOLERANCES as CPU_TOLERANCES  # noqa: E402

# The CPU code's bounds, and bf16's: rounded once at the store, and P (and
# LA's intra-chunk A and state) rounded to the input type before products.
TOLERANCES = {**CPU_TOLERANCES, np.dtype(ml_dtypes.bfloat16): 8e-3}

# Full attention in f16 and bf16 takes the tensor-core kernel (mma.sync):
# several 64-row query tiles and 32-key tiles with ragged ends, GQA, masks,
# softcap, fused merge, Dv a multiple of 8 but not 16. So does linear
# attention (chunkwise) with every rule and one decay per head: the delta
# rules by the UT transform and a recurrence over chunks (hybrid-7to1 and
# the la-*delta* cases), with a decay per head or per key dimension (the
# la-*dim* cases: strong decays too, log decays down to -12 a step).
MMA_CASES = {
    f"mma-{dtype.__name__}-{name}": HybridCase(**dict(kw, dtype=dtype))
    for dtype in (np.float16, ml_dtypes.bfloat16)
    for name, kw in {
        "causal": dict(heads="FFFF", S=70, Dk=32, Dv=32, causal=True),
        "gqa-fused": dict(heads="FFFFFFFF", Hkv=2, S=45, T=45, Dk=64, Dv=24,
                          causal=True, fusion=True),
        "s-ne-t-mask": dict(heads="FF", S=33, T=81, Dk=16, Dv=16, mask="bool", B=2),
        "softcap-float-mask": dict(heads="FF", S=40, Dk=48, Dv=8, softcap=2.0,
                                   mask="float", mask_shape=(40, 40)),
        "hybrid-7to1": dict(heads="FLLLLLLL", Hkv=2, S=50, Dk=32, Dv=32, causal=True,
                            rule="gated_delta", decay="head", beta_heads=2, fusion=True),
        # Linear attention on tensor cores (chunks of 16, ragged last one).
        "la-linear": dict(heads="LL", S=50, Dk=32, Dv=32),
        "la-gated-gqa-fused": dict(heads="LLLL", Hkv=2, S=37, Dk=16, Dv=48,
                                   rule="gated", decay="head", fusion=True),
        # Several chunks of 64 (and of 32 at Dk = Dv = 128), ragged ends.
        "la-gated-long": dict(heads="LLLL", Hkv=2, S=300, Dk=64, Dv=64, rule="gated",
                              decay="head", fusion=True, initial_state=True),
        "la-linear-d128": dict(heads="LL", S=150, Dk=128, Dv=128, B=2),
        # The delta rules: β per kv head or shared, several chunks of 64
        # with initial and final states, D = 128.
        "la-delta": dict(heads="LL", S=50, Dk=32, Dv=32, rule="delta", beta_heads=2),
        "la-gated-delta-long": dict(heads="LLLL", Hkv=2, S=300, Dk=64, Dv=64,
                                    rule="gated_delta", decay="head", beta_heads=1,
                                    fusion=True, initial_state=True),
        "la-delta-d128": dict(heads="LL", S=150, Dk=128, Dv=128, B=2, rule="delta",
                              beta_heads=2),
        # A decay per key dimension: strong decays, chunks of 32 at D = 128.
        "la-gated-dim": dict(heads="LL", S=50, Dk=32, Dv=32, rule="gated", decay="dim"),
        "la-gated-dim-strong": dict(heads="LLLL", Hkv=2, S=300, Dk=64, Dv=32, rule="gated",
                                    decay="dim", decay_strength=12.0, fusion=True,
                                    initial_state=True),
        "la-gated-dim-d128": dict(heads="LL", S=150, Dk=128, Dv=128, B=2, rule="gated",
                                  decay="dim"),
        "la-gated-delta-dim-strong": dict(heads="LLLL", Hkv=2, S=300, Dk=64, Dv=32,
                                          rule="gated_delta", decay="dim", beta_heads=1,
                                          decay_strength=12.0, fusion=True,
                                          initial_state=True),
        "la-gated-delta-dim-d128": dict(heads="LL", S=150, Dk=128, Dv=128, B=2,
                                        rule="gated_delta", decay="dim", beta_heads=2),
        # One-step calls (a decode step of the linear heads): the step form.
        "la-step-gated-state": dict(heads="LLLL", Hkv=2, S=1, Dk=32, Dv=24, rule="gated",
                                    decay="head", fusion=True, initial_state=True),
        "la-step-linear-d128": dict(heads="LL", S=1, Dk=128, Dv=128, B=2,
                                    initial_state=True),
        "la-step-gated-dim-state": dict(heads="LLLL", Hkv=2, S=1, Dk=32, Dv=24,
                                        rule="gated", decay="dim", fusion=True,
                                        initial_state=True),
        "la-step-gated-delta-dim-state": dict(heads="LLLL", Hkv=2, S=1, Dk=32, Dv=32,
                                              rule="gated_delta", decay="dim",
                                              beta_heads=2, fusion=True,
                                              initial_state=True),
        "la-step-gated-delta-state": dict(heads="LLLL", Hkv=2, S=1, Dk=32, Dv=32,
                                          rule="gated_delta", decay="head", beta_heads=2,
                                          fusion=True, initial_state=True),
        "hybrid-gated-7to1": dict(heads="FLLLLLLL", Hkv=2, S=70, Dk=64, Dv=64,
                                  causal=True, rule="gated", decay="head", fusion=True),
    }.items()
}

# Flash-decoding: grids of few (batch, head, query tile) blocks on long
# keys split them (slices of at least 128 keys, up to 264 blocks), then
# the combine kernel merges the slices: f32 (the CUDA-core kernel) and
# f16/bf16 (tensor cores), a decode step, GQA, a short prefill on a long
# cache with a mask, causal rows, a fused merge, slices of ragged length.
SPLIT_CASES = {
    "split-f32-decode-fused": HybridCase("FF", S=1, T=2000, Dk=32, Dv=40, fusion=True),
    "split-f32-causal-rows": HybridCase("FF", S=3, T=600, Dk=16, Dv=16, causal=True),
    "split-f16-decode-gqa": HybridCase("FFFF", Hkv=2, S=1, T=1500, Dk=32, Dv=24,
                                       fusion=True, dtype=np.float16),
    "split-f16-prefill-mask": HybridCase("FF", S=5, T=700, Dk=16, Dv=16, mask="bool",
                                         dtype=np.float16),
    "split-bf16-decode-one-kv-head": HybridCase("FFFF", Hkv=1, S=1, T=1100, Dk=32, Dv=32,
                                                fusion=True, dtype=ml_dtypes.bfloat16),
}

# The four groups of GPU cases (the device kit's index names them), and
# every case by name (names are unique across the groups).
GROUPS = (("cases", CASES), ("long", LONG), ("mma", MMA_CASES), ("split", SPLIT_CASES))
ALL_CASES = {name: case for _, cases in GROUPS for name, case in cases.items()}
assert len(ALL_CASES) == sum(len(cases) for _, cases in GROUPS)

# The archs every test model must assemble for.
ARCHS = ("sm_80", "sm_90")


def compile_case(case, target):
    """The artifact bytes of `case`'s function compiled for `target`."""
    if not case.inputs:
        case.make_inputs()  # the function's types come from the inputs
    return hydrahead.compile(case.mlir_source().encode(), target=target, format="mlir")


ROOT = os.path.join(HERE, "..", "..")
INSPECT = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")),
                       "bin", "hydra-inspect")

# The example layer, also a test model of the GPU checks.
EXAMPLE = os.path.join(ROOT, "examples", "hybrid_7to1.mlir")


def compile_example(target):
    return hydrahead.compile(EXAMPLE, target=target)


def inspect_json(artifact, tmp_path):
    """What hydra-inspect --json says of `artifact`."""
    import json
    import subprocess
    path = tmp_path / "model.hydra"
    path.write_bytes(artifact)
    proc = subprocess.run([INSPECT, str(path), "--json"], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)

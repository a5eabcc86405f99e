"""Runs the GPU kernels that hydra generates on the CPU, through the
runtime's GPU emulator (every thread of a block a fiber, shared memory per
block, barriers and warp shuffles emulated; docs/gpu.md), and checks them
against the float64 reference on the same cases, with the same tolerances,
as the CPU code. This is the GPU mapping itself at work: the block and
thread indexing, shared-memory staging, barriers and warp reductions of
the very kernels that become PTX."""

import zlib

import ml_dtypes
import numpy as np
import pytest

from cases import max_error
from gpu_cases import CASES, LONG, MMA_CASES, SPLIT_CASES, compile_case, hydrahead
from test_hybrid_attention import TOLERANCES


# Rounded once at the store, and P rounded to the input type before P·V.
TOLERANCES = {**TOLERANCES, np.dtype(ml_dtypes.bfloat16): 8e-3}


@pytest.mark.parametrize(
    "name", sorted(CASES) + sorted(LONG) + sorted(MMA_CASES) + sorted(SPLIT_CASES))
def test_emulated_gpu_kernels_match_reference(name):
    case = CASES.get(name) or LONG.get(name) or MMA_CASES.get(name) or SPLIT_CASES[name]
    inputs = case.make_inputs(seed=zlib.crc32(name.encode()))
    module = hydrahead.Module(compile_case(case, "gpu-emulator"))
    session = hydrahead.Session(module, device="gpu-emulator")
    outputs = session.run([inputs[n] for n in case.operand_order()])
    got = list(outputs.values())[0]
    tolerance = TOLERANCES[np.dtype(case.dtype)]
    assert np.all(np.isfinite(got)), "non-finite output"
    err = max_error(got, case.reference())
    print(f"{name}: max error {err:.3e}")
    assert err <= tolerance, f"max error {err:.3e} > {tolerance}"

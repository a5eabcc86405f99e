"""The GPU kernels on a real NVIDIA GPU, through the runtime's CUDA device,
against the float64 reference: run only where a CUDA driver and device are
present (docs/gpu.md); elsewhere each case is reported as skipped with the
runtime's own reason (no driver, no device)."""

import zlib

import numpy as np
import pytest

from cases import max_error
from gpu_cases import ARCHS, CASES, MMA_CASES, TOLERANCES, compile_case, hydrahead

DEVICE_CASES = {
    **{n: CASES[n] for n in ("fa-causal", "fa-gqa", "fa-bool-mask", "la-gated-delta-dim",
                             "hybrid-7to1-fused", "dynamic-hybrid", "f16-hybrid")},
    **{n: MMA_CASES[n] for n in ("mma-float16-hybrid-gated-7to1",
                                 "mma-bfloat16-hybrid-7to1",
                                 "mma-bfloat16-softcap-float-mask")},
}


@pytest.mark.parametrize("name", sorted(DEVICE_CASES))
def test_gpu_kernels_on_the_device_match_reference(name):
    case = DEVICE_CASES[name]
    inputs = case.make_inputs(seed=zlib.crc32(name.encode()))
    module = hydrahead.Module(compile_case(case, ",".join(ARCHS)))
    try:
        session = hydrahead.Session(module, device="cuda")
    except hydrahead.HydraError as e:
        if e.code != "UNAVAILABLE":
            raise
        pytest.skip(f"no CUDA device: {e}")
    got = list(session.run([inputs[n] for n in case.operand_order()]).values())[0]
    tolerance = TOLERANCES[np.dtype(case.dtype)]
    assert np.all(np.isfinite(got)), "non-finite output"
    err = max_error(got, case.reference())
    assert err <= tolerance, f"max error {err:.3e} > {tolerance}"

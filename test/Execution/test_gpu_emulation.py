"""Runs the GPU kernels that hydra generates on the CPU, through the
runtime's GPU emulator (every thread of a block a fiber, shared memory per
block, barriers and warp shuffles emulated; docs/gpu.md), against the
float64 reference. Every case of gpu_cases.py runs through the device kit
(test/Tools/test_device_kit.py: the same artifacts a GPU runs); here, what
one artifact does across calls of different sizes."""

import ml_dtypes
import numpy as np
import pytest

from cases import max_error
from gpu_cases import TOLERANCES, compile_case, hydrahead




@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("rule,decay", [("gated", "head"), ("gated_delta", "head"),
                                        ("gated", "dim"), ("gated_delta", "dim")])
def test_linear_attention_picks_its_form_per_call(dtype, rule, decay):
    """One artifact, sequence length dynamic: a one-step call (decode) takes
    the step form, a longer one the chunk form, each against the float64
    reference, outputs and final state."""
    from cases import HybridCase
    delta = dict(Dv=32, beta_heads=2) if rule == "gated_delta" else dict(Dv=24)
    shape = dict(heads="LLLL", Hkv=2, Dk=32, rule=rule, decay=decay,
                 fusion=True, initial_state=True, dtype=dtype, dynamic=True, **delta)
    module = None
    for S in (1, 90, 1):
        case = HybridCase(S=S, **shape)
        inputs = case.make_inputs(seed=S)
        if module is None:
            module = hydrahead.Module(compile_case(case, "gpu-emulator"))
            session = hydrahead.Session(module, device="gpu-emulator")
        got = list(session.run([inputs[n] for n in case.operand_order()]).values())
        ref, state = case.reference(return_state=True)
        tolerance = TOLERANCES[np.dtype(dtype)]
        assert max_error(got[0], ref) <= tolerance, (S, max_error(got[0], ref))
        assert max_error(got[1], state) <= tolerance, (S, max_error(got[1], state))

"""ONNX's own function bodies for Attention (the `_expanded` cases) must not
only give the right numbers (test_conformance.py) but run as hydra's
attention kernels: each is raised to one hydra.hybrid_attention, seen
through `hydra-compile --emit=hydra`."""

import os
import subprocess

import pytest

from conformance import BUILD, CASES_DIR, in_scope_cases, load_out_of_scope

LISTED = load_out_of_scope()
EXPANDED = [c for c in in_scope_cases()
            if c.startswith("test_attention") and c.endswith("_expanded") and c not in LISTED]
# These also return the softmax output (qk_matmul_output mode 2): the
# softmax stays for that output, next to the raised op.
KEEPS_SOFTMAX = {"test_attention_3d_with_past_and_present_qk_matmul_softmax_expanded",
                 "test_attention_4d_with_qk_matmul_softmax_expanded"}


def test_expanded_attention_cases_are_present():
    assert len(EXPANDED) >= 60, CASES_DIR


@pytest.mark.parametrize("case", EXPANDED)
def test_expanded_attention_is_raised(case):
    proc = subprocess.run([os.path.join(BUILD, "bin", "hydra-compile"),
                           os.path.join(CASES_DIR, case, "model.onnx"), "--emit=hydra"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ir = proc.stdout
    assert ir.count("hydra.hybrid_attention") == 1, ir
    assert ("linalg.softmax" in ir) == (case in KEEPS_SOFTMAX), ir

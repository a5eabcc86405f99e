"""ONNX's conformance cases for the operators hydra compiles, run through
hydra-compile and hydra-run (see conformance.py). A case listed in
out_of_scope.txt is expected to fail (strict: a listed case that passes
fails the run, so the list cannot go stale)."""

import os
import tempfile

import pytest

import conformance

LISTED = conformance.load_out_of_scope()
CASES = conformance.in_scope_cases()


def params():
    for case in CASES:
        marks = []
        if case in LISTED:
            marks.append(pytest.mark.xfail(strict=True, reason=LISTED[case]))
        yield pytest.param(case, marks=marks, id=case)


def test_cases_are_present():
    assert CASES, f"no conformance cases found in {conformance.CASES_DIR}"
    unknown = sorted(set(LISTED) - set(CASES))
    assert not unknown, f"out_of_scope.txt lists cases that do not exist: {unknown}"


@pytest.mark.parametrize("case", list(params()))
def test_conformance_case(case):
    with tempfile.TemporaryDirectory(prefix="hydra-conformance-") as tmp:
        ok, message = conformance.run_case(case, tmp)
    assert ok, message

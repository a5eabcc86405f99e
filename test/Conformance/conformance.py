"""Runs ONNX's own conformance cases (../shared/onnx-node-tests) through
hydra-compile and hydra-run and compares with the stored outputs.

Which cases count: every case of the operators hydra compiles (SCOPE
below), plain and `_expanded`. Cases that stay out, with the reason, are
listed in out_of_scope.txt; everything else must pass."""

import os
import re
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
CASES_DIR = os.environ.get(
    "HYDRA_ONNX_NODE_TESTS", os.path.join(os.path.dirname(ROOT), "shared", "onnx-node-tests"))

# Operators in scope (issue: importer); a case belongs to an operator when
# its directory is test_<snake_case op>[_...].
SCOPE = ["Attention", "LinearAttention", "RMSNormalization", "LayerNormalization",
         "Softmax", "MatMul", "Gemm", "Constant", "Reshape", "Transpose", "Gather",
         "Concat", "Slice", "Split", "Squeeze", "Unsqueeze", "Add", "Sub", "Mul",
         "Div", "Pow", "Sqrt", "Exp", "Where", "Cast", "ReduceMean", "Reciprocal",
         "Neg", "Tanh", "Equal", "Expand", "Range", "ConstantOfShape", "Shape",
         "GatherElements", "Sigmoid", "Sin", "Cos", "Erf", "Relu", "Elu", "Gelu",
         "HardSwish", "Max", "Min", "Swish", "RotaryEmbedding"]


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("r_m_s", "rms")


def case_operator(case):
    """The in-scope operator a case tests, or None. Longest name first, so
    test_attention_* is not taken for test_linear_attention_*."""
    body = case[len("test_"):]
    for op in sorted(SCOPE, key=lambda o: -len(snake(o))):
        s = snake(op)
        if body == s or body.startswith(s + "_"):
            return op
    return None


def in_scope_cases():
    if not os.path.isdir(CASES_DIR):
        return []
    return [c for c in sorted(os.listdir(CASES_DIR))
            if c.startswith("test_") and case_operator(c)]


def load_out_of_scope():
    listed = {}
    with open(os.path.join(HERE, "out_of_scope.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            case, _, reason = line.partition(" ")
            listed[case] = reason.strip()
    return listed


def tolerance(dtype):
    if dtype in (np.float16,):
        return 2e-3, 2e-3
    if dtype.name == "bfloat16":
        return 1e-2, 1e-2
    return 1e-4, 1e-5


def run_case(case, workdir):
    """Compiles and runs `case`; returns (ok, message)."""
    path = os.path.join(CASES_DIR, case)
    model = onnx.load(os.path.join(path, "model.onnx"))
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    data_dir = os.path.join(path, "test_data_set_0")
    artifact = os.path.join(workdir, "model.hydra")
    proc = subprocess.run([os.path.join(BUILD, "bin", "hydra-compile"),
                           os.path.join(path, "model.onnx"), "-o", artifact],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return False, "hydra-compile: " + proc.stderr.strip()[-600:]
    args = [os.path.join(BUILD, "bin", "hydra-run"), artifact,
            "--output-dir", os.path.join(workdir, "out")]
    pbs = sorted(f for f in os.listdir(data_dir) if f.startswith("input_"))
    given = {}
    for pb in pbs:
        tensor = onnx.TensorProto()
        with open(os.path.join(data_dir, pb), "rb") as f:
            tensor.ParseFromString(f.read())
        given[tensor.name] = numpy_helper.to_array(tensor)
    for name in inputs:
        if name not in given:
            return False, f"no stored data for input '{name}'"
        npy = os.path.join(workdir, f"in_{len(args)}.npy")
        np.save(npy, np.array(given[name], order="C"))
        args += ["--input", f"{name}={npy}"]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, "hydra-run: " + proc.stderr.strip()[-600:]
    for i, name in enumerate(outputs):
        tensor = onnx.TensorProto()
        with open(os.path.join(data_dir, f"output_{i}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        want = numpy_helper.to_array(tensor)
        got = np.load(os.path.join(workdir, "out", f"{name}.npy"))
        if got.dtype.kind == "V" and want.dtype.name == "bfloat16":
            got = got.view(want.dtype)  # bf16 travels as 2-byte void
        if got.shape != want.shape:
            return False, f"output '{name}': shape {got.shape}, expected {want.shape}"
        rtol, atol = tolerance(want.dtype)
        if want.dtype.kind == "f" or want.dtype.name == "bfloat16":
            ok = np.allclose(got.astype(np.float64), want.astype(np.float64),
                             rtol=rtol, atol=atol, equal_nan=True)
        else:
            ok = np.array_equal(got, want)
        if not ok:
            err = np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))
            return False, f"output '{name}': max |err| {err:.3e}"
    return True, ""


def main():
    """Runs every in-scope case and prints the counts (the runner's report)."""
    listed = load_out_of_scope()
    counts = {"passed": 0, "failed": 0, "listed out": 0}
    for case in in_scope_cases():
        if case in listed:
            counts["listed out"] += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            ok, message = run_case(case, tmp)
        counts["passed" if ok else "failed"] += 1
        if not ok:
            print(f"FAIL {case}: {message}")
    print(f"conformance: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['listed out']} listed out")
    return counts["failed"] == 0


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)

"""The artifact records the CPU its x86-64 code was generated for and the
ISA extensions that code may use (hydra-compile --cpu), and the runtime
checks them against the running CPU before loading it (the refusal itself
is tested in runtime/test/host_cpu_test.cc, with a CPU that lacks them)."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tools import tool


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("cpu")
    graph = helper.make_graph([helper.make_node("Tanh", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]),
              d / "m.onnx")
    x = np.linspace(-3, 3, 256, dtype=np.float32).reshape(4, 64)
    np.save(d / "x.npy", x)
    return d


def compile_for(model, cpu):
    out = model / f"{cpu}.hydra"
    args = [model / "m.onnx", "-o", out, "--target=cpu,gpu-emulator"]
    if cpu:
        args.append(f"--cpu={cpu}")
    tool("hydra-compile", *args, check=True)
    info = json.loads(tool("hydra-inspect", out, "--json", check=True).stdout)
    return out, {e["target"]: e for e in info["executables"]}


@pytest.mark.parametrize("cpu,needs,lacks", [
    ("x86-64", [], ["sse3", "avx"]),
    ("x86-64-v2", ["sse4.2", "popcnt"], ["avx", "avx2"]),
    ("x86-64-v3", ["avx2", "fma", "bmi2"], ["avx512f"]),
    ("skylake-avx512", ["avx512f", "avx512bw", "avx512vl"], ["avx512fp16"]),
])
def test_named_cpus_record_the_extensions_they_imply(model, cpu, needs, lacks):
    _, executables = compile_for(model, cpu)
    for target in ("x86_64", "gpu-emulator"):
        e = executables[target]
        assert e["cpu"] == cpu
        assert set(needs) <= set(e["cpu_features"]), e
        assert not set(lacks) & set(e["cpu_features"]), e


def test_native_is_the_default_and_records_the_host(model, tmp_path):
    artifact, executables = compile_for(model, None)
    e = executables["x86_64"]
    assert e["cpu"] not in ("", "native", "generic")
    # What this machine's compiler enabled, this machine's runtime accepts.
    proc = tool("hydra-run", artifact, "--input", f"x={model / 'x.npy'}",
                "--output-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_portable_code_runs_and_matches_native(model, tmp_path):
    x = np.load(model / "x.npy")
    for cpu in ("x86-64", "x86-64-v3"):
        artifact, _ = compile_for(model, cpu)
        out = tmp_path / cpu
        tool("hydra-run", artifact, "--input", f"x={model / 'x.npy'}",
             "--output-dir", out, check=True)
        np.testing.assert_allclose(np.load(out / "y.npy"), np.tanh(x), rtol=1e-5, atol=1e-6)


def test_inspect_prints_the_cpu_and_its_needs(model):
    artifact, _ = compile_for(model, "x86-64")
    text = tool("hydra-inspect", artifact, check=True).stdout
    assert "cpu x86-64, needs: no extensions beyond x86-64" in text

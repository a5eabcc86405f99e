"""The hydrahead Python package: compile (path or bytes), load, run on
numpy arrays, the errors it raises, and installing it with pip."""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    d = tmp_path_factory.mktemp("example")
    subprocess.run([sys.executable, os.path.join(ROOT, "examples", "make_hybrid_onnx.py"),
                    str(d)], check=True, capture_output=True)
    return d


def inputs_of(d):
    return {n: np.load(d / f"{n}.npy") for n in ("query", "key", "value", "decay", "beta")}


def test_compile_path_load_and_run(example):
    artifact = hydrahead.compile(str(example / "model.onnx"), target="cpu")
    assert artifact[4:8] == b"HYDR"
    module = hydrahead.Module(artifact)
    assert module.functions == ["main"]
    names = [n for n, _, _ in module.signature()]
    assert names == ["query", "key", "value", "decay", "beta"]
    out = hydrahead.Session(module, device="cpu").run(inputs_of(example))
    ref = np.load(example / "reference.npy")
    assert np.max(np.abs(out["y"] - ref)) <= 1e-4 * max(1, np.max(np.abs(ref)))


def test_compile_bytes_and_load_file(example, tmp_path):
    artifact = hydrahead.compile((example / "model.onnx").read_bytes())
    (tmp_path / "m.hydra").write_bytes(artifact)
    session = hydrahead.Session(hydrahead.Module(str(tmp_path / "m.hydra")), threads=1)
    ins = inputs_of(example)
    out = session.run([ins[n] for n in ("query", "key", "value", "decay", "beta")])
    assert out["y"].shape == (1, 128, 256)


def test_errors_are_raised_with_hydras_message(example):
    with pytest.raises(hydrahead.HydraError, match="not a valid ONNX model"):
        hydrahead.compile(b"not a model")
    with pytest.raises(hydrahead.HydraError, match="not supported: target 'sm_90'"):
        hydrahead.compile(str(example / "model.onnx"), target="sm_90")
    with pytest.raises(hydrahead.HydraError, match="invalid artifact") as e:
        hydrahead.Module(b"HYDR" * 10)
    assert e.value.code == "INVALID_ARTIFACT"
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(str(example / "model.onnx"))))
    ins = inputs_of(example)
    ins["query"] = ins["query"][:, :, :128]
    with pytest.raises(hydrahead.HydraError, match="input 0 'query'") as e:
        session.run(ins)
    assert e.value.code == "INVALID_ARGUMENT"
    with pytest.raises(hydrahead.HydraError, match="missing inputs"):
        session.run({"query": ins["query"]})
    with pytest.raises(hydrahead.HydraError, match="device 'cuda' is not available"):
        hydrahead.Session(session.module, device="cuda")


def test_pip_installs_the_package(tmp_path, example):
    target = tmp_path / "site"
    env = dict(os.environ, HYDRA_BUILD_DIR=os.path.join(ROOT, "build"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target),
                    os.path.join(ROOT, "python")], check=True, env=env,
                   capture_output=True)
    code = ("import hydrahead, sys; "
            f"a = hydrahead.compile({str(example / 'model.onnx')!r}); "
            "print(hydrahead.__file__, hydrahead.Module(a).functions)")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_LIB_DIR"}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                         capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(target) in out and "['main']" in out

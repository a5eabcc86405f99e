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
        hydrahead.compile(b"not a model", format="onnx")
    # By content: binary is read as ONNX, text as MLIR.
    with pytest.raises(hydrahead.HydraError, match="not a valid ONNX model"):
        hydrahead.compile(b"\x08\x07\xff\xfe not a model")
    with pytest.raises(hydrahead.HydraError, match="custom op 'not' is unknown"):
        hydrahead.compile(b"not a model")
    with pytest.raises(hydrahead.HydraError, match="unknown format 'tflite'"):
        hydrahead.compile(b"x", format="tflite")
    with pytest.raises(hydrahead.HydraError, match="not supported: target 'sm_52'"):
        hydrahead.compile(str(example / "model.onnx"), target="sm_52")
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
    # Without a driver, or with one but no GPU code in a CPU-only artifact.
    with pytest.raises(hydrahead.HydraError, match="CUDA|GPU code") as e:
        hydrahead.Session(session.module, device="cuda")
    assert e.value.code == "UNAVAILABLE"
    with pytest.raises(hydrahead.HydraError, match="no code for target 'gpu-emulator'"):
        hydrahead.Session(session.module, device="gpu-emulator")
    with pytest.raises(hydrahead.HydraError, match="unknown device 'tpu'"):
        hydrahead.Session(session.module, device="tpu")


STUB = "/usr/local/cuda/lib64/stubs/libcuda.so"


@pytest.mark.skipif(not os.path.exists(STUB), reason=f"no CUDA driver stub at {STUB}")
def test_cuda_session_reports_the_drivers_refusal(example, monkeypatch):
    # The toolkit's stub driver resolves every entry point and refuses
    # cuInit: the runtime's driver loading runs for real, then stops cleanly.
    monkeypatch.setenv("HYDRA_LIBCUDA", STUB)
    module = hydrahead.Module(hydrahead.compile(str(example / "model.onnx"), target="sm_80"))
    with pytest.raises(hydrahead.HydraError, match="cuInit failed: CUDA_ERROR_STUB_LIBRARY") as e:
        hydrahead.Session(module, device="cuda")
    assert e.value.code == "UNAVAILABLE"


def test_pip_installs_the_package(tmp_path, example):
    target = tmp_path / "site"
    env = dict(os.environ, HYDRA_BUILD_DIR=os.path.join(ROOT, "build"))
    # The runtime package and the compiler's (test_wheels.py installs
    # their wheels into clean environments).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target),
                    os.path.join(ROOT, "python"), os.path.join(ROOT, "python", "compiler")],
                   check=True, env=env, capture_output=True)
    code = ("import hydrahead, hydrahead_compiler, sys; "
            f"a = hydrahead.compile({str(example / 'model.onnx')!r}); "
            "print(hydrahead.__file__, hydrahead_compiler.__file__, "
            "hydrahead.Module(a).functions)")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_LIB_DIR"}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                         capture_output=True, text=True, cwd=tmp_path).stdout
    assert out.count(str(target)) == 2 and "['main']" in out


def test_sessions_of_different_artifacts_keep_their_own_code(example):
    """Two artifacts with the same kernel names, alive at once and created
    after one is freed: each session must run its own code."""
    import onnx
    from onnx import TensorProto, helper

    def model(scale):
        shape = [1, 2, 8, 16]
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "QKV"]
        node = helper.make_node("Attention", ["Q", "K", "V"], ["Y"], scale=scale)
        graph = helper.make_graph([node], "g", inputs,
                                  [helper.make_tensor_value_info("Y", TensorProto.FLOAT, shape)])
        return helper.make_model(graph, ir_version=10,
                                 opset_imports=[helper.make_opsetid("", 23)]).SerializeToString()

    rng = np.random.default_rng(5)
    feeds = {n: rng.standard_normal((1, 2, 8, 16)).astype(np.float32) for n in "QKV"}
    a = hydrahead.Session(hydrahead.Module(hydrahead.compile(model(0.05))))
    b = hydrahead.Session(hydrahead.Module(hydrahead.compile(model(2.0))))
    ya, yb = a.run(feeds)["Y"], b.run(feeds)["Y"]
    assert not np.allclose(ya, yb)
    del a
    c = hydrahead.Session(hydrahead.Module(hydrahead.compile(model(2.0))))
    np.testing.assert_allclose(c.run(feeds)["Y"], yb, rtol=1e-6)
    np.testing.assert_allclose(b.run(feeds)["Y"], yb, rtol=1e-6)


def test_bf16_tensors_travel_as_ml_dtypes_arrays():
    """numpy has no bf16: the package takes and returns ml_dtypes.bfloat16."""
    import ml_dtypes
    from onnx import TensorProto, helper
    nodes = [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.BFLOAT16),
             helper.make_node("Mul", ["h", "h"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5])],
        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [5]),
         helper.make_tensor_value_info("h", TensorProto.BFLOAT16, [5])])
    model = helper.make_model(graph, ir_version=10,
                              opset_imports=[helper.make_opsetid("", 21)])
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString())))
    x = np.array([1.0, -2.5, 3.14159, 1e-3, 300.0], np.float32)
    out = session.run({"x": x})
    h = x.astype(ml_dtypes.bfloat16)
    assert out["h"].dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(out["h"], h)
    np.testing.assert_allclose(out["y"].astype(np.float32), (h * h).astype(np.float32),
                               rtol=1e-2)
    # and back in: a bf16 input
    graph = helper.make_graph(
        [helper.make_node("Cast", ["b"], ["f"], to=TensorProto.FLOAT)], "g",
        [helper.make_tensor_value_info("b", TensorProto.BFLOAT16, [5])],
        [helper.make_tensor_value_info("f", TensorProto.FLOAT, [5])])
    model = helper.make_model(graph, ir_version=10,
                              opset_imports=[helper.make_opsetid("", 21)])
    session = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString())))
    np.testing.assert_array_equal(session.run({"b": h})["f"], h.astype(np.float32))


def test_the_packages_dtype_codes_are_the_c_apis():
    """hydrahead maps numpy dtypes to hydra_dtype codes by number: each
    must name the runtime's dtype of that size (hydra_dtype_name/size)."""
    import ctypes
    from hydrahead import _DTYPES, _native
    lib = _native.runtime()
    lib.hydra_dtype_name.restype, lib.hydra_dtype_name.argtypes = ctypes.c_char_p, [ctypes.c_int]
    lib.hydra_dtype_size.restype, lib.hydra_dtype_size.argtypes = ctypes.c_size_t, [ctypes.c_int]
    names = {"float32": "f32", "float16": "f16", "bfloat16": "bf16", "float64": "f64",
             "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
             "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64"}
    assert len(_DTYPES) == len(names)
    for code, dtype in _DTYPES.items():
        assert lib.hydra_dtype_name(code).decode() == names[np.dtype(dtype).name], code
        assert lib.hydra_dtype_size(code) == np.dtype(dtype).itemsize, code

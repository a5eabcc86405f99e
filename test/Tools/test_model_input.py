"""How hydra reads a model: the format by content or --format, ONNX IR
versions and opsets, and external data from a file but not from bytes."""

import os
import shutil
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tools import ROOT, assert_clean_error, tool

sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

EXAMPLE_MLIR = os.path.join(ROOT, "examples", "hybrid_7to1.mlir")


def matmul_model(ir_version=None, opset=None, weight=None):
    w = weight if weight is not None else np.arange(12, dtype=np.float32).reshape(4, 3)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializer=[numpy_helper.from_array(w, "w")])
    kw = {}
    if ir_version is not None:
        kw["ir_version"] = ir_version
    if opset is not None:
        kw["opset_imports"] = [helper.make_opsetid("", opset)]
    return helper.make_model(graph, **kw)


def run(artifact, x):
    return hydrahead.Session(hydrahead.Module(artifact)).run({"x": x})["y"]


def test_format_is_decided_by_content_not_the_file_name(tmp_path):
    onnx_as_bin = tmp_path / "model.bin"
    onnx.save(matmul_model(), str(onnx_as_bin))
    mlir_as_txt = tmp_path / "layer.txt"
    shutil.copy(EXAMPLE_MLIR, mlir_as_txt)
    tool("hydra-compile", onnx_as_bin, "-o", tmp_path / "a.hydra", check=True)
    tool("hydra-compile", mlir_as_txt, "-o", tmp_path / "b.hydra", check=True)
    # An explicit --format wins, and a wrong one says what it expected.
    assert_clean_error(tool("hydra-compile", mlir_as_txt, "--format=onnx", "-o",
                            tmp_path / "c.hydra"), "not a valid ONNX model")
    assert_clean_error(tool("hydra-compile", onnx_as_bin, "--format=tflite", "-o",
                            tmp_path / "c.hydra"), "unknown format 'tflite' (auto, onnx, mlir)")
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(run(hydrahead.compile(str(onnx_as_bin)), x),
                                  x @ np.arange(12, dtype=np.float32).reshape(4, 3))
    assert hydrahead.Module(hydrahead.compile(str(mlir_as_txt))).functions == ["hybrid_layer"]


def test_current_onnx_ir_version_and_opsets_are_read():
    model = matmul_model()  # onnx's defaults: its newest IR and opset
    assert model.ir_version == onnx.IR_VERSION
    x = np.ones((2, 4), np.float32)
    for ir, opset in [(onnx.IR_VERSION, 28), (14, 27), (8, 18)]:
        got = run(hydrahead.compile(matmul_model(ir, opset).SerializeToString()), x)
        np.testing.assert_array_equal(got, x @ np.arange(12, dtype=np.float32).reshape(4, 3))


def test_newer_ir_versions_and_opsets_are_refused():
    with pytest.raises(hydrahead.HydraError, match="not supported: ONNX IR version 15"):
        hydrahead.compile(matmul_model(15, 21).SerializeToString())
    with pytest.raises(hydrahead.HydraError, match="not supported: opset 29"):
        hydrahead.compile(matmul_model(14, 29).SerializeToString())


def test_external_data_is_read_from_a_path_not_from_bytes(tmp_path):
    w = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    path = tmp_path / "model.onnx"
    onnx.save(matmul_model(weight=w), str(path), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").stat().st_size == w.nbytes
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(run(hydrahead.compile(str(path)), x), x @ w, rtol=1e-6)
    # Relative to the model's directory, whatever the working directory.
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        proc = tool("hydra-compile", path, "-o", tmp_path / "m.hydra")
    finally:
        os.chdir(cwd)
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(hydrahead.HydraError,
                       match="a model held in memory cannot refer to: compile it from its file"):
        hydrahead.compile(path.read_bytes())

"""hydra-run on bad .npy files and bad options: a clear error naming the
file and what is wrong (exit code 1), never an abort from an uncaught
exception or a read past the header."""

import os
import re
import struct
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tools import BIN, assert_clean_error, tool


@pytest.fixture(scope="module")
def neg_artifact(tmp_path_factory):
    d = tmp_path_factory.mktemp("neg")
    graph = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]),
              d / "m.onnx")
    tool("hydra-compile", d / "m.onnx", "-o", d / "m.hydra", check=True)
    return d / "m.hydra"


def npy(path, header, data=b"", version=1):
    header = header.encode()
    if version == 1:
        prefix = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
    else:
        prefix = b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header))
    path.write_bytes(prefix + header + data)
    return path


def run(artifact, tmp_path, *args):
    return tool("hydra-run", artifact, "--output-dir", tmp_path / "out", *args)


GOOD_DATA = np.zeros((2, 3), np.float32).tobytes()


@pytest.mark.parametrize("header,message", [
    ("{'descr': '', 'fortran_order': False, 'shape': (2, 3), }", "unsupported dtype ''"),
    ("{'descr': , 'fortran_order': False, 'shape': (2, 3), }", "malformed descr"),
    ("{'descr': <f4, 'fortran_order': False, 'shape': (2, 3), }", "malformed descr"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': , }", "malformed shape"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }",
     "not a non-negative integer"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
     "not a non-negative integer"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
     "a size exceeds 2^59"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
     "more than 2^59 elements"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }",
     "separated by commas"),
    ("{'descr': '<f4', 'shape': (2, 3), }", "malformed header"),
    ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran order"),
    ("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", "unsupported dtype"),
])
def test_malformed_npy_headers_are_named(neg_artifact, tmp_path, header, message):
    f = npy(tmp_path / "x.npy", header, GOOD_DATA)
    assert_clean_error(run(neg_artifact, tmp_path, "--input", f"x={f}"),
                       "input 'x'", message)


def test_truncated_npy_files_are_named(neg_artifact, tmp_path):
    f = tmp_path / "x.npy"
    f.write_bytes(b"\x93NUMPY\x02\x00\xff\xff")
    assert_clean_error(run(neg_artifact, tmp_path, "--input", f"x={f}"), "truncated")
    npy(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", GOOD_DATA[:8])
    assert_clean_error(run(neg_artifact, tmp_path, "--input", f"x={f}"),
                       "holds 8 data bytes, its shape needs 24")
    big = npy(tmp_path / "y.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              GOOD_DATA, version=2)
    tool("hydra-run", neg_artifact, "--output-dir", tmp_path / "out",
         "--input", f"x={big}", check=True)


@pytest.mark.parametrize("threads,message", [
    ("abc", "--threads takes a non-negative integer"),
    ("-1", "--threads takes a non-negative integer"),
    ("99999999999", "--threads takes a non-negative integer"),
    ("5000", "num_threads must be in [0, 1024]"),
])
def test_thread_counts_are_checked(neg_artifact, tmp_path, threads, message):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((2, 3), np.float32))
    assert_clean_error(run(neg_artifact, tmp_path, "--input", f"x={x}",
                           "--threads", threads), message)


def test_repeat_prints_timings_and_writes_the_outputs(neg_artifact, tmp_path):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(tmp_path / "x.npy", x)
    proc = run(neg_artifact, tmp_path, "--input", f"x={tmp_path / 'x.npy'}", "--repeat", "5")
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"median ([0-9.]+) ms over 5 runs \(min ([0-9.]+), max ([0-9.]+)\)",
                  proc.stdout)
    assert m, proc.stdout
    median, low, high = map(float, m.groups())
    assert 0 <= low <= median <= high
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), -x)


@pytest.mark.parametrize("count", ["0", "-2", "x", "99999999999"])
def test_repeat_counts_are_checked(neg_artifact, tmp_path, count):
    np.save(tmp_path / "x.npy", np.zeros((2, 3), np.float32))
    proc = run(neg_artifact, tmp_path, "--input", f"x={tmp_path / 'x.npy'}", "--repeat", count)
    assert_clean_error(proc, "--repeat takes a positive integer")


def test_profile_prints_each_launch(neg_artifact, tmp_path):
    # HYDRA_PROFILE=1: one line a launch a call on stderr (kernel, grid, ms).
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    cmd = [os.path.join(BIN, "hydra-run"), str(neg_artifact), "--input",
           f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "out"), "--repeat", "2"]
    quiet = subprocess.run(cmd, capture_output=True, text=True)
    assert quiet.returncode == 0 and "hydra profile" not in quiet.stderr
    loud = subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, HYDRA_PROFILE="1"))
    assert loud.returncode == 0, loud.stderr
    lines = [line for line in loud.stderr.splitlines() if line.startswith("hydra profile:")]
    assert len(lines) == 3, loud.stderr  # the warm-up and two timed calls
    for line in lines:
        assert re.fullmatch(r"hydra profile: main_k\d+_[a-z_]+ grid \d+: [0-9.]+ ms", line), line


@pytest.mark.parametrize("rows,threads,split", [(2, 2, False), (4096, 2, True), (4096, 1, False)])
def test_small_launches_stay_on_the_calling_thread(tmp_path, rows, threads, split):
    # A launch whose estimated work (a Neg over rows × 256: 2 KiB or 4 MiB
    # read and written) is under a few µs runs on the caller alone; a large
    # one is shared with the pool, which one thread does not have.
    graph = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["R", 256])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["R", 256])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]),
              tmp_path / "m.onnx")
    tool("hydra-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.hydra", check=True)
    x = np.arange(rows * 256, dtype=np.float32).reshape(rows, 256)
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run([os.path.join(BIN, "hydra-run"), str(tmp_path / "m.hydra"), "--input",
                          f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "out"),
                          "--threads", str(threads)],
                         capture_output=True, text=True, env=dict(os.environ, HYDRA_PROFILE="1"))
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("hydra profile:")]
    assert len(lines) == 1, run.stderr
    assert re.fullmatch(r"hydra profile: main_k\d+_[a-z_]+ grid \d+: [0-9.]+ ms" +
                        (" split" if split else ""), lines[0]), lines[0]
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), -x)

"""The GPU side of the command-line tools: one artifact for the CPU, two
CUDA archs and the GPU emulator; hydra-inspect's per-kernel resources,
launch geometry and work; --emit=ptx and gpu-kernels; hydra-run on the
emulator and, without a driver, a clean error for CUDA."""

import json
import os
import re

import numpy as np
import pytest

from test_artifact_tools import DYNAMIC_MLIR, qkv, save_inputs
from tools import ROOT, assert_clean_error, tool

EXAMPLE = os.path.join(ROOT, "examples", "hybrid_7to1.mlir")
TARGETS = "cpu,sm_80,sm_90,gpu-emulator"


@pytest.fixture(scope="module")
def gpu_artifact(tmp_path_factory):
    d = tmp_path_factory.mktemp("gpu")
    (d / "layer.mlir").write_text(DYNAMIC_MLIR)
    tool("hydra-compile", d / "layer.mlir", f"--target={TARGETS}", "-o",
         d / "layer.hydra", check=True)
    return d / "layer.hydra"


def test_one_artifact_holds_every_target(gpu_artifact):
    text = tool("hydra-inspect", gpu_artifact, check=True).stdout
    assert "program for cpu" in text and "program for cuda" in text
    # FA: 16 query rows a block of 4 warps, and a split of the keys (a
    # size the call's sizes decide); its combine: a warp per row of the
    # partials; LA: a block a (batch, head).
    assert re.search(r"full_attention grid \[s0, 2, ceil\(s1/16\), s\d+\] "
                     r"blocks of 128 threads", text)
    assert re.search(r"full_attention_combine grid \[s0, 2, s\d+\] blocks of 32 threads", text)
    assert "grid [s0, 2] blocks of 64 threads" in text
    for arch in ("sm_80", "sm_90"):
        assert f"target {arch}, ptx" in text and f"target {arch}, cubin" in text
    assert "target gpu-emulator, elf_shared_object" in text
    assert "target x86_64, elf_shared_object" in text
    info = json.loads(tool("hydra-inspect", gpu_artifact, "--json", check=True).stdout)
    cuda = {k["name"]: k for k in info["kernels"] if k["device"] == "cuda"}
    assert len(cuda) == 3
    assert all(k["shared_bytes"] > 0 for n, k in cuda.items() if not n.endswith("_combine"))
    for e in info["executables"]:
        if e["format"] == "cubin":
            assert {r["kernel"] for r in e["resources"]} == set(cuda)
            assert all(r["registers"] > 0 for r in e["resources"])


def test_inspect_evaluates_each_launchs_work(gpu_artifact):
    b, s = 2, 1000
    info = json.loads(tool("hydra-inspect", gpu_artifact, "--json", "--sizes",
                           f"s0={b},s1={s}", check=True).stdout)
    for program in info["functions"][0]["programs"]:
        launches = {info["kernels"][l["kernel"]]["name"].split("_k", 1)[1]: l
                    for l in program["launches"]}
        fa = launches["0_full_attention"]
        # Two full heads, causal: half of 2 · S · T · (Dk + Dv) FLOPs each.
        assert fa["flops"] == pytest.approx(2 * 0.5 * 2 * b * s * s * 32)
        assert fa["bytes"] > 0
        la = [l for n, l in launches.items() if n.endswith("linear_attention")]
        assert la and la[0]["flops"] > 0 and la[0]["bytes"] > 0
        if program["device"] == "cuda":
            # 2 · 2 · 63 = 252 blocks of 16 rows: two splits of the keys.
            assert fa["blocks"] == 2 * 2 * 63 * 2
            assert launches["1_full_attention_combine"]["blocks"] == 2 * 2 * s
    text = tool("hydra-inspect", gpu_artifact, check=True).stdout
    assert "work: FLOPs 64*s0*s1*s1, bytes " in text  # unbound: the polynomial
    bad = tool("hydra-inspect", gpu_artifact, "--sizes", "n=3")
    assert bad.returncode == 2 and "--sizes takes s0=N" in bad.stderr  # usage


def test_emulated_gpu_matches_cpu(gpu_artifact, tmp_path):
    q, k, v = qkv(np.random.default_rng(3), 2, 37)
    args = save_inputs(tmp_path, q=q, k=k, v=v)
    outs = {}
    for device in ("cpu", "gpu-emulator"):
        tool("hydra-run", gpu_artifact, *args, "--output-dir", tmp_path / device,
             f"--device={device}", check=True)
        outs[device] = np.load(tmp_path / device / "y.npy")
    assert np.max(np.abs(outs["cpu"] - outs["gpu-emulator"])) <= 1e-4


def test_cuda_without_a_driver_is_a_clean_error(gpu_artifact, tmp_path, monkeypatch):
    q, k, v = qkv(np.random.default_rng(3), 1, 8)
    args = save_inputs(tmp_path, q=q, k=k, v=v)
    monkeypatch.setenv("HYDRA_LIBCUDA", str(tmp_path / "no-libcuda.so"))
    assert_clean_error(tool("hydra-run", gpu_artifact, *args, "--output-dir", tmp_path,
                            "--device=cuda"), "no CUDA driver: cannot load")
    assert_clean_error(tool("hydra-run", gpu_artifact, *args, "--output-dir", tmp_path,
                            "--device=tpu"), "unknown device 'tpu'")


def test_cpu_only_artifact_has_no_gpu_program(tmp_path):
    (tmp_path / "layer.mlir").write_text(DYNAMIC_MLIR)
    tool("hydra-compile", tmp_path / "layer.mlir", "-o", tmp_path / "cpu.hydra", check=True)
    q, k, v = qkv(np.random.default_rng(3), 1, 8)
    args = save_inputs(tmp_path, q=q, k=k, v=v)
    assert_clean_error(tool("hydra-run", tmp_path / "cpu.hydra", *args, "--output-dir",
                            tmp_path, "--device=gpu-emulator"),
                       "no code for target 'gpu-emulator'")


def test_emit_ptx_and_gpu_kernels():
    ptx = tool("hydra-compile", EXAMPLE, "--emit=ptx", "--target=sm_90", check=True).stdout
    assert ".target sm_90" in ptx and ".visible .entry hybrid_layer_k0_full_attention(" in ptx
    assert ".minnctapersm 1" in ptx
    default = tool("hydra-compile", EXAMPLE, "--emit=ptx", check=True).stdout
    assert ".target sm_80" in default
    kernels = tool("hydra-compile", EXAMPLE, "--emit=gpu-kernels", check=True).stdout
    assert "hydra.block_size = 128" in kernels and "gpu.barrier" in kernels
    assert "hydra.work" in kernels


def test_extract_names_what_is_missing(gpu_artifact, tmp_path):
    assert_clean_error(tool("hydra-inspect", gpu_artifact, "--extract", "sm_75:cubin",
                            "-o", tmp_path / "x"), "no executable 'sm_75:cubin'")
    tool("hydra-inspect", gpu_artifact, "--extract", "sm_80:ptx", "-o", tmp_path / "k.ptx",
         check=True)
    assert (tmp_path / "k.ptx").read_text().startswith("//")

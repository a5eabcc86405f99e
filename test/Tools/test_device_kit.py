"""The device kit (scripts/device-kit.sh): it builds from this tree within
64 MiB, holds what a GPU machine without network or LLVM needs, and its
run.sh runs every GPU case here, on the GPU emulator, from a copy of the
kit moved elsewhere, writing the JSON a GPU run writes. That run is the
suite's per-case check of the GPU kernels against the float64 references
(the same tolerances as the CPU code, 8e-3 for bf16)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tools import ROOT

LIMIT = 64 * 1024 * 1024
sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))


@pytest.fixture(scope="module")
def kit(device_kit):
    return device_kit


def kit_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
               for f in files if not os.path.islink(os.path.join(d, f)))


def test_kit_holds_what_a_gpu_machine_needs(kit):
    assert kit_bytes(kit) <= LIMIT
    from gpu_cases import CASES, LONG, MMA_CASES, SPLIT_CASES
    meta = json.loads((kit / "kit.json").read_text())
    names = {c["name"] for c in meta["cases"]}
    assert names == set(CASES) | set(LONG) | set(MMA_CASES) | set(SPLIT_CASES)
    assert {c["dtype"] for c in meta["cases"]} == {"float32", "float16", "bfloat16"}
    assert {c["rule"] for c in meta["cases"]} >= {"linear", "gated", "delta", "gated_delta"}
    assert meta["bench"] == ["fa_decode", "fa_prefill", "hybrid_prefill",
                             "la_gated_delta_prefill", "la_prefill"]
    assert sorted(w.split("-")[0] for w in meta["wheels"]) == ["einops", "fla_core", "ml_dtypes"]
    assert os.access(kit / "run.sh", os.X_OK)
    for tool in ("hydra-run", "hydra-inspect"):
        version = subprocess.run([str(kit / "bin" / tool), "--version"],
                                 capture_output=True, text=True, check=True).stdout
        assert version.startswith(tool)
    # No LLVM or compiler inside: the runtime library and tools only.
    libs = sorted(os.listdir(kit / "lib"))
    assert len(libs) == 1 and libs[0].startswith("libhydra_runtime.so."), libs
    info = subprocess.run([str(kit / "bin" / "hydra-inspect"), "--json",
                           str(kit / "bench" / "hybrid_prefill.hydra")],
                          capture_output=True, text=True, check=True).stdout
    targets = {e["target"] for e in json.loads(info)["executables"]}
    assert targets == {"sm_90", "gpu-emulator"}


@pytest.fixture(scope="module")
def emulator_run(kit, tmp_path_factory):
    """run.sh on the GPU emulator, from a copy of the kit moved elsewhere,
    with nothing of this tree on the paths: (report, stdout, the copy)."""
    moved = tmp_path_factory.mktemp("elsewhere") / "kit"
    shutil.copytree(kit, moved, symlinks=True)
    out = moved.parent / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_LIB_DIR", "PYTHONPATH")}
    env["PYTHON"] = sys.executable
    proc = subprocess.run([str(moved / "run.sh"), "--device", "gpu-emulator", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), proc, moved


def test_kit_runs_on_the_emulator(emulator_run):
    report, proc, moved = emulator_run
    meta = json.loads((moved / "kit.json").read_text())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["device"] == "gpu-emulator"
    assert len(report["cases"]) == len(meta["cases"]) and not report["summary"]["failed"]
    assert f"{len(meta['cases'])} of {len(meta['cases'])} cases passed" in proc.stdout
    # The bench needs a CUDA GPU and torch: said so, not silently empty.
    assert "CUDA GPU" in report["bench"]["not_run"]
    # It ran the kit's own package (and, through it, library).
    assert report["package"] == str(moved / "python" / "hydrahead")


def all_cases():
    from gpu_cases import ALL_CASES
    return sorted(ALL_CASES)


# The GPU kernels on the emulator, case by case (docs/gpu.md): every
# thread of a block a fiber, shared memory per block, barriers, shuffles
# and mma.sync emulated; each output (and final state) against float64.
@pytest.mark.parametrize("name", all_cases())
def test_emulated_gpu_case_matches_reference(emulator_run, name):
    report, _, _ = emulator_run
    (case,) = [c for c in report["cases"] if c["name"] == name]
    assert "error" not in case, case["error"]
    print(f"{name}: max error {case['max_error']:.3e} (outputs: {case['errors']})")
    assert case["finite"], "non-finite output"
    assert case["max_error"] <= case["tolerance"], case

"""Builds the device kit (scripts/device-kit.sh DIR): hydra's runtime,
tools and Python package, the execution tests' GPU cases compiled for
sm_90 and the GPU emulator with their inputs and float64 references, the
bench's artifacts, flash-linear-attention's wheel and run.sh. Runs in the
source tree's .venv, with the compiler library of a build."""

import argparse
import glob
import json
import multiprocessing
import os
import shutil
import stat
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))

import numpy as np  # noqa: E402

import hydrahead  # noqa: E402

LIMIT = 64 * 1024 * 1024
# The kit's artifacts carry the GPU code for sm_90 (H100, H200: the
# machines it is lent with) and the emulator's for a run here; sm_80's
# code would add a third of the bytes (ptxas checks it without the kit).
TARGETS = "sm_90,gpu-emulator"
SEQUENCE_HEADS = "FLLLLLLL" * 4  # the 7:1 layer of issue 14: 32 q heads


def copy_runtime(build, out):
    """bin/hydra-run, bin/hydra-inspect, lib/libhydra_runtime (its SONAME
    file), and the Python package with the library inside it."""
    os.makedirs(os.path.join(out, "bin"))
    os.makedirs(os.path.join(out, "lib"))
    for tool in ("hydra-run", "hydra-inspect"):
        shutil.copy2(os.path.join(build, "bin", tool), os.path.join(out, "bin", tool))
    from hydrahead._native import SOVERSION
    lib = os.path.join(build, "lib", f"libhydra_runtime.so.{SOVERSION}")
    if not os.path.exists(lib):
        sys.exit(f"device-kit: no {lib}: build hydra first (scripts/build.sh)")
    shutil.copy(os.path.realpath(lib), os.path.join(out, "lib", os.path.basename(lib)))
    package = os.path.join(out, "python", "hydrahead")
    shutil.copytree(os.path.join(ROOT, "python", "hydrahead"), package,
                    ignore=shutil.ignore_patterns("__pycache__", "torch"))
    os.makedirs(os.path.join(package, "lib"))
    shutil.copy(os.path.realpath(lib), os.path.join(package, "lib", os.path.basename(lib)))
    # The version written in, as a wheel does (no VERSION file beside it).
    with open(os.path.join(package, "_version.py"), "w") as f:
        f.write(f'"""Written when the device kit was built."""\n\n'
                f'__version__ = "{hydrahead.__version__}"\n')
    shutil.copy(os.path.join(ROOT, "LICENSE"), os.path.join(out, "LICENSE"))


def tolerance(dtype):
    # The GPU tests' bounds (test/Execution/gpu_cases.py).
    from gpu_cases import TOLERANCES
    return TOLERANCES[np.dtype(dtype)]


def write_case(out, group, name):
    """One GPU execution case: artifact, inputs, float64 references (each
    output: the attention's, and a final state); returns its index entry."""
    from gpu_cases import ALL_CASES, compile_case
    case = ALL_CASES[name]
    inputs = case.make_inputs(seed=zlib.crc32(name.encode()))
    d = os.path.join(out, "cases", name)
    os.makedirs(d)
    with open(os.path.join(d, "model.hydra"), "wb") as f:
        f.write(compile_case(case, TARGETS))
    order = case.operand_order()
    for i, n in enumerate(order):
        np.save(os.path.join(d, f"input{i}.npy"), inputs[n])
    # The output, and the final state of a case that starts from one.
    refs = case.reference(return_state=True) if case.initial_state \
        else [case.reference()]
    for i, ref in enumerate(refs):
        np.save(os.path.join(d, f"reference{i}.npy"), ref)
    return {"name": name, "group": group, "dir": f"cases/{name}",
            "inputs": [np.dtype(inputs[n].dtype).name for n in order],
            "outputs": len(refs),
            "dtype": np.dtype(case.dtype).name,
            "tolerance": tolerance(case.dtype),
            "heads": case.heads, "rule": case.rule}


def write_cases(out, pool):
    """Every GPU execution case, compiled a process per core (each compile
    is single-threaded, and the kit is built in the test command)."""
    from gpu_cases import GROUPS
    jobs = [pool.submit(write_case, out, group, name)
            for group, cases in GROUPS for name in sorted(cases)]
    return [job.result() for job in jobs]


def bench_sources():
    """The bench's models, their sequence lengths dynamic: the issue's
    layer shapes (32 query heads, D = 128, f16)."""
    def layer(name, heads, hkv, causal, rule=None, decay=False, beta=False):
        attrs = [f'heads = #hydra.heads<"{heads}">']
        if causal:
            attrs.append("causal")
        if rule:
            attrs.append(f"update_rule = #hydra.update_rule<{rule}>")
        q = "tensor<1x32x?x128xf16>"
        kv = f"tensor<1x{hkv}x?x128xf16>"
        args = f"%q: {q}, %k: {kv}, %v: {kv}"
        optional = ""
        if decay:
            args += f", %d: tensor<1x{hkv}x?xf32>"
            optional = f" decay(%d : tensor<1x{hkv}x?xf32>)"
        if beta:
            args += f", %b: tensor<1x{hkv}x?xf32>"
            optional += f" beta(%b : tensor<1x{hkv}x?xf32>)"
        return (f"func.func @{name}({args}) -> {q} {{\n"
                f"  %y = hydra.hybrid_attention %q, %k, %v{optional} {{{', '.join(attrs)}}}\n"
                f"       : {q}, {kv}, {kv} -> {q}\n"
                f"  return %y : {q}\n}}\n")
    return {
        # Full attention, GQA (8 kv heads), causal: against SDPA's flash.
        "fa_prefill": layer("fa_prefill", "F" * 32, 8, True),
        # A decode step over T keys: one query row, not causal.
        "fa_decode": layer("fa_decode", "F" * 32, 8, False),
        # Linear attention, gated per head, one kv head a query head (fla's
        # chunk kernels take no GQA).
        "la_prefill": layer("la_prefill", "L" * 32, 32, False, "gated", decay=True),
        # The gated delta rule, the same heads: against fla's
        # chunk_gated_delta_rule.
        "la_gated_delta_prefill": layer("la_gated_delta_prefill", "L" * 32, 32, False,
                                        "gated_delta", decay=True, beta=True),
        # The 7:1 layer itself.
        "hybrid_prefill": layer("hybrid_prefill", SEQUENCE_HEADS, 8, True, "gated",
                                decay=True),
    }


def write_bench_model(d, name, source):
    with open(os.path.join(d, f"{name}.hydra"), "wb") as f:
        f.write(hydrahead.compile(source.encode(), target=TARGETS, format="mlir"))


def write_bench(out, pool):
    d = os.path.join(out, "bench")
    os.makedirs(d)
    jobs = [pool.submit(write_bench_model, d, name, source)
            for name, source in bench_sources().items()]
    for job in jobs:
        job.result()
    return sorted(bench_sources())


def copy_wheels(out):
    """fla-core (fla's chunk kernels), einops and ml_dtypes for Python 3.12,
    from setup.sh's download (the GPU machine has no network); one missing
    is an error, not a silent gap."""
    wheels = glob.glob(os.path.join(ROOT, ".cache", "device-wheels", "*.whl"))
    for stem in ("fla_core", "einops", "ml_dtypes"):
        if not any(os.path.basename(w).startswith(stem + "-") for w in wheels):
            sys.exit(f"device-kit: no {stem} wheel in .cache/device-wheels "
                     "(scripts/setup.sh downloads it)")
    os.makedirs(os.path.join(out, "wheels"))
    for w in wheels:
        shutil.copy(w, os.path.join(out, "wheels"))
    return [os.path.basename(w) for w in wheels]


RUN_SH = """#!/usr/bin/env bash
# hydra's device kit: the GPU cases against float64 references, then the
# bench (hydra against torch SDPA and fla), into one JSON. Needs python3
# with numpy; torch (and triton) for the bench. No network.
#   ./run.sh [--device cuda|gpu-emulator] [--out FILE.json] [--no-bench]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HYDRA_LIB_DIR="$here/lib"
export PYTHONPATH="$here/python${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" "$here/run_kit.py" --kit "$here" "$@"
"""


def kit_bytes(out):
    total = 0
    for dirpath, _, files in os.walk(out):
        for f in files:
            path = os.path.join(dirpath, f)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    copy_runtime(args.build, out)
    # Spawned, not forked: the parent has loaded the compiler library.
    with ProcessPoolExecutor(os.cpu_count() or 1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        index = write_cases(out, pool)
        bench = write_bench(out, pool)
    wheels = copy_wheels(out)
    shutil.copy(os.path.join(HERE, "run_kit.py"), os.path.join(out, "run_kit.py"))
    run = os.path.join(out, "run.sh")
    with open(run, "w") as f:
        f.write(RUN_SH)
    os.chmod(run, os.stat(run).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    with open(os.path.join(out, "kit.json"), "w") as f:
        json.dump({"hydra": hydrahead.__version__, "targets": TARGETS, "cases": index,
                   "bench": bench, "wheels": wheels}, f, indent=1)
    size = kit_bytes(out)
    print(f"device-kit: {out}: {len(index)} cases, {len(bench)} bench models, "
          f"{size / 2**20:.1f} MiB")
    if size > LIMIT:
        sys.exit(f"device-kit: {size} bytes is over the 64 MiB limit")


if __name__ == "__main__":
    main()

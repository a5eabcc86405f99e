"""The GPU side of the execution tests: every CPU case compiled for the GPU
targets, through the hydra-compile library (hydrahead), as artifacts."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import hydrahead  # noqa: E402

from test_hybrid_attention import CASES, LONG  # noqa: E402,F401

# The archs every test model must assemble for.
ARCHS = ("sm_80", "sm_90")


def compile_case(case, target):
    """The artifact bytes of `case`'s function compiled for `target`."""
    if not case.inputs:
        case.make_inputs()  # the function's types come from the inputs
    return hydrahead.compile(case.mlir_source().encode(), target=target, format="mlir")


ROOT = os.path.join(HERE, "..", "..")
INSPECT = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")),
                       "bin", "hydra-inspect")

# Every test model: the execution cases and the example layer.
MODELS = {**{f"case-{n}": c for n, c in CASES.items()},
          **{f"long-{n}": c for n, c in LONG.items()}}
EXAMPLE = os.path.join(ROOT, "examples", "hybrid_7to1.mlir")


def compile_model(name, target):
    if name == "example":
        return hydrahead.compile(EXAMPLE, target=target)
    return compile_case(MODELS[name], target)


def inspect_json(artifact, tmp_path):
    """What hydra-inspect --json says of `artifact`."""
    import json
    import subprocess
    path = tmp_path / "model.hydra"
    path.write_bytes(artifact)
    proc = subprocess.run([INSPECT, str(path), "--json"], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)

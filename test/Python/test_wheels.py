"""The Python wheels (docs/python.md), built from this build and installed
into clean virtual environments, as a user would: hydrahead (the API and
the runtime, no LLVM) alone runs an artifact and says how to get the
compiler; with hydrahead-compiler (the `compiler` extra) it compiles,
with hydra-compile's options. The environments install from the wheels
just built and the wheelhouse scripts/setup.sh filled (numpy, ml_dtypes),
never from the network."""

import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
WHEELHOUSE = os.path.join(ROOT, ".cache", "wheelhouse")
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
MAJOR, MINOR, _ = VERSION.split(".")
SOVERSION = f"0.{MINOR}" if MAJOR == "0" else MAJOR
EXAMPLE = os.path.join(ROOT, "examples", "hybrid_7to1.mlir")


def run(*args, cwd=None, env=None, timeout=600):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)
    assert proc.returncode == 0, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, HYDRA_BUILD_DIR=BUILD)
    for project in ("python", os.path.join("python", "compiler")):
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
            "--disable-pip-version-check", "-q", "-w", dist, os.path.join(ROOT, project),
            env=env, cwd=tmp_path_factory.mktemp("cwd"))
    found = {w.split("-")[0]: dist / w for w in os.listdir(dist)}
    assert set(found) == {"hydrahead", "hydrahead_compiler"}, found
    return found


def clean_env():
    """The environment of a user's shell: nothing pointing into the tree."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "HYDRA_LIB_DIR", "HYDRA_BUILD_DIR")}


def venv(path, *requirements, dist):
    run(sys.executable, "-m", "venv", path)
    python = os.path.join(path, "bin", "python")
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
        "--find-links", WHEELHOUSE, "--find-links", dist, *requirements, env=clean_env())
    return python


def in_venv(python, script, cwd):
    return json.loads(run(python, "-c", script, cwd=cwd, env=clean_env()).splitlines()[-1])


def test_the_wheels_are_tagged_for_the_platform_and_hold_their_library(wheels):
    for name, wheel in wheels.items():
        assert wheel.name == f"{name}-{VERSION}-py3-none-linux_x86_64.whl", wheel.name
    with zipfile.ZipFile(wheels["hydrahead"]) as z:
        names = z.namelist()
        assert f"hydrahead/lib/libhydra_runtime.so.{SOVERSION}" in names
        assert "hydrahead/py.typed" in names and "hydrahead/ort.py" in names
        assert "hydrahead/LICENSE" in names
        assert not [n for n in names if "compiler" in n or "LLVM" in n or "MLIR" in n]
        assert f'__version__ = "{VERSION}"' in z.read("hydrahead/_version.py").decode()
        metadata = z.read(f"hydrahead-{VERSION}.dist-info/METADATA").decode()
        wheel_info = z.read(f"hydrahead-{VERSION}.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_info
    for requirement in ("Requires-Dist: numpy", "Requires-Dist: ml-dtypes",
                        "Provides-Extra: compiler",
                        f'Requires-Dist: hydrahead-compiler=={VERSION}; extra == "compiler"',
                        "Provides-Extra: onnxruntime"):
        assert requirement in metadata, requirement
    with zipfile.ZipFile(wheels["hydrahead_compiler"]) as z:
        assert f"hydrahead_compiler/lib/libhydra_compiler.so.{SOVERSION}" in z.namelist()
        assert "hydrahead_compiler/LICENSE" in z.namelist()
    # The runtime's library links no LLVM, MLIR or protobuf.
    with zipfile.ZipFile(wheels["hydrahead"]) as z:
        lib = z.read(f"hydrahead/lib/libhydra_runtime.so.{SOVERSION}")
    for banned in (b"libLLVM", b"libMLIR", b"libprotobuf"):
        assert banned not in lib


RUN_ARTIFACT = """
import json, sys, numpy as np, hydrahead
module = hydrahead.Module(sys.argv[1] if len(sys.argv) > 1 else "layer.hydra")
saved = np.load("inputs.npz")
inputs = [saved[f"a{i}"] for i in range(len(module.signature()))]  # signature order
y = hydrahead.Session(module).run(inputs)
np.save("out.npy", next(iter(y.values())))
try:
    hydrahead.compile("model.mlir")
    compile_error = None
except (ImportError, hydrahead.HydraError) as e:
    compile_error = str(e)
print(json.dumps({"file": hydrahead.__file__, "version": hydrahead.__version__,
                  "compile_error": compile_error}))
"""


def example_inputs(path):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from run_example import CASE
    inputs = CASE.make_inputs(seed=7)
    np.savez(path, **{f"a{i}": inputs[n] for i, n in enumerate(CASE.operand_order())})
    return CASE, inputs


def test_the_runtime_wheel_alone_runs_an_artifact(wheels, tmp_path):
    python = venv(tmp_path / "venv", "hydrahead", dist=wheels["hydrahead"].parent)
    work = tmp_path / "work"
    work.mkdir()
    run(os.path.join(BUILD, "bin", "hydra-compile"), EXAMPLE, "-o", work / "layer.hydra")
    case, inputs = example_inputs(work / "inputs.npz")
    out = in_venv(python, RUN_ARTIFACT, work)
    assert out["file"].startswith(str(tmp_path / "venv")), out
    assert out["version"] == VERSION
    assert "pip install hydrahead[compiler]" in out["compile_error"], out
    sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))
    from cases import max_error
    assert max_error(np.load(work / "out.npy"), case.reference()) < 1e-4
    # No compiler, no LLVM in the environment.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
               env=clean_env()).strip()
    libs = [f for _, _, files in os.walk(site) for f in files if f.endswith(".so") or ".so." in f]
    assert not [f for f in libs if "hydra_compiler" in f or "LLVM" in f or "MLIR" in f], libs


COMPILE_WITH_OPTIONS = """
import json, numpy as np, hydrahead
default = hydrahead.compile("model.mlir")
tuned = hydrahead.compile("model.mlir", query_tile=32, key_tile=32, chunk_size=16, cpu="x86-64-v2")
errors = []
for bad in ({"chunk_size": -1}, {"weights": "f8"}, {"target": "sm_1"}):
    try:
        hydrahead.compile("model.mlir", **bad)
    except hydrahead.HydraError as e:
        errors.append(str(e))
saved = np.load("inputs.npz")
inputs = [saved[f"a{i}"] for i in range(len(saved.files))]
y = [next(iter(hydrahead.Session(hydrahead.Module(a)).run(inputs).values())) for a in (default, tuned)]
np.save("default.npy", y[0]); np.save("tuned.npy", y[1])
import hydrahead_compiler
print(json.dumps({"errors": errors, "same": default == tuned,
                  "compiler": hydrahead_compiler.__file__}))
"""


def test_the_compiler_extra_compiles_with_options(wheels, tmp_path):
    python = venv(tmp_path / "venv", "hydrahead[compiler]", dist=wheels["hydrahead"].parent)
    work = tmp_path / "work"
    work.mkdir()
    (work / "model.mlir").write_text(open(EXAMPLE).read())
    case, inputs = example_inputs(work / "inputs.npz")
    out = in_venv(python, COMPILE_WITH_OPTIONS, work)
    assert out["compiler"].startswith(str(tmp_path / "venv")), out
    assert not out["same"], "the options changed nothing in the artifact"
    assert re.search(r"chunk_size -1 is not in 1\.\.65536", out["errors"][0]), out
    assert "weight type must be f32 or bf16, not 'f8'" in out["errors"][1], out
    assert "not supported: target 'sm_1'" in out["errors"][2], out
    sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))
    from cases import max_error
    want = case.reference()
    for name in ("default.npy", "tuned.npy"):
        assert max_error(np.load(work / name), want) < 1e-4, name

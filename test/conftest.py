"""Every test's sessions (in this process and in the tools it starts) fill
outputs and temporaries with 0xff bytes before each call, so a compiled
program that leaves a byte of its results unwritten shows NaNs instead of
the zeros or stale bytes it would otherwise get (docs/runtime.md)."""

import os
import subprocess

import pytest

os.environ.setdefault("HYDRA_POISON_BUFFERS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# scripts/test.sh runs pytest on a worker per core (pytest-xdist). Each
# file here runs whole on one worker: its module fixtures build something
# slow (an install, compiled models) that a split would build twice, it
# shares the session's device kit, or it builds in the source tree (pip
# runs setup.py in python/). Files of one group share a worker.
ONE_WORKER = {
    "test_device_kit.py": "device-kit",
    "test_gpu_resources.py": "device-kit",
    "test_wheels.py": "python-package",
    "test_python_api.py": "python-package",
    **{name: name for name in (
        "test_buffers.py", "test_generate.py", "test_artifact_tools.py",
        "test_bf16_weights.py", "test_cpu_target.py", "test_gpu_tools.py",
        "test_hydra_run_inputs.py", "test_install.py")},
}

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest without xdist: one process, nothing to group
    LoadScopeScheduling = None

if LoadScopeScheduling is not None:
    class OneWorkerFiles(LoadScopeScheduling):
        """`-n N` (--dist load) with the files of ONE_WORKER kept whole;
        every other test is a unit of its own. (xdist's loadgroup would
        say this with marks, but pytest 9.2 no longer sees the node ids it
        rewrites: pytest-xdist issue 1386.) Larger units go first."""

        def _split_scope(self, nodeid):
            name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return ONE_WORKER.get(name, nodeid)

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "load":
            return OneWorkerFiles(config, log)
        return None


@pytest.fixture(scope="session")
def device_kit(tmp_path_factory):
    """The device kit (scripts/device-kit.sh), built once a session: every
    GPU case compiled for sm_90 and the emulator. test_device_kit.py runs
    it on the emulator; test_gpu_resources.py reads ptxas's sm_90 figures
    from its artifacts."""
    out = tmp_path_factory.mktemp("kit") / "hydra-kit"
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "device-kit.sh"), str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MiB" in proc.stdout
    return out

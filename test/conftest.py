"""Every test's sessions (in this process and in the tools it starts) fill
outputs and temporaries with 0xff bytes before each call, so a compiled
program that leaves a byte of its results unwritten shows NaNs instead of
the zeros or stale bytes it would otherwise get (docs/runtime.md)."""

import os
import subprocess

import pytest

os.environ.setdefault("HYDRA_POISON_BUFFERS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def device_kit(tmp_path_factory):
    """The device kit (scripts/device-kit.sh), built once a session: every
    GPU case compiled for sm_80, sm_90 and the emulator. test_device_kit.py
    runs it on the emulator; test_gpu_resources.py reads ptxas's figures
    from its artifacts."""
    out = tmp_path_factory.mktemp("kit") / "hydra-kit"
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "device-kit.sh"), str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MiB" in proc.stdout
    return out

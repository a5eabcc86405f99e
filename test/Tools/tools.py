"""Paths and helpers for running hydra's command-line tools in tests."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "bin")


def tool(name, *args, check=False):
    proc = subprocess.run([os.path.join(BIN, name), *map(str, args)],
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{name} failed ({proc.returncode}): {proc.stderr}")
    return proc


def assert_clean_error(proc, *fragments):
    """A failure reported by the tool, not a crash: exit code 1 (a signal
    gives a negative code) and every fragment in the message."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    for f in fragments:
        assert f in proc.stderr, (f, proc.stderr)

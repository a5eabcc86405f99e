"""Every test's sessions (in this process and in the tools it starts) fill
outputs and temporaries with 0xff bytes before each call, so a compiled
program that leaves a byte of its results unwritten shows NaNs instead of
the zeros or stale bytes it would otherwise get (docs/runtime.md)."""

import os

os.environ.setdefault("HYDRA_POISON_BUFFERS", "1")

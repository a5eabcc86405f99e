"""Timing for the bench scripts: several runtimes' calls side by side."""

import time

import numpy as np

# Seconds before each timed sample: onnxruntime's pool threads spin at
# most that long after a run.
SETTLE_SECONDS = 0.2


def side_by_side(fns, repeats):
    """The median time of one call of each of `fns` (None: not measured),
    in `repeats` rounds that time each in turn: this host's speed swings
    by a third within seconds, and two figures taken minutes apart compare
    the host's phases, not the runtimes. A call of well under 20 ms is
    timed in a batch that lasts about that long (a lone 50 µs call is
    mostly timer noise); each sample waits for onnxruntime's pool threads,
    which spin for tens of milliseconds after a run and would take a core
    from whatever is timed next (a decode step on a 1K cache: 0.9 ms
    alone, 4.0 ms right after an onnxruntime run)."""
    live = [i for i, fn in enumerate(fns) if fn]
    calls = {}
    for i in live:
        fns[i]()  # warm-up
        start = time.perf_counter()
        fns[i]()
        calls[i] = max(1, int(0.02 / max(time.perf_counter() - start, 1e-6)))
    samples = {i: [] for i in live}
    for _ in range(repeats):
        for i in live:
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            for _ in range(calls[i]):
                fns[i]()
            samples[i].append((time.perf_counter() - start) / calls[i])
    return [float(np.median(samples[i])) if i in samples else None for i in range(len(fns))]

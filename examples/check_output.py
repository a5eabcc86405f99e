"""Compares hydra-run's output with the reference:
    python examples/check_output.py OUT.npy REFERENCE.npy"""

import sys

import numpy as np

got, ref = np.load(sys.argv[1]), np.load(sys.argv[2]).astype(np.float64)
err = float(np.max(np.abs(got - ref)) / max(1.0, float(np.max(np.abs(ref)))))
ok = got.shape == ref.shape and err <= 1e-4
print(f"check against the float64 reference: shape {got.shape}, "
      f"max |err| / max(1, max|ref|) = {err:.3e} (tolerance 1e-4): "
      f"{'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)

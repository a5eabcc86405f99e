"""Compiles examples/hybrid_7to1.mlir for this CPU, runs it on random
inputs and checks the result against the float64 reference.

The inputs and the reference come from the HybridCase below, which states
the same layer as the .mlir file; the file itself is what gets compiled,
and its signature is checked against the case first."""

import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "Execution"))

from cases import HybridCase, max_error  # noqa: E402
from hydra_exec import call, compile_mlir, mlir_type  # noqa: E402

TOLERANCE = 1e-4

CASE = HybridCase("FLLLLLLL", Hkv=2, S=256, Dk=64, Dv=64, causal=True,
                  rule="gated_delta", decay="head", beta_heads=2, fusion=True)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "hybrid_7to1.mlir")
    source = open(path).read()
    inputs = CASE.make_inputs(seed=7)
    names = CASE.operand_order()
    declared = re.findall(r"%\w+: (tensor<[^>]*>)", source.split("->")[0])
    expected = [mlir_type(inputs[n].shape, inputs[n].dtype) for n in names]
    if declared != expected:
        sys.exit(f"{path}: signature {declared} does not match the example's "
                 f"inputs {expected}")
    print(f"compiling {path} (hydra-opt --hydra-to-llvm, llc, cc) ...")
    with tempfile.TemporaryDirectory(prefix="hydra-example-") as tmp:
        start = time.perf_counter()
        so = compile_mlir(source, tmp)
        print(f"  compiled in {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        got = call(so, "hybrid_layer", [inputs[n] for n in names],
                   CASE.output_shape())
        print(f"  ran in {1e3 * (time.perf_counter() - start):.1f} ms "
              f"(B=1, Hq=8, Hkv=2, S=256, D=64, heads FLLLLLLL)")
    ref = CASE.reference()
    err = max_error(got, ref)
    ok = err <= TOLERANCE
    print(f"check against the float64 reference: max |err| / max(1, max|ref|) "
          f"= {err:.3e} (tolerance {TOLERANCE:g}): {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Every kernel of every test model assembles with ptxas for every target
arch, and what ptxas reports (recorded in the artifact at compile time) is
within what one block per SM needs on every arch we target: no spills, no
local-memory stack, registers × threads ≤ the 64K registers of an SM (at
most 255 a thread), static shared memory within 48 KiB and exactly what
the kernel declares. The figures are printed (pytest -s) for the record.
The test models are the device kit's artifacts (built once a session,
test/conftest.py: they hold sm_90's code; sm_80's is compiled here), and
the example layer."""

import pytest

from gpu_cases import ALL_CASES, ARCHS, compile_case, compile_example, inspect_json

KIT_CASES = sorted(ALL_CASES)

REGISTERS_PER_SM = 65536
MAX_REGISTERS_PER_THREAD = 255
MAX_STATIC_SHARED = 48 * 1024


def allocated_registers(registers):
    # Registers are allocated per warp in units of 256: 8 a thread.
    return -(-registers // 8) * 8


@pytest.mark.parametrize("name", KIT_CASES + ["example"])
def test_kernels_fit_one_block_per_sm(name, tmp_path, device_kit):
    artifact = (compile_example(",".join(ARCHS)) if name == "example"
                else (device_kit / "cases" / name / "model.hydra").read_bytes())
    info = inspect_json(artifact, tmp_path)
    executables = info["executables"]
    if name != "example":  # the kit's artifacts hold sm_90 alone
        held = {e["target"] for e in executables}
        for arch in ARCHS:
            if arch not in held:
                executables += inspect_json(compile_case(ALL_CASES[name], arch),
                                            tmp_path)["executables"]
    kernels = {k["name"]: k for k in info["kernels"] if k["device"] == "cuda"}
    assert kernels, "no GPU kernels"
    for arch in ARCHS:
        cubins = [e for e in executables
                  if e["target"] == arch and e["format"] == "cubin"]
        assert len(cubins) == 1, f"no cubin for {arch}"
        assert any(e["target"] == arch and e["format"] == "ptx"
                   for e in executables), f"no PTX for {arch}"
        report = {r["kernel"]: r for r in cubins[0]["resources"]}
        assert set(report) == set(kernels), (arch, sorted(report), sorted(kernels))
        for kernel, r in sorted(report.items()):
            threads = kernels[kernel]["block_size"]
            print(f"{name} {arch} {kernel}: {r['registers']} registers x "
                  f"{threads} threads, {r['spill_stores']}/{r['spill_loads']} "
                  f"bytes spilled, {r['stack_bytes']} stack, "
                  f"{r['shared_bytes']} shared")
            where = f"{arch} {kernel}"
            assert r["spill_stores"] == 0 and r["spill_loads"] == 0, where
            assert r["stack_bytes"] == 0, where
            assert r["registers"] <= MAX_REGISTERS_PER_THREAD, where
            assert allocated_registers(r["registers"]) * threads <= REGISTERS_PER_SM, where
            assert r["shared_bytes"] == kernels[kernel]["shared_bytes"], where
            assert r["shared_bytes"] <= MAX_STATIC_SHARED, where

"""The f16 and bf16 full-attention kernels run QKᵀ and PV on tensor cores:
their SASS (cuobjdump and nvdisasm, from PyPI) holds HMMA.16816 with f32
accumulation, of the input type, on every target arch, and stages K/V with
cp.async (LDGSTS) and loads fragments by ldmatrix (LDSM). The products of
linear attention's chunk forms (the delta rules' included) are HMMA too.
f32 kernels hold no HMMA, nor does sm_75's code. Docs: docs/gpu.md, "What
each arch gets"."""

import glob
import os
import re
import subprocess

import pytest

from gpu_cases import ARCHS, CASES, MMA_CASES, ROOT, compile_case

TOOLS = sorted(glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*", "site-packages",
                                      "nvidia", "cu*", "bin")))
CUOBJDUMP = next((os.path.join(d, "cuobjdump") for d in TOOLS
                  if os.path.exists(os.path.join(d, "cuobjdump"))), None)
NVDISASM = next((os.path.join(d, "nvdisasm") for d in TOOLS
                 if os.path.exists(os.path.join(d, "nvdisasm"))), None)
INSPECT = os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")),
                       "bin", "hydra-inspect")

pytestmark = pytest.mark.skipif(
    not (CUOBJDUMP and NVDISASM),
    reason="cuobjdump/nvdisasm not installed (scripts/setup.sh installs them from PyPI)")


def sass_by_function(case, arch, tmp_path, tool):
    """{kernel name: its SASS} for `case` compiled for `arch`."""
    artifact = tmp_path / "model.hydra"
    artifact.write_bytes(compile_case(case, arch))
    cubin = tmp_path / f"{arch}.cubin"
    subprocess.run([INSPECT, str(artifact), "--extract", f"{arch}:cubin", "-o", str(cubin)],
                   check=True)
    if tool == "cuobjdump":
        text = subprocess.run([CUOBJDUMP, "-sass", str(cubin)], capture_output=True,
                              text=True, check=True).stdout
        parts = re.split(r"\n\s*Function : (\w+)\n", text)
    else:
        text = subprocess.run([NVDISASM, str(cubin)], capture_output=True, text=True,
                              check=True).stdout
        parts = re.split(r"\n\s*\.text\.(\w+):\n", text)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("tool", ["cuobjdump", "nvdisasm"])
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_attention_uses_tensor_cores(dtype, arch, tool, tmp_path):
    case = MMA_CASES[f"mma-{dtype}-hybrid-7to1"]
    sass = sass_by_function(case, arch, tmp_path, tool)
    # Named after what they compute: FA on tensor cores; the gated delta
    # rule's UT transform, its recurrence over chunks and its outputs.
    delta = ("hybrid_k1_linear_attention_delta_weights_mma",
             "hybrid_k2_linear_attention_delta_recurrence_mma",
             "hybrid_k3_linear_attention_chunk_outputs_mma")
    assert set(sass) == {"hybrid_k0_full_attention_mma", *delta}, sorted(sass)
    suffix = ".BF16" if dtype == "bfloat16" else ""
    hmma = re.findall(r"HMMA\.16816\.F32(\.BF16)?\b", sass["hybrid_k0_full_attention_mma"])
    assert hmma, "no HMMA in the full-attention kernel"
    assert all(s == suffix for s in hmma), set(hmma)
    # K/V tiles arrive by cp.async (LDGSTS), waited for per group; their
    # fragments leave shared memory by ldmatrix (LDSM), V's transposed.
    fa = sass["hybrid_k0_full_attention_mma"]
    assert "LDGSTS" in fa and "DEPBAR" in fa
    assert re.search(r"LDSM\.16\.M88\.4\b", fa)
    assert re.search(r"LDSM\.16\.MT88\.4\b", fa)
    # Every product of the gated delta rule's chunk form is an mma.sync.
    for kernel in delta:
        hmma = re.findall(r"HMMA\.16816\.F32(\.BF16)?\b", sass[kernel])
        assert hmma and all(s == suffix for s in hmma), (kernel, set(hmma))


def test_sm75_runs_the_cuda_core_forms(tmp_path):
    """sm_75 has no mma.sync m16n8k16 on f16 and no cp.async: an f16 model
    compiled for it gets the CUDA-core kernels (LLVM's NVPTX backend aborts
    on the tensor-core ones)."""
    sass = sass_by_function(MMA_CASES["mma-float16-hybrid-7to1"], "sm_75", tmp_path,
                            "cuobjdump")
    assert set(sass) == {"hybrid_k0_full_attention", "hybrid_k1_linear_attention"}, \
        sorted(sass)
    assert all("HMMA" not in s and "LDGSTS" not in s for s in sass.values())


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_chunkwise_linear_attention_uses_tensor_cores(dtype, arch, tmp_path):
    case = MMA_CASES[f"mma-{dtype}-hybrid-gated-7to1"]  # gated rule, per-head decay
    sass = sass_by_function(case, arch, tmp_path, "cuobjdump")
    suffix = r"\.BF16" if dtype == "bfloat16" else ""
    # Full attention; the chunk states and the outputs of the chunk-parallel
    # linear attention (their scan is elementwise f32).
    for kernel in ("hybrid_k0_full_attention_mma",
                   "hybrid_k1_linear_attention_chunk_states_mma",
                   "hybrid_k3_linear_attention_chunk_outputs_mma"):
        assert re.search(rf"HMMA\.16816\.F32{suffix}\b", sass[kernel]), kernel
    assert "HMMA" not in sass["hybrid_k2_linear_attention_chunk_scan"]


@pytest.mark.parametrize("arch", ARCHS)
def test_f32_attention_stays_on_cuda_cores(arch, tmp_path):
    sass = sass_by_function(CASES["fa-causal"], arch, tmp_path, "cuobjdump")
    assert sass and all("HMMA" not in s for s in sass.values())
    assert all("FFMA" in s for s in sass.values())

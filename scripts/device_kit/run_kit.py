"""hydra's device kit, run on the machine that has the GPU (run.sh calls
it): every GPU case of the kit against its float64 reference, then a
bench of hydra against torch's SDPA (flash backend) and fla's Triton
chunk kernels, written as one JSON. Needs python3 with numpy; the bench
needs torch with CUDA. The kit's wheels (ml_dtypes for bf16, fla-core,
einops) are unpacked beside it on first use: there is no network."""

import argparse
import json
import os
import platform
import sys
import time
import zipfile


def unpack_wheels(kit):
    """The carried wheels as a directory on sys.path, after the machine's
    own packages (an installed ml_dtypes or fla wins)."""
    site = os.path.join(kit, "site")
    wheels = sorted(os.listdir(os.path.join(kit, "wheels")))
    stamp = os.path.join(site, ".unpacked")
    if not os.path.exists(stamp) or open(stamp).read() != "\n".join(wheels):
        os.makedirs(site, exist_ok=True)
        for w in wheels:
            with zipfile.ZipFile(os.path.join(kit, "wheels", w)) as z:
                z.extractall(site)
        with open(stamp, "w") as f:
            f.write("\n".join(wheels))
    sys.path.append(site)


def max_error(got, ref):
    """The tests' bound: |got − ref| / max(1, max|ref|)."""
    import numpy as np
    return float(np.max(np.abs(got.astype(np.float64) - ref)) /
                 max(1.0, float(np.max(np.abs(ref)))))


def load_input(path, dtype):
    import numpy as np
    a = np.load(path)
    if dtype == "bfloat16":  # saved as raw 2-byte records
        import ml_dtypes
        a = a.view(ml_dtypes.bfloat16)
    return a


def run_cases(kit, meta, device):
    import numpy as np
    import hydrahead
    results = []
    for case in meta["cases"]:
        d = os.path.join(kit, case["dir"])
        entry = {"name": case["name"], "dtype": case["dtype"], "heads": case["heads"],
                 "rule": case["rule"], "tolerance": case["tolerance"]}
        try:
            module = hydrahead.Module(os.path.join(d, "model.hydra"))
            session = hydrahead.Session(module, device=device)
            inputs = [load_input(os.path.join(d, f"input{i}.npy"), dtype)
                      for i, dtype in enumerate(case["inputs"])]
            start = time.perf_counter()
            outputs = session.run(inputs)
            entry["seconds"] = time.perf_counter() - start
            got = list(outputs.values())
            if len(got) != case["outputs"]:
                raise RuntimeError(f"{len(got)} outputs, expected {case['outputs']}")
            entry["errors"] = [max_error(g, np.load(os.path.join(d, f"reference{i}.npy")))
                               for i, g in enumerate(got)]
            entry["max_error"] = max(entry["errors"])
            entry["finite"] = all(bool(np.all(np.isfinite(g.astype(np.float64)))) for g in got)
            entry["passed"] = entry["finite"] and entry["max_error"] <= case["tolerance"]
        except Exception as e:  # a case that cannot run fails, with why
            entry["passed"] = False
            entry["error"] = f"{type(e).__name__}: {e}"
        print(f"case {case['name']}: {'ok' if entry['passed'] else 'FAILED'} "
              f"{entry.get('max_error', entry.get('error'))}", flush=True)
        results.append(entry)
    return results


def timed(fn, repeat):
    """Median seconds of `repeat` calls after one warm-up; fn syncs."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench(kit, device, sizes, repeat):
    """hydra against torch SDPA (flash) and fla's chunk_simple_gla and
    chunk_gated_delta_rule."""
    import numpy as np
    import torch
    import hydrahead
    import torch.nn.functional as F
    torch.manual_seed(0)
    dev = torch.device("cuda")
    f16 = torch.float16
    out = []

    def hydra_call(name, arrays):
        module = hydrahead.Module(os.path.join(kit, "bench", f"{name}.hydra"))
        session = hydrahead.Session(module, device=device)
        names = [name for name, _, _ in module.signature()]
        inputs = {n: session.buffer(a) for n, a in zip(names, arrays)}
        # Every bench model's one output is shaped as its queries.
        (out_name, _, _), = module.signature(inputs=False)
        outputs = {out_name: session.buffer(shape=arrays[0].shape, dtype=arrays[0].dtype)}
        return lambda: session.run_buffers(inputs, outputs)

    def host(t):
        return t.detach().cpu().numpy()

    def record(kind, shape, measure, flops=None, bytes_moved=None):
        """Times `measure` (a callable giving seconds); a failure is
        recorded with its error and the bench goes on."""
        try:
            seconds = measure()
        except Exception as e:
            out.append({"kind": kind, "shape": shape, "error": f"{type(e).__name__}: {e}"})
            print(f"bench {kind} {shape}: {type(e).__name__}: {e}", flush=True)
            return
        entry = {"kind": kind, "shape": shape, "ms": seconds * 1e3}
        if flops:
            entry["tflops"] = flops / seconds / 1e12
        if bytes_moved:
            entry["gbps"] = bytes_moved / seconds / 1e9
        print(f"bench {kind} {shape}: {entry['ms']:.3f} ms"
              + (f", {entry['tflops']:.1f} TFLOP/s" if flops else "")
              + (f", {entry['gbps']:.0f} GB/s" if bytes_moved else ""), flush=True)
        out.append(entry)

    H, Hkv, D = 32, 8, 128
    for S in sizes:
        # Full attention, causal, GQA.
        q = torch.randn(1, H, S, D, device=dev, dtype=f16)
        k = torch.randn(1, Hkv, S, D, device=dev, dtype=f16)
        v = torch.randn(1, Hkv, S, D, device=dev, dtype=f16)
        flops = 4 * H * S * S * D / 2
        shape = {"B": 1, "H": H, "Hkv": Hkv, "S": S, "D": D, "causal": True}
        record("hydra_fa_prefill", shape,
               lambda: timed(hydra_call("fa_prefill", [host(q), host(k), host(v)]), repeat),
               flops)

        def sdpa():
            with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.FLASH_ATTENTION):
                F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            torch.cuda.synchronize()
        record("torch_sdpa_flash_prefill", shape, lambda: timed(sdpa, repeat), flops)

        # Linear attention, gated per head, H kv heads.
        kl = torch.randn(1, H, S, D, device=dev, dtype=f16) / D ** 0.5
        vl = torch.randn(1, H, S, D, device=dev, dtype=f16)
        g = -torch.rand(1, H, S, device=dev, dtype=torch.float32) * 0.1
        la_flops = H * S * (4 * D * D + 64 * 2 * D)
        la_bytes = H * S * D * 2 * 4
        lshape = {"B": 1, "H": H, "S": S, "D": D, "rule": "gated"}
        record("hydra_la_prefill", lshape,
               lambda: timed(hydra_call("la_prefill",
                                        [host(q), host(kl), host(vl), host(g)]), repeat),
               la_flops, la_bytes)

        def fla_seconds():
            from fla.ops.simple_gla import chunk_simple_gla
            qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, kl, vl))
            gt = g.transpose(1, 2).contiguous()

            def fla():
                with torch.no_grad():
                    chunk_simple_gla(qt, kt, vt, g=gt, scale=D ** -0.5)
                torch.cuda.synchronize()
            return timed(fla, repeat)
        record("fla_chunk_simple_gla", lshape, fla_seconds, la_flops, la_bytes)

        # The gated delta rule: unit-norm keys, β in (0, 1). Per step and
        # head, chunks of 64: K Kᵀ, U and Wk (6·64·D), Wk S and the state's
        # update (4·D²), Q S_c, Q Kᵀ and A W (2·D² + 4·64·D).
        kd = F.normalize(torch.randn(1, H, S, D, device=dev, dtype=torch.float32),
                         dim=-1).to(f16)
        beta = torch.rand(1, H, S, device=dev, dtype=torch.float32)
        delta_flops = H * S * (6 * D * D + 10 * 64 * D)
        delta_bytes = H * S * (D * 2 * 4 + 8)
        dshape = {"B": 1, "H": H, "S": S, "D": D, "rule": "gated_delta"}
        record("hydra_la_gated_delta_prefill", dshape,
               lambda: timed(hydra_call("la_gated_delta_prefill",
                                        [host(q), host(kd), host(vl), host(g), host(beta)]),
                             repeat),
               delta_flops, delta_bytes)

        def fla_delta_seconds():
            from fla.ops.gated_delta_rule import chunk_gated_delta_rule
            qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, kd, vl))
            gt, bt = (x.transpose(1, 2).contiguous() for x in (g, beta))

            def fla():
                with torch.no_grad():
                    chunk_gated_delta_rule(qt, kt, vt, g=gt, beta=bt, scale=D ** -0.5)
                torch.cuda.synchronize()
            return timed(fla, repeat)
        record("fla_chunk_gated_delta_rule", dshape, fla_delta_seconds, delta_flops,
               delta_bytes)

    # The 7:1 layer (4 full heads, 28 linear) at the longest size: hydra
    # alone, no one else computes it.
    S = max(sizes)
    hq = torch.randn(1, H, S, D, device=dev, dtype=f16)
    hk = torch.randn(1, Hkv, S, D, device=dev, dtype=f16) / D ** 0.5
    hv = torch.randn(1, Hkv, S, D, device=dev, dtype=f16)
    hg = -torch.rand(1, Hkv, S, device=dev, dtype=torch.float32) * 0.1
    record("hydra_hybrid_7to1_prefill", {"B": 1, "H": H, "Hkv": Hkv, "S": S, "D": D,
                                         "heads": "FLLLLLLL" * 4},
           lambda: timed(hydra_call("hybrid_prefill",
                                    [host(hq), host(hk), host(hv), host(hg)]), repeat))

    # A decode step on a 32K cache.
    T = 32768
    q1 = torch.randn(1, H, 1, D, device=dev, dtype=f16)
    kc = torch.randn(1, Hkv, T, D, device=dev, dtype=f16)
    vc = torch.randn(1, Hkv, T, D, device=dev, dtype=f16)
    dshape = {"B": 1, "H": H, "Hkv": Hkv, "S": 1, "T": T, "D": D}
    moved = 2 * Hkv * T * D * 2
    record("hydra_fa_decode", dshape,
           lambda: timed(hydra_call("fa_decode", [host(q1), host(kc), host(vc)]), repeat),
           4 * H * T * D, moved)

    def sdpa_decode():
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.FLASH_ATTENTION):
            F.scaled_dot_product_attention(q1, kc, vc, enable_gqa=True)
        torch.cuda.synchronize()
    record("torch_sdpa_flash_decode", dshape, lambda: timed(sdpa_decode, repeat),
           4 * H * T * D, moved)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kit", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", default=None)
    parser.add_argument("--no-bench", action="store_true")
    parser.add_argument("--sizes", default="4096,32768")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kit = os.path.abspath(args.kit)
    unpack_wheels(kit)
    import hydrahead
    with open(os.path.join(kit, "kit.json")) as f:
        meta = json.load(f)
    report = {"hydra": hydrahead.__version__, "device": args.device,
              "machine": platform.node(), "python": platform.python_version(),
              "package": os.path.dirname(os.path.abspath(hydrahead.__file__))}
    started = time.perf_counter()
    report["cases"] = run_cases(kit, meta, args.device)
    failed = [c["name"] for c in report["cases"] if not c["passed"]]
    report["summary"] = {"cases": len(report["cases"]), "failed": failed}
    if args.no_bench:
        report["bench"] = {"not_run": "--no-bench"}
    elif args.device.split(":")[0] != "cuda":
        report["bench"] = {"not_run": f"device {args.device}: the bench compares "
                                      "against torch on a CUDA GPU"}
    else:
        try:
            import torch
            report["gpu"] = torch.cuda.get_device_name()
            report["bench"] = bench(kit, args.device,
                                    [int(s) for s in args.sizes.split(",")], args.repeat)
        except Exception as e:
            report["bench"] = {"error": f"{type(e).__name__}: {e}"}
            failed.append("bench")
    report["seconds"] = time.perf_counter() - started
    path = args.out or os.path.join(kit, "results.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"device-kit: {len(report['cases']) - len(report['summary']['failed'])} of "
          f"{len(report['cases'])} cases passed; results in {path}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Per-token decode time and cache memory against context length, for a
HydraHead model (7 linear heads to 1 full one, the full heads sharing one
kv head) next to the same model with every head full.

Each model is a stack of decoder attention blocks (q/k/v projections →
ai.hydrahead::HybridAttention with caches → output projection and
residual) exported with its caches, compiled once for every length. For
each context length P it times one decode step (one new token) on caches
of P tokens kept in session buffers and appended in place (the token
rolled back after each timed step), and reports the bytes the caches hold:
the KV caches, 2·L·Hkv_F·(P+1)·D·4, grow with P; the linear states,
L·Hkv_L·Dk·Dv·4, do not. The all-F model is skipped at lengths whose
caches would not fit in the machine's available memory.

    python bench/bench_decode_memory.py [--max-context 524288] [--repeats 3]
"""

import argparse
import os
import sys
import time

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hydrahead  # noqa: E402
from timing import side_by_side  # noqa: E402

F32 = TensorProto.FLOAT


def kv_heads_of(heads, kind, hkv):
    group = len(heads) // hkv
    return sorted({h // group for h, c in enumerate(heads) if c == kind})


def model(heads, layers, hidden, hkv, d, rng):
    """`layers` attention blocks over hidden state x [B, S, hidden]: each
    with caches past_{key,value,state}_i and their presents."""
    hq = len(heads)
    nf, nl = len(kv_heads_of(heads, "F", hkv)), len(kv_heads_of(heads, "L", hkv))
    nodes, inits, inputs, outputs = [], [], [], []
    inputs.append(helper.make_tensor_value_info("x", F32, ["B", "S", hidden]))

    def weight(name, rows, cols):
        w = (rng.standard_normal((rows, cols)) / np.sqrt(rows)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, name))
        return name

    x = "x"
    for i in range(layers):
        names = {}
        for part, width in (("q", hq * d), ("k", hkv * d), ("v", hkv * d)):
            names[part] = f"{part}{i}"
            nodes.append(helper.make_node("MatMul", [x, weight(f"w{part}{i}", hidden, width)],
                                          [names[part]]))
        # A per-head log decay from the input, as HydraHead's gated heads.
        nodes.append(helper.make_node("MatMul", [x, weight(f"wg{i}", hidden, hkv)], [f"g{i}"]))
        nodes.append(helper.make_node("Softplus", [f"g{i}"], [f"gs{i}"]))
        nodes.append(helper.make_node("Neg", [f"gs{i}"], [f"decay{i}"]))
        cache_in = [f"past_key_{i}", f"past_value_{i}", f"past_state_{i}"]
        cache_out = [f"present_key_{i}", f"present_value_{i}", f"present_state_{i}"]
        inputs += [helper.make_tensor_value_info(cache_in[0], F32, ["B", nf, "P", d]),
                   helper.make_tensor_value_info(cache_in[1], F32, ["B", nf, "P", d])]
        if nl:
            inputs.append(helper.make_tensor_value_info(cache_in[2], F32, ["B", nl, d, d]))
        node_in = [names["q"], names["k"], names["v"], "", f"decay{i}" if nl else "", "",
                   cache_in[0], cache_in[1], cache_in[2] if nl else ""]
        node_out = [f"a{i}", cache_out[0], cache_out[1], cache_out[2] if nl else ""]
        nodes.append(helper.make_node(
            "HybridAttention", node_in, node_out, domain="ai.hydrahead", heads=heads,
            q_num_heads=hq, kv_num_heads=hkv, update_rule="gated" if nl else "linear"))
        nodes.append(helper.make_node("MatMul", [f"a{i}", weight(f"wo{i}", hq * d, hidden)],
                                      [f"o{i}"]))
        nodes.append(helper.make_node("Add", [x, f"o{i}"], [f"x{i + 1}"]))
        x = f"x{i + 1}"
        outputs += [helper.make_tensor_value_info(cache_out[0], F32, ["B", nf, "T", d]),
                    helper.make_tensor_value_info(cache_out[1], F32, ["B", nf, "T", d])]
        if nl:
            outputs.append(helper.make_tensor_value_info(cache_out[2], F32, ["B", nl, d, d]))
    outputs.insert(0, helper.make_tensor_value_info(x, F32, ["B", "S", hidden]))
    graph = helper.make_graph(nodes, "decoder", inputs, outputs, inits)
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 23), helper.make_opsetid("ai.hydrahead", 1)])


def available_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-context", type=int, default=512 * 1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    hidden, hkv, d = 1024, 8, 128
    # 32 query heads on 8 kv heads; the 7:1 model's four F heads share kv
    # head 0, so one kv head in eight is cached.
    variants = {"7:1": "FFFF" + "L" * 28, "all-F": "F" * 32}
    rng = np.random.default_rng(0)
    sessions = {}
    for name, heads in variants.items():
        m = model(heads, args.layers, hidden, hkv, d, rng)
        sessions[name] = (heads, hydrahead.Session(hydrahead.Module(
            hydrahead.compile(m.SerializeToString()))))
    lengths = []
    p = 1024
    while p <= args.max_context:
        lengths.append(p)
        p *= 4 if p < 65536 else 2
    print(f"{args.layers} layers, 32 query heads on 8 kv heads of {d}, hidden {hidden}, "
          f"one token a step; host threads {os.cpu_count()}")
    print(f"{'context':>8} {'model':>6} {'ms/token':>9} {'KV MiB':>9} {'formula':>9} "
          f"{'state KiB':>9} {'formula':>9}")
    for p in lengths:
        for name, (heads, session) in sessions.items():
            nf, nl = len(kv_heads_of(heads, "F", hkv)), len(kv_heads_of(heads, "L", hkv))
            kv_formula = 2 * args.layers * nf * (p + 1) * d * 4
            state_formula = args.layers * nl * d * d * 4
            # The caches, and one cache's staging array to fill them.
            if kv_formula * 1.1 + kv_formula / (2 * args.layers) > available_bytes():
                print(f"{p:>8} {name:>6} {'(no memory)':>9} {'':>9} "
                      f"{kv_formula / 2**20:>9.1f}", flush=True)
                continue
            inputs, grown = {"x": rng.standard_normal((1, 1, hidden)).astype(np.float32)}, {}
            for i in range(args.layers):
                for kind in ("key", "value"):
                    # Any finite values time the same; a fill is fast.
                    b = session.buffer(np.full((1, nf, p, d), 0.01, np.float32),
                                       capacity=(1, nf, p + 1, d))
                    inputs[f"past_{kind}_{i}"] = b
                    grown[f"present_{kind}_{i}"] = b
                if nl:
                    inputs[f"past_state_{i}"] = 0.01 * rng.standard_normal(
                        (1, nl, d, d), dtype=np.float32)

            def step():
                out = session.run_buffers(inputs, grown)
                for b in grown.values():
                    b.set_shape((1, nf, p, d))
                return out

            out = session.run_buffers(inputs, grown)
            kv = sum(b.nbytes for b in grown.values())
            state = sum(out[n].nbytes for n in out if "present_state" in n)
            for b in grown.values():
                b.set_shape((1, nf, p, d))
            del out
            (t,) = side_by_side([step], args.repeats)
            print(f"{p:>8} {name:>6} {t * 1e3:>9.2f} {kv / 2**20:>9.1f} "
                  f"{kv_formula / 2**20:>9.1f} {state / 1024:>9.0f} {state_formula / 1024:>9.0f}",
                  flush=True)
            del inputs, grown

if __name__ == "__main__":
    main()

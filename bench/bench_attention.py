"""Side-by-side timing, one process: hydra's CPU code against
onnxruntime's Attention (B=1, H=32, D=128, causal, f32), and hydra's
hybrid 7:1 layer against all-F, at growing sequence lengths.

    .venv/bin/python bench/bench_attention.py [--lengths 1024,4096,8192] [--repeats 3]

Prints a table of median times (the four runs of a length timed in
alternating rounds, bench/timing.py), ratios and achieved GFLOP/s (FA FLOPs
4·B·H·S²·D, halved for causal). Not a test: numbers depend on the machine.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402
from timing import side_by_side  # noqa: E402

B, H, D = 1, 32, 128


def attention_model(s):
    shape = [B, H, s, D]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "QKV"]
    node = helper.make_node("Attention", ["Q", "K", "V"], ["Y"], is_causal=1)
    graph = helper.make_graph([node], "fa", inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 23)])


def hybrid_model(s, heads):
    packed = [B, s, H * D]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, packed)
              for n in ("q", "k", "v")]
    node = helper.make_node("HybridAttention", ["q", "k", "v"], ["y"], domain="ai.hydrahead",
                            q_num_heads=H, kv_num_heads=H, heads=heads, is_causal=1)
    graph = helper.make_graph([node], "hybrid", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, packed)])
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 23), helper.make_opsetid("ai.hydrahead", 1)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", default="1024,4096,8192")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    rng = np.random.default_rng(0)
    print(f"B={B} H={H} D={D} causal f32, {os.cpu_count()} cores, "
          f"onnxruntime {ort.__version__}, median of {args.repeats}")
    print(f"{'S':>6} | {'ORT FA s':>9} | {'hydra FA s':>10} | {'ORT/hydra':>9} | "
          f"{'hydra GF/s':>10} | {'hydra 7:1 s':>11} | {'all-F/7:1':>9}")
    for s in lengths:
        q, k, v = (rng.standard_normal((B, H, s, D)).astype(np.float32) for _ in range(3))
        model = attention_model(s)
        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        feeds = {"Q": q, "K": k, "V": v}
        hydra = hydrahead.Session(hydrahead.Module(hydrahead.compile(model.SerializeToString())))
        packed = {n: rng.standard_normal((B, s, H * D)).astype(np.float32) for n in "qkv"}
        hybrid = hydrahead.Session(hydrahead.Module(hydrahead.compile(
            hybrid_model(s, ("F" + "L" * 7) * (H // 8)).SerializeToString())))
        all_f = hydrahead.Session(hydrahead.Module(hydrahead.compile(
            hybrid_model(s, "F" * H).SerializeToString())))
        t_ort, t_hydra, t_hybrid, t_all_f = side_by_side(
            [lambda: session.run(None, feeds), lambda: hydra.run(feeds),
             lambda: hybrid.run(packed), lambda: all_f.run(packed)], args.repeats)
        flops = 4 * B * H * s * s * D / 2
        print(f"{s:>6} | {t_ort:>9.3f} | {t_hydra:>10.3f} | {t_ort / t_hydra:>9.2f} | "
              f"{flops / t_hydra / 1e9:>10.1f} | {t_hybrid:>11.3f} | {t_all_f / t_hybrid:>9.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Whole-model speed on the CPU, side by side in one run: hydra against
onnxruntime (2 intra-op threads) and, where it is installed, PyTorch
(2 threads), on

  - a decoder in standard ONNX ops: 4 layers, d_model 1024, 16 heads on 4
    kv heads (head 64), SwiGLU 2816, vocab 4096, RMSNorm, rotary positions,
    Attention-23 with a KV cache: prefill of 512 tokens, and one decode
    step on a 2047-token cache (also with `hydra-compile --weights=bf16`,
    its error against onnxruntime's f32 logits);
  - a MatMul 512 × 4096 × 4096 (against the measured FMA peak);
  - full attention (Attention-23, causal, 32 heads × 128) and linear
    attention (LinearAttention-27, gated; gated_delta at 1K) alone, and
    one decode step of each (FA on a 1K–32K cache, 32 query heads on 8 kv
    heads; LA from a carried state);
  - the real-export suite (test/Models/real, its first recorded size);
  - the machine: FMA peak and STREAM-like triad bandwidth
    (bench/machine_peak.c, built with clang-22).

    .venv/bin/python bench/bench_model.py [--repeats 5] [--quick]

Prints one table: median times, ratios (> 1: hydra faster), GFLOP/s and
the fraction of the FMA peak, and for decode the fraction of the measured
bandwidth that streaming every weight once per token takes. The runtimes
of a row are timed in alternating rounds (`side_by_side`), so a swing in
the host's speed falls on all of them. Not a test: the numbers depend on
the machine and how quiet it is.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402
from timing import side_by_side  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: its column then says so
    torch = None

THREADS = 2
LAYERS, D, HEADS, KV_HEADS, FFN, VOCAB = 4, 1024, 16, 4, 2816, 4096
HEAD = D // HEADS
EPS = 1e-6
ROPE_BASE = 10000.0


def ort_session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def hydra_session(model):
    artifact = hydrahead.compile(model.SerializeToString())
    return hydrahead.Session(hydrahead.Module(artifact), threads=THREADS)


def hydra_bf16_session(model):
    """The same through `hydra-compile --weights=bf16` (an option the Python
    API does not take yet)."""
    build = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "m.onnx"), os.path.join(d, "m.hydra")
        onnx.save(model, src)
        subprocess.run([os.path.join(build, "bin", "hydra-compile"), src, "-o", out,
                        "--weights=bf16"], check=True)
        module = hydrahead.Module(out)
    return hydrahead.Session(module, threads=THREADS)


# ----------------------------------------------------------------- decoder


def decoder_weights(rng):
    def w(*shape, scale=None):
        scale = scale or 1.0 / np.sqrt(shape[0])
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    weights = {"embed": w(VOCAB, D, scale=1.0), "final_norm": np.ones(D, np.float32),
               "lm_head": w(D, VOCAB)}
    for i in range(LAYERS):
        weights.update({
            f"l{i}.attn_norm": (1 + 0.1 * rng.standard_normal(D)).astype(np.float32),
            f"l{i}.wq": w(D, D), f"l{i}.wk": w(D, KV_HEADS * HEAD),
            f"l{i}.wv": w(D, KV_HEADS * HEAD), f"l{i}.wo": w(D, D),
            f"l{i}.ffn_norm": (1 + 0.1 * rng.standard_normal(D)).astype(np.float32),
            f"l{i}.wg": w(D, FFN), f"l{i}.wu": w(D, FFN), f"l{i}.wd": w(FFN, D)})
    return weights


def rope_tables(positions):
    inv = ROPE_BASE ** (-np.arange(0, HEAD, 2, dtype=np.float64) / HEAD)
    angles = np.outer(np.arange(positions), inv)
    angles = np.concatenate([angles, angles], axis=1)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def decoder_model(weights, with_past):
    """Llama-style layers in the ops an exporter writes: Gather, MatMul,
    the RMSNorm spelled out, rotary via Slice/Neg/Concat, Attention-23 with
    past and present, SiLU as x·Sigmoid(x)."""
    nodes, inits = [], [numpy_helper.from_array(v, k) for k, v in weights.items()]
    cos, sin = rope_tables(4096)
    consts = {"cos_table": cos, "sin_table": sin,
              "eps": np.array(EPS, np.float32), "axes_last": np.array([-1], np.int64),
              "q_shape": np.array([0, 0, HEADS, HEAD], np.int64),
              "kv_shape": np.array([0, 0, KV_HEADS, HEAD], np.int64),
              "merged": np.array([0, 0, D], np.int64),
              "half_lo": np.array([0], np.int64), "half_mid": np.array([HEAD // 2], np.int64),
              "half_hi": np.array([HEAD], np.int64), "axis3": np.array([3], np.int64),
              "axis1": np.array([1], np.int64)}
    inits += [numpy_helper.from_array(v, k) for k, v in consts.items()]

    def node(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, **attrs))
        return outs[0]

    def rms_norm(x, scale, name):
        sq = node("Mul", [x, x], [name + ".sq"])
        ms = node("ReduceMean", [sq, "axes_last"], [name + ".ms"], keepdims=1)
        ms = node("Add", [ms, "eps"], [name + ".mse"])
        rms = node("Sqrt", [ms], [name + ".rms"])
        xn = node("Div", [x, rms], [name + ".xn"])
        return node("Mul", [xn, scale], [name + ".out"])

    def rotary(x, name):
        # x [B, H, S, 64]; cos/sin [1, 1, S, 64] from the position ids.
        lo = node("Slice", [x, "half_lo", "half_mid", "axis3"], [name + ".lo"])
        hi = node("Slice", [x, "half_mid", "half_hi", "axis3"], [name + ".hi"])
        neg = node("Neg", [hi], [name + ".neg"])
        rot = node("Concat", [neg, lo], [name + ".rot"], axis=-1)
        a = node("Mul", [x, "cos"], [name + ".xc"])
        b = node("Mul", [rot, "sin"], [name + ".rs"])
        return node("Add", [a, b], [name + ".out"])

    node("Gather", ["embed", "input_ids"], ["h0"])
    node("Gather", ["cos_table", "position_ids"], ["cos3"])
    node("Gather", ["sin_table", "position_ids"], ["sin3"])
    node("Unsqueeze", ["cos3", "axis1"], ["cos"])
    node("Unsqueeze", ["sin3", "axis1"], ["sin"])
    h = "h0"
    outputs = []
    for i in range(LAYERS):
        p = f"l{i}"
        x = rms_norm(h, f"{p}.attn_norm", f"{p}.n1")
        heads = {}
        for name, w, shape in (("q", "wq", "q_shape"), ("k", "wk", "kv_shape"),
                               ("v", "wv", "kv_shape")):
            t = node("MatMul", [x, f"{p}.{w}"], [f"{p}.{name}"])
            t = node("Reshape", [t, shape], [f"{p}.{name}4"])
            heads[name] = node("Transpose", [t], [f"{p}.{name}t"], perm=[0, 2, 1, 3])
        q = rotary(heads["q"], f"{p}.rq")
        k = rotary(heads["k"], f"{p}.rk")
        ins = [q, k, heads["v"], ""]
        outs = [f"{p}.attn"]
        if with_past:
            ins += [f"past_key_{i}", f"past_value_{i}"]
            outs += [f"present_key_{i}", f"present_value_{i}"]
            outputs += outs[1:]
        node("Attention", ins, outs, is_causal=0 if with_past else 1,
             q_num_heads=HEADS, kv_num_heads=KV_HEADS)
        a = node("Transpose", [f"{p}.attn"], [f"{p}.attn_t"], perm=[0, 2, 1, 3])
        a = node("Reshape", [a, "merged"], [f"{p}.attn_m"])
        a = node("MatMul", [a, f"{p}.wo"], [f"{p}.o"])
        h = node("Add", [h, a], [f"{p}.h1"])
        x = rms_norm(h, f"{p}.ffn_norm", f"{p}.n2")
        g = node("MatMul", [x, f"{p}.wg"], [f"{p}.g"])
        u = node("MatMul", [x, f"{p}.wu"], [f"{p}.u"])
        sg = node("Sigmoid", [g], [f"{p}.sg"])
        silu = node("Mul", [g, sg], [f"{p}.silu"])
        gu = node("Mul", [silu, u], [f"{p}.gu"])
        dn = node("MatMul", [gu, f"{p}.wd"], [f"{p}.dn"])
        h = node("Add", [h, dn], [f"{p}.h2"])
    x = rms_norm(h, "final_norm", "nf")
    node("MatMul", [x, "lm_head"], ["logits"])
    f32 = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "S"])]
    if with_past:
        for i in range(LAYERS):
            inputs += [helper.make_tensor_value_info(f"past_{kind}_{i}", f32,
                                                     [1, KV_HEADS, "P", HEAD])
                       for kind in ("key", "value")]
    outs = [helper.make_tensor_value_info("logits", f32, [1, "S", VOCAB])]
    outs += [helper.make_tensor_value_info(n, f32, [1, KV_HEADS, "T", HEAD]) for n in outputs]
    graph = helper.make_graph(nodes, "decoder", inputs, outs, inits)
    return helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 23)])


class TorchDecoder:
    """The same decoder in PyTorch (eager, f32), for the third column."""

    def __init__(self, weights):
        self.w = {k: torch.from_numpy(v) for k, v in weights.items()}
        cos, sin = rope_tables(4096)
        self.cos, self.sin = torch.from_numpy(cos), torch.from_numpy(sin)

    def rms(self, x, scale):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + EPS) * scale

    def rotary(self, x, pos):
        cos, sin = self.cos[pos][None, None], self.sin[pos][None, None]
        lo, hi = x[..., :HEAD // 2], x[..., HEAD // 2:]
        return x * cos + torch.cat([-hi, lo], -1) * sin

    def __call__(self, ids, pos, past=None):
        with torch.inference_mode():
            return self.forward(ids, pos, past)

    def forward(self, ids, pos, past):
        w, f = self.w, torch.nn.functional
        h = w["embed"][ids]
        b, s = ids.shape
        for i in range(LAYERS):
            p = f"l{i}"
            x = self.rms(h, w[f"{p}.attn_norm"])
            q = (x @ w[f"{p}.wq"]).view(b, s, HEADS, HEAD).transpose(1, 2)
            k = (x @ w[f"{p}.wk"]).view(b, s, KV_HEADS, HEAD).transpose(1, 2)
            v = (x @ w[f"{p}.wv"]).view(b, s, KV_HEADS, HEAD).transpose(1, 2)
            q, k = self.rotary(q, pos), self.rotary(k, pos)
            if past is not None:
                k = torch.cat([past[2 * i], k], 2)
                v = torch.cat([past[2 * i + 1], v], 2)
            a = f.scaled_dot_product_attention(q, k, v, is_causal=past is None,
                                               enable_gqa=True)
            h = h + a.transpose(1, 2).reshape(b, s, D) @ w[f"{p}.wo"]
            x = self.rms(h, w[f"{p}.ffn_norm"])
            g = x @ w[f"{p}.wg"]
            h = h + (g * torch.sigmoid(g) * (x @ w[f"{p}.wu"])) @ w[f"{p}.wd"]
        return self.rms(h, w["final_norm"]) @ w["lm_head"]


def decoder_flops(s, t):
    per_token = 2 * (2 * D * D + 2 * D * KV_HEADS * HEAD + 3 * D * FFN)
    attention = 2 * 2 * HEADS * HEAD * (s * t if s == 1 else s * s / 2)
    return LAYERS * (s * per_token + attention) + 2 * s * D * VOCAB


def weight_bytes():
    return 4 * (LAYERS * (2 * D * D + 2 * D * KV_HEADS * HEAD + 3 * D * FFN) + D * VOCAB)


# ------------------------------------------------------------- kernels


def matmul_model(m, k, n, rng):
    w = numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])], [w])
    return helper.make_model(g, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])


def attention_model(s, heads=32, head=128):
    shape = [1, heads, s, head]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "QKV"]
    g = helper.make_graph([helper.make_node("Attention", ["Q", "K", "V"], ["Y"], is_causal=1)],
                          "fa", ins, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, shape)])
    return helper.make_model(g, ir_version=10, opset_imports=[helper.make_opsetid("", 23)])


def decode_attention_model(heads=32, kv_heads=8, head=128):
    """One causal Attention-23 decode step on a cache of any length P: Y
    and the presents (past ‖ the new key and value), as exporters write
    it."""
    f = TensorProto.FLOAT
    ins = [helper.make_tensor_value_info("Q", f, [1, heads, 1, head])]
    ins += [helper.make_tensor_value_info(n, f, [1, kv_heads, 1, head]) for n in "KV"]
    ins += [helper.make_tensor_value_info(n, f, [1, kv_heads, "P", head])
            for n in ("past_key", "past_value")]
    outs = [helper.make_tensor_value_info("Y", f, [1, heads, 1, head])]
    outs += [helper.make_tensor_value_info(n, f, [1, kv_heads, "T", head])
             for n in ("present_key", "present_value")]
    node = helper.make_node("Attention", ["Q", "K", "V", "", "past_key", "past_value"],
                            ["Y", "present_key", "present_value"], is_causal=1)
    g = helper.make_graph([node], "decode", ins, outs)
    return helper.make_model(g, ir_version=10, opset_imports=[helper.make_opsetid("", 23)])


def linear_attention_model(s, heads=32, head=128, rule="gated", with_state=False):
    """LinearAttention-27 with a decay per head (the gated rules) and a β
    per head (the delta rules), from a given state with `with_state`."""
    packed = [1, s, heads * head]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, packed) for n in ("q", "k", "v")]
    names = ["q", "k", "v", "past_state" if with_state else "",
             "decay" if "gated" in rule else ""]
    if with_state:
        ins.append(helper.make_tensor_value_info("past_state", TensorProto.FLOAT,
                                                 [1, heads, head, head]))
    if "gated" in rule:
        ins.append(helper.make_tensor_value_info("decay", TensorProto.FLOAT, [1, s, heads]))
    if "delta" in rule:
        ins.append(helper.make_tensor_value_info("beta", TensorProto.FLOAT, [1, s, heads]))
        names.append("beta")
    while names[-1] == "":
        names.pop()
    node = helper.make_node("LinearAttention", names, ["y", "state"],
                            q_num_heads=heads, kv_num_heads=heads, update_rule=rule)
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, packed),
            helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, heads, head, head])]
    g = helper.make_graph([node], "la", ins, outs)
    return helper.make_model(g, ir_version=10, opset_imports=[helper.make_opsetid("", 27)])


# ----------------------------------------------------------------- table


class Table:
    def __init__(self):
        print(f"{'case':<34} {'hydra ms':>10} {'ORT ms':>10} {'torch ms':>10} "
              f"{'ORT/hydra':>9} {'torch/hydra':>11}  notes")

    def row(self, name, t_hydra, t_ort=None, t_torch=None, notes=""):
        def ms(t):
            if not t:
                return f"{'n/a':>10}"
            return f"{t * 1e3:10.3f}" if t < 1e-3 else f"{t * 1e3:10.2f}"

        def ratio(t, width):
            return f"{t / t_hydra:{width}.2f}" if t and t_hydra else f"{'n/a':>{width}}"
        print(f"{name:<34} {ms(t_hydra)} {ms(t_ort)} {ms(t_torch)} "
              f"{ratio(t_ort, 9)} {ratio(t_torch, 11)}  {notes}")
        sys.stdout.flush()


def machine_limits():
    source = os.path.join(ROOT, "bench", "machine_peak.c")
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "peak")
        subprocess.run(["clang-22", "-O2", "-march=native", "-pthread", source, "-o", exe],
                       check=True)
        out = subprocess.run([exe, str(THREADS)], check=True, capture_output=True,
                             text=True).stdout
    values = dict(line.split() for line in out.splitlines())
    return float(values["fma_gflops"]), float(values["triad_gbs"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="skip the attention kernels and the real-export suite")
    args = parser.parse_args()
    r = args.repeats
    if torch is not None:
        torch.set_num_threads(THREADS)
    peak, bandwidth = machine_limits()
    print(f"{THREADS} threads, FMA peak {peak:.1f} GFLOP/s, triad {bandwidth:.1f} GB/s, "
          f"onnxruntime {ort.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"median of {r}")
    table = Table()
    rng = np.random.default_rng(0)

    # MatMul 512 × 4096 × 4096.
    mm = matmul_model(512, 4096, 4096, rng)
    x = rng.standard_normal((512, 4096)).astype(np.float32)
    h, o = hydra_session(mm), ort_session(mm)
    torch_mm = None
    if torch is not None:
        wt = torch.from_numpy(numpy_helper.to_array(mm.graph.initializer[0]).copy())
        xt = torch.from_numpy(x)
        torch_mm = lambda: xt @ wt  # noqa: E731
    t_h, t_o, t_t = side_by_side(
        [lambda: h.run({"x": x}), lambda: o.run(None, {"x": x}), torch_mm], r)
    flops = 2 * 512 * 4096 * 4096
    table.row("MatMul 512x4096x4096", t_h, t_o, t_t,
              f"hydra {flops / t_h / 1e9:.0f} GF/s ({flops / t_h / 1e9 / peak:.0%} of peak), "
              f"ORT {flops / t_o / 1e9:.0f} GF/s; hydra/ORT rate {t_o / t_h:.0%}")
    del h, o, mm

    # The decoder: prefill 512, decode 1 on a 2047-token cache.
    weights = decoder_weights(rng)
    torch_model = TorchDecoder(weights) if torch is not None else None
    s = 512
    ids = rng.integers(0, VOCAB, (1, s)).astype(np.int64)
    pos = np.arange(s, dtype=np.int64)[None]
    prefill = decoder_model(weights, with_past=False)
    h, o = hydra_session(prefill), ort_session(prefill)
    feeds = {"input_ids": ids, "position_ids": pos}
    want = o.run(None, feeds)[0]
    got = h.run(feeds)["logits"]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    t_h, t_o, t_t = side_by_side(
        [lambda: h.run(feeds), lambda: o.run(None, feeds),
         (lambda: torch_model(torch.from_numpy(ids), torch.from_numpy(pos[0])))
         if torch_model else None], r)
    flops = decoder_flops(s, s)
    table.row("decoder prefill 512", t_h, t_o, t_t,
              f"hydra {flops / t_h / 1e9:.0f} GF/s ({flops / t_h / 1e9 / peak:.0%} of peak); "
              f"max rel diff vs ORT {err:.1e}")
    del h, o, prefill

    past_len = 2047
    decode = decoder_model(weights, with_past=True)
    feeds = {"input_ids": ids[:, :1], "position_ids": np.array([[past_len]], np.int64)}
    past = []
    for i in range(LAYERS):
        for kind in ("key", "value"):
            arr = rng.standard_normal((1, KV_HEADS, past_len, HEAD)).astype(np.float32)
            feeds[f"past_{kind}_{i}"] = arr
            past.append(arr)
    h, o = hydra_session(decode), ort_session(decode)
    want = o.run(None, feeds)[0]
    got = h.run(feeds)["logits"]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    torch_step = None
    if torch_model:
        tp = [torch.from_numpy(a) for a in past]
        torch_step = lambda: torch_model(torch.from_numpy(ids[:, :1]),  # noqa: E731
                                          torch.tensor([past_len]), tp)
    t_h, t_o, t_t = side_by_side(
        [lambda: h.run(feeds), lambda: o.run(None, feeds), torch_step], r)
    moved = weight_bytes() + 2 * LAYERS * KV_HEADS * past_len * HEAD * 4 * 2
    table.row("decoder decode 1 on 2047", t_h, t_o, t_t,
              f"weights+cache {moved / 2**20:.0f} MiB at {moved / t_h / 1e9:.1f} GB/s = "
              f"{moved / t_h / 1e9 / bandwidth:.0%} of triad; max rel diff vs ORT {err:.1e}")
    del h
    # The same step with the weights in bf16 (f32 accumulation): half the
    # weight bytes; the error is against onnxruntime's f32 logits.
    h = hydra_bf16_session(decode)
    got = h.run(feeds)["logits"]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    t_h, t_o = side_by_side([lambda: h.run(feeds), lambda: o.run(None, feeds)], r)
    moved = weight_bytes() // 2 + 2 * LAYERS * KV_HEADS * past_len * HEAD * 4 * 2
    table.row("decoder decode 1, bf16 weights", t_h, t_o, None,
              f"weights+cache {moved / 2**20:.0f} MiB at {moved / t_h / 1e9:.1f} GB/s = "
              f"{moved / t_h / 1e9 / bandwidth:.0%} of triad; max rel diff vs ORT (f32) {err:.1e}")
    del h, o, decode

    if not args.quick:
        for s in (1024, 4096):
            q, k, v = (rng.standard_normal((1, 32, s, 128)).astype(np.float32) for _ in range(3))
            m = attention_model(s)
            h, o = hydra_session(m), ort_session(m)
            f = {"Q": q, "K": k, "V": v}
            t_h, t_o, t_t = side_by_side(
                [lambda: h.run(f), lambda: o.run(None, f),
                 (lambda: torch.nn.functional.scaled_dot_product_attention(
                     *(torch.from_numpy(a) for a in (q, k, v)), is_causal=True))
                 if torch else None], r)
            flops = 4 * 32 * s * s * 128 / 2
            table.row(f"FA causal 32x128 S={s}", t_h, t_o, t_t,
                      f"hydra {flops / t_h / 1e9:.0f} GF/s ({flops / t_h / 1e9 / peak:.0%} of peak)")
            for rule in ("gated", "gated_delta") if s == 1024 else ("gated",):
                m = linear_attention_model(s, rule=rule)
                h = hydra_session(m)
                f = {n: rng.standard_normal((1, s, 4096)).astype(np.float32) * 0.1
                     for n in ("q", "k", "v")}
                f["decay"] = -np.abs(rng.standard_normal((1, s, 32))).astype(np.float32) * 0.1
                if "delta" in rule:
                    f["beta"] = rng.uniform(0, 1, (1, s, 32)).astype(np.float32)
                try:
                    o = ort_session(m)
                    o.run(None, f)
                except Exception:  # an onnxruntime without LinearAttention-27
                    o = None
                t_h, t_o = side_by_side(
                    [lambda: h.run(f), (lambda: o.run(None, f)) if o else None], r)
                flops = 32 * s * 4 * 128 * 128
                table.row(f"LA {rule} 32x128 S={s}", t_h, t_o, None,
                          f"hydra {flops / t_h / 1e9:.0f} GF/s (4·D² a step a head)")

        # One decode step on its own: full attention on a growing cache
        # (the past copied into the presents, as the standard spelling
        # has it; and appended in place, session buffers with room, the
        # appended token rolled back after each timed call), linear
        # attention from a carried state.
        m = decode_attention_model()
        h, o = hydra_session(m), ort_session(m)
        for past in (1024, 8192, 32768):
            f = {n: rng.standard_normal(shape).astype(np.float32) for n, shape in
                 (("Q", (1, 32, 1, 128)), ("K", (1, 8, 1, 128)), ("V", (1, 8, 1, 128)),
                  ("past_key", (1, 8, past, 128)), ("past_value", (1, 8, past, 128)))}
            room = (1, 8, past + 1, 128)
            kb = h.buffer(f["past_key"], capacity=room)
            vb = h.buffer(f["past_value"], capacity=room)
            qkv = {n: h.buffer(f[n]) for n in "QKV"}

            def in_place():
                out = h.run_buffers({**qkv, "past_key": kb, "past_value": vb},
                                    outputs={"present_key": kb, "present_value": vb})
                kb.set_shape((1, 8, past, 128))
                vb.set_shape((1, 8, past, 128))
                return out

            want = o.run(None, f)[0]
            err = max(float(np.max(np.abs(h.run(f)["Y"] - want))),
                      float(np.max(np.abs(in_place()["Y"].numpy() - want))))
            t_h, t_i, t_o = side_by_side(
                [lambda: h.run(f), in_place, lambda: o.run(None, f)], r)
            cache = 2 * 8 * past * 128 * 4
            table.row(f"FA decode 1 on {past} (32/8x128)", t_h, t_o, None,
                      f"cache {cache / 2**20:.0f} MiB, read and copied: "
                      f"{3 * cache / t_h / 1e9:.1f} GB/s; max abs diff vs ORT {err:.1e}")
            table.row(f"  appended in place", t_i, t_o, None,
                      f"cache read once: {cache / t_i / 1e9:.1f} GB/s")
            del f, kb, vb, qkv
        del h, o, m
        m = linear_attention_model(1, rule="gated", with_state=True)
        f = {n: rng.standard_normal((1, 1, 4096)).astype(np.float32) * 0.1 for n in "qkv"}
        f["decay"] = -np.abs(rng.standard_normal((1, 1, 32))).astype(np.float32) * 0.1
        f["past_state"] = rng.standard_normal((1, 32, 128, 128)).astype(np.float32) * 0.1
        h, o = hydra_session(m), ort_session(m)
        err = float(np.max(np.abs(h.run(f)["y"] - o.run(None, f)[0])))
        t_h, t_o = side_by_side([lambda: h.run(f), lambda: o.run(None, f)], r)
        state = 32 * 128 * 128 * 4
        table.row("LA gated decode 1 step 32x128", t_h, t_o, None,
                  f"state {state / 2**20:.0f} MiB read and written: "
                  f"{2 * state / t_h / 1e9:.1f} GB/s; max abs diff vs ORT {err:.1e}")
        del h, o, m, f

        real = os.path.join(ROOT, "test", "Models", "real")
        manifest = json.load(open(os.path.join(real, "manifest.json")))["models"]
        for name in sorted(manifest):
            data = np.load(os.path.join(real, name + ".npz"))
            f = {key[len("in0_"):]: data[key] for key in data.files if key.startswith("in0_")}
            path = os.path.join(real, name + ".onnx")
            model = onnx.load(path)
            try:
                h = hydra_session(model)
            except hydrahead.HydraError as e:
                table.row(name, None, None, None, f"hydra: {str(e).splitlines()[0][:60]}")
                continue
            try:
                o = ort_session(model)
                o.run(None, f)
            except Exception:  # hydra's custom op: onnxruntime cannot run it
                o = None
            t_h, t_o = side_by_side(
                [lambda: h.run(f), (lambda: o.run(None, f)) if o else None], r)
            del h, o
            table.row(name, t_h, t_o, None, "" if t_o else "onnxruntime: custom op")


if __name__ == "__main__":
    main()

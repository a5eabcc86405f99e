#!/usr/bin/env python3
"""Writes the suite of real exports: tiny random-weight decoders from
transformers' configs (nothing downloaded), exported by torch.onnx as users
export them, with onnxruntime's outputs at two or more sizes.

Needs torch, transformers, onnxscript, onnx and onnxruntime (a venv of its
own: torch is large; the tests only read what this writes). Writes into
test/Models/real/:
  NAME.onnx        the export, weights inline (a few hundred KiB)
  NAME.npz         for each size k: in{k}_{input} and out{k}_{output}, the
                   inputs fed and onnxruntime's outputs
  manifest.json    per model: family, exporter, opset, phase, sizes, and
                   the ops the graph uses

Each model is exported with dynamic batch and sequence (and past) lengths,
so one artifact must run every size. Run:
  python scripts/make_real_exports.py [--only NAME-SUBSTRING] [--out DIR]
"""

import argparse
import collections
import json
import os
import sys
import traceback
import warnings

import numpy as np
import onnx
import onnxruntime
import torch
import transformers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))  # hydrahead.torch

# Small enough that a file stays under ~1 MiB and CI compiles each in
# seconds; big enough for GQA (4 query heads on 2 kv heads) and two layers.
COMMON = dict(vocab_size=64, hidden_size=32, intermediate_size=64,
              num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=256,
              tie_word_embeddings=False)


def configs():
    """family → (config, model class)."""
    t = transformers
    return {
        "llama": (t.LlamaConfig(**COMMON), t.LlamaForCausalLM),
        "qwen3": (t.Qwen3Config(**COMMON, head_dim=8), t.Qwen3ForCausalLM),
        "mistral": (t.MistralConfig(**COMMON, sliding_window=None),
                    t.MistralForCausalLM),
        "gemma2": (t.Gemma2Config(**COMMON, head_dim=8,
                                  attn_logit_softcapping=50.0,
                                  final_logit_softcapping=30.0,
                                  sliding_window=4096,
                                  query_pre_attn_scalar=8),
                   t.Gemma2ForCausalLM),
        "phi3": (t.Phi3Config(**COMMON, pad_token_id=0), t.Phi3ForCausalLM),
    }


class HydraHeadDecoder(torch.nn.Module):
    """A HydraHead decoder written as researchers write one: embedding,
    layers of RMSNorm → q/k/v projections → hydrahead.torch.HybridAttention
    (F and L heads in one layer, fusion scales learned) → output projection
    and residual, RMSNorm → SwiGLU MLP and residual, then RMSNorm and the LM
    head. Layer 0 is 1 F : 3 L gated-delta (decay and beta from the input),
    layer 1 3 L : 1 F plain linear; 4 query heads on 2 kv heads of 8."""

    def __init__(self, vocab=64, hidden=32, ffn=64, head=8, kv_heads=2):
        super().__init__()
        from hydrahead.torch import HybridAttention

        nn = torch.nn
        self.head_dim = head
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList()
        for heads, rule in (("FLLL", "gated_delta"), ("LLLF", "linear")):
            layer = nn.Module()
            layer.norm1, layer.norm2 = nn.RMSNorm(hidden, eps=1e-6), nn.RMSNorm(hidden, eps=1e-6)
            layer.q = nn.Linear(hidden, len(heads) * head, bias=False)
            layer.k = nn.Linear(hidden, kv_heads * head, bias=False)
            layer.v = nn.Linear(hidden, kv_heads * head, bias=False)
            layer.o = nn.Linear(len(heads) * head, hidden, bias=False)
            layer.decay = nn.Linear(hidden, kv_heads, bias=False) if "gated" in rule else None
            layer.beta = nn.Linear(hidden, kv_heads, bias=False) if "delta" in rule else None
            layer.attention = HybridAttention(heads, kv_heads, value_head_dim=head,
                                              update_rule=rule)
            with torch.no_grad():  # learned scales, not all ones
                layer.attention.fusion_scale.uniform_(0.5, 1.5)
            layer.gate = nn.Linear(hidden, ffn, bias=False)
            layer.up = nn.Linear(hidden, ffn, bias=False)
            layer.down = nn.Linear(ffn, hidden, bias=False)
            self.layers.append(layer)
        self.norm = nn.RMSNorm(hidden, eps=1e-6)
        self.head = nn.Linear(hidden, vocab, bias=False)

    def forward(self, input_ids, *past):
        """Logits; with `past` (per layer past_key, past_value, past_state:
        hydrahead.torch's caches), (logits, *presents) in the same order."""
        x = self.embed(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            h = layer.norm1(x)
            decay = (-torch.nn.functional.softplus(layer.decay(h))
                     if layer.decay is not None else None)
            beta = torch.sigmoid(layer.beta(h)) if layer.beta is not None else None
            args = (layer.q(h), layer.k(h), layer.v(h), decay, beta)
            if past:
                a, layer_presents = layer.attention(*args, past=past[3 * i:3 * i + 3])
                presents += layer_presents
            else:
                a = layer.attention(*args)
            x = x + layer.o(a)
            h = layer.norm2(x)
            x = x + layer.down(torch.nn.functional.silu(layer.gate(h)) * layer.up(h))
        logits = self.head(self.norm(x))
        return (logits, *presents) if past else logits

    def empty_past(self, batch):
        """Every layer's caches of an empty past, in forward's order."""
        return [c for layer in self.layers
                for c in layer.attention.empty_past(batch, self.head_dim)]


class Prefill(torch.nn.Module):
    """input_ids [B, S] → logits [B, S, V]; no cache."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False).logits


class Decode(torch.nn.Module):
    """input_ids [B, S] and each layer's past key and value [B, Hkv, P, D]
    → logits and each layer's present key and value [B, Hkv, P + S, D]."""

    def __init__(self, model, layers):
        super().__init__()
        self.model = model
        self.layers = layers

    def forward(self, input_ids, *past):
        cache = transformers.DynamicCache(config=self.model.config)
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, past_key_values=cache,
                         use_cache=True)
        presents = []
        for layer in out.past_key_values.layers:
            presents += [layer.keys, layer.values]
        return (out.logits, *presents)


def head_dim(config):
    return getattr(config, "head_dim", None) or (
        config.hidden_size // config.num_attention_heads)


def example(config, phase, batch, seq, past, rng):
    ids = torch.from_numpy(rng.integers(0, config.vocab_size, (batch, seq)))
    if phase == "prefill":
        return (ids,)
    if getattr(config, "hydrahead", None) is not None:
        # The HydraHead decoder's caches: key and value of the F heads' kv
        # heads (P long), the L heads' states (small: they are sums of P
        # outer products of decayed keys and values).
        caches = []
        for i, c in enumerate(config.hydrahead.empty_past(batch)):
            shape = (c.shape[0], c.shape[1], past, c.shape[3]) if i % 3 != 2 else c.shape
            scale = 1.0 if i % 3 != 2 else 0.3
            caches.append(torch.from_numpy(
                (scale * rng.standard_normal(shape)).astype(np.float32)))
        return (ids, *caches)
    shape = (batch, config.num_key_value_heads, past, head_dim(config))
    kv = [torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
          for _ in range(2 * config.num_hidden_layers)]
    return (ids, *kv)


def names(config, phase):
    if phase == "prefill":
        return ["input_ids"], ["logits"]
    if getattr(config, "hydrahead", None) is not None:
        n = len(config.hydrahead.layers)
        past = [f"past_{kind}_{i}" for i in range(n) for kind in ("key", "value", "state")]
        present = [f"present_{kind}_{i}" for i in range(n)
                   for kind in ("key", "value", "state")]
        return ["input_ids", *past], ["logits", *present]
    n = config.num_hidden_layers
    past = [f"past_{kind}_{i}" for i in range(n) for kind in ("key", "value")]
    present = [f"present_{kind}_{i}" for i in range(n)
               for kind in ("key", "value")]
    return ["input_ids", *past], ["logits", *present]


def export(module, args, inputs, outputs, phase, exporter, opset, path, table=None):
    if exporter == "dynamo":
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
        shapes = [{0: batch, 1: seq}]
        if phase == "decode":
            past = torch.export.Dim("past")
            # forward(input_ids, *past): the past is one tuple argument.
            # A linear state ([B, H, Dk, Dv]) has no past axis.
            shapes = [shapes[0], tuple({0: batch, 2: past} if "state" not in n
                                       else {0: batch} for n in inputs[1:])]
        program = torch.onnx.export(module, args, dynamo=True, opset_version=opset,
                                    input_names=inputs, output_names=outputs,
                                    dynamic_shapes=tuple(shapes), optimize=True,
                                    external_data=False,
                                    custom_translation_table=table)
        program.save(path, external_data=False)
    else:
        axes = {"input_ids": {0: "batch", 1: "seq"}}
        for name in inputs[1:]:
            axes[name] = {0: "batch", 2: "past"}
        for name in outputs:
            axes[name] = ({0: "batch", 1: "seq"} if name == "logits"
                          else {0: "batch", 2: "total"})
        torch.onnx.export(module, args, path, dynamo=False, opset_version=opset,
                          input_names=inputs, output_names=outputs,
                          dynamic_axes=axes)


# (batch, seq, past) tried per phase. The export example avoids sizes 0
# and 1, which torch.export would take for constants.
EXAMPLE = {"prefill": (2, 5, 0), "decode": (2, 3, 6)}
SIZES = {"prefill": [(1, 5, 0), (2, 9, 0), (1, 17, 0)],
         "decode": [(1, 1, 6), (2, 1, 11), (1, 3, 4)]}


def build(family, exporter, opset, phase, attn, outdir, rng):
    name = f"{family}-{phase}-{exporter}-op{opset}-{attn}"
    torch.manual_seed(0)
    table = None
    if family == "hydrahead":
        # The custom op has no cache inputs yet (prefill only), and
        # onnxruntime cannot run it: PyTorch's outputs are the reference.
        from hydrahead.torch import translation_table

        if exporter != "dynamo" or attn != "sdpa":
            raise NotImplementedError("the HydraHead decoder exports with the "
                                      "dynamo exporter only")
        module, table = HydraHeadDecoder().eval(), translation_table()
        config = transformers.PretrainedConfig(vocab_size=64)
        if phase == "decode":
            config.hydrahead = module
    else:
        config, cls = configs()[family]
        config._attn_implementation = attn
        model = cls(config).eval()
        module = (Prefill(model) if phase == "prefill"
                  else Decode(model, config.num_hidden_layers))
    inputs, outputs = names(config, phase)
    path = os.path.join(outdir, name + ".onnx")
    sizes = SIZES[phase]
    if family == "hydrahead" and phase == "decode":
        # One model serves the prompt (an empty past) and every step.
        sizes = [(1, 5, 0)] + sizes
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export(module, example(config, phase, *EXAMPLE[phase], rng), inputs,
               outputs, phase, exporter, opset, path, table)
    m = onnx.load(path)
    # Exporters annotate each node with its Python stack: three quarters of
    # the file and nothing a compiler reads. The graph itself stays as
    # written.
    for n in m.graph.node:
        n.doc_string = ""
        del n.metadata_props[:]
    m.doc_string = ""
    onnx.save(m, path)
    onnx.checker.check_model(m)
    session = (None if family == "hydrahead" else
               onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]))
    arrays, references = {}, []
    for k, size in enumerate(sizes):
        args = example(config, phase, *size, rng)
        feeds = {n: a.numpy() for n, a in zip(inputs, args)}
        with torch.no_grad():
            want = module(*args)
        want = [w.numpy() for w in ([want] if phase == "prefill" else want)]
        try:
            if session is None:
                raise LookupError("onnxruntime has no ai.hydrahead kernels")
            got, reference = session.run(None, feeds), "onnxruntime"
        except LookupError:
            got, reference = want, "torch"
        except onnxruntime.capi.onnxruntime_pybind11_state.InvalidArgument:
            # onnxruntime's RotaryEmbedding-23 wants cos/sin caches of x's
            # batch, where the dynamo exporter writes batch 1 to broadcast:
            # PyTorch's outputs are the reference at batch > 1.
            if size[0] == 1:
                raise
            got, reference = want, "torch"
        references.append(reference)
        for n, g, w in zip(outputs, got, want):
            # The export must be the model: onnxruntime against PyTorch.
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4,
                                       err_msg=f"{name}: {n} at {size}")
            arrays[f"out{k}_{n}"] = g
        for n, a in feeds.items():
            arrays[f"in{k}_{n}"] = a
    np.savez_compressed(os.path.join(outdir, name + ".npz"), **arrays)
    if family == "hydrahead" and phase == "decode":
        greedy_reference(module, os.path.join(outdir, "hydrahead-generate.npz"), rng)
    ops = collections.Counter(
        (n.domain or "") + ("::" if n.domain else "") + n.op_type
        for n in m.graph.node)
    return name, {"family": family, "exporter": exporter, "opset": opset,
                  "phase": phase, "attention": attn, "sizes": sizes,
                  "references": references,
                  "inputs": inputs, "outputs": outputs,
                  "ir_version": m.ir_version, "ops": dict(sorted(ops.items())),
                  "bytes": os.path.getsize(path)}


def greedy_reference(module, path, rng, prompt_len=8, steps=16):
    """PyTorch's greedy tokens for a prompt, the reference of the generate
    examples (examples/generate.py, examples/generate.c): the prompt in one
    call with an empty past, then one token a call with the caches fed
    back. Checked against recomputing the whole sequence each step."""
    prompt = torch.from_numpy(rng.integers(0, 64, (1, prompt_len)))
    tokens = []
    with torch.no_grad():
        logits, *past = module(prompt, *module.empty_past(1))
        for _ in range(steps):
            tokens.append(int(logits[0, -1].argmax()))
            logits, *past = module(torch.tensor([[tokens[-1]]]), *past)
        whole = torch.cat([prompt, torch.tensor([tokens])], dim=1)
        again = module(whole)[0, prompt_len - 1:-1].argmax(-1).tolist()
    if again != tokens:
        raise AssertionError(f"cached greedy tokens {tokens} differ from the "
                             f"uncached ones {again}")
    np.savez_compressed(path, prompt=prompt.numpy(), tokens=np.array(tokens))


# (exporter, opset): the dynamo exporter at opset 18 (SDPA decomposed with
# its guards) and 23 (Attention), TorchScript at 18.
VARIANTS = [("dynamo", 23), ("dynamo", 18), ("torchscript", 18)]


def variants():
    """(family, exporter, opset, phase, attention) of every export tried."""
    out = []
    for family in list(configs()) + ["hydrahead"]:
        for exporter, opset in VARIANTS:
            for phase in ("prefill", "decode"):
                for attn in ("sdpa", "eager"):
                    if family == "hydrahead" and (attn != "sdpa" or exporter != "dynamo"
                                                  or opset != 23 and phase == "decode"):
                        continue  # one attention: the module's own
                    out.append((family, exporter, opset, phase, attn))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "Models", "real"))
    parser.add_argument("--only", default="", help="build names containing this")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest, failures = {}, {}
    if args.only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        manifest, failures = old["models"], old["export_failures"]
    rng = np.random.default_rng(0)
    for family, exporter, opset, phase, attn in variants():
        name = f"{family}-{phase}-{exporter}-op{opset}-{attn}"
        if args.only not in name:
            continue
        manifest.pop(name, None)
        failures.pop(name, None)
        try:
            name, entry = build(family, exporter, opset, phase, attn, args.out, rng)
            manifest[name] = entry
            print(f"ok    {name} ({entry['bytes'] // 1024} KiB)")
        except Exception as e:  # an exporter's limit, recorded
            first = str(e).splitlines()[0] if str(e) else ""
            failures[name] = f"{type(e).__name__}: {first}"[:300]
            print(f"fail  {name}: {failures[name]}")
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
            for ext in (".onnx", ".npz"):
                p = os.path.join(args.out, name + ext)
                if os.path.exists(p):
                    os.remove(p)
    with open(manifest_path, "w") as f:
        json.dump({"torch": torch.__version__,
                   "transformers": transformers.__version__,
                   "onnx": onnx.__version__,
                   "onnxruntime": onnxruntime.__version__,
                   "models": manifest,
                   "export_failures": failures}, f, indent=1, sort_keys=True)
    print(f"{len(manifest)} exported, {len(failures)} failed to export")


if __name__ == "__main__":
    sys.exit(main())

"""HydraHead's hybrid attention as a PyTorch module.

`HybridAttention` computes the layer's reference semantics in PyTorch
(full softmax attention on the F heads, the linear-attention recurrence on
the L heads, the scale-normalized fusion: docs/custom-op.md), so a model
written with it trains and runs in PyTorch. torch.onnx's dynamo exporter
writes it as one `ai.hydrahead::HybridAttention` node when given
`translation_table()`:

    from hydrahead.torch import HybridAttention, translation_table
    torch.onnx.export(model, args, dynamo=True,
                      custom_translation_table=translation_table())

which hydra compiles to its fused kernels. Needs torch (and onnxscript for
the export).
"""

import math
from typing import Optional

import torch

__all__ = ["HybridAttention", "hybrid_attention_reference", "kv_heads_of", "translation_table"]

RULES = ("linear", "gated", "delta", "gated_delta")


def _linear_heads(q, k, v, decay, beta, rule, scale, state=None):
    """One L head: q [B, S, Dk], k [B, S, Dk], v [B, S, Dv]; decay [B, S] or
    [B, S, Dk] (log space), beta [B, S]; the state [B, Dk, Dv] starts at
    `state`, else 0. Returns the outputs and the state after the last step."""
    b, s, dk = q.shape
    state = q.new_zeros(b, dk, v.shape[-1]) if state is None else state.to(q.dtype)
    out = []
    for t in range(s):
        kt, vt = k[:, t], v[:, t]
        if rule in ("gated", "gated_delta"):
            g = torch.exp(decay[:, t])
            state = state * (g[:, :, None] if g.dim() == 2 else g[:, None, None])
        if rule in ("delta", "gated_delta"):
            predicted = torch.einsum("bkv,bk->bv", state, kt)
            vt = beta[:, t, None] * (vt - predicted)
        state = state + torch.einsum("bk,bv->bkv", kt, vt)
        out.append(scale * torch.einsum("bk,bkv->bv", q[:, t], state))
    return (torch.stack(out, dim=1) if out else q.new_zeros(b, 0, v.shape[-1])), state


def kv_heads_of(heads, kind, kv_num_heads):
    """The kv heads that at least one `kind` ("F" or "L") head reads, in
    increasing order: the heads a key cache (F) or a state (L) holds."""
    group = len(heads) // kv_num_heads
    return sorted({h // group for h, c in enumerate(heads) if c == kind})


def hybrid_attention_reference(query, key, value, fusion_scale=None, decay=None,
                               beta=None, past_key=None, past_value=None,
                               past_state=None, *, heads, q_num_heads, kv_num_heads,
                               update_rule="linear", is_causal=True, scale=None,
                               linear_scale=None, fusion_epsilon=1e-6,
                               return_presents=False):
    """The contract of ai.hydrahead::HybridAttention in PyTorch, in float32
    (or float64 inputs' precision): packed [B, S, H·D] in, [B, S, Hq·Dv] out.
    With caches (past_key/past_value [B, Hkv_F, P, D], past_state
    [B, Hkv_L, Dk, Dv]) the F heads attend past then new keys (query i sees
    keys j <= P + i) and the L heads start from past_state. With
    `return_presents`, returns (Y, present_key, present_value,
    present_state); a kind with no heads gives None for its caches."""
    hq, hkv = q_num_heads, kv_num_heads
    if len(heads) != hq or set(heads) - {"F", "L"}:
        raise ValueError(f"heads {heads!r} must be {hq} characters F or L")
    if hq % hkv:
        raise ValueError(f"q_num_heads {hq} is not a multiple of kv_num_heads {hkv}")
    if update_rule not in RULES:
        raise ValueError(f"unknown update_rule {update_rule!r}")
    gated, delta = update_rule in ("gated", "gated_delta"), update_rule in ("delta", "gated_delta")
    if gated != (decay is not None) or delta != (beta is not None):
        raise ValueError(f"update_rule {update_rule!r}: decay is for the gated rules, "
                         "beta for the delta rules")
    compute = torch.float64 if query.dtype == torch.float64 else torch.float32
    b, s, _ = query.shape
    t = key.shape[1]
    dk, dv = query.shape[-1] // hq, value.shape[-1] // hkv
    q = query.to(compute).view(b, s, hq, dk).transpose(1, 2)
    k = key.to(compute).view(b, t, hkv, dk).transpose(1, 2)
    v = value.to(compute).view(b, t, hkv, dv).transpose(1, 2)
    if decay is not None:
        decay = decay.to(compute)
        # [B, T, Hkv] → per head [B, T]; [B, T, Hkv·Dk] → [B, T, Dk]
        decay = (decay.transpose(1, 2) if decay.shape[-1] == hkv
                 else decay.view(b, t, hkv, dk).transpose(1, 2))
    if beta is not None:
        beta = beta.to(compute).transpose(1, 2)  # [B, Hkv or 1, T]
    group = hq // hkv
    full_kv = kv_heads_of(heads, "F", hkv)
    linear_kv = kv_heads_of(heads, "L", hkv)
    # The keys and values F heads attend: the past's, then this call's.
    fk, fv = k[:, full_kv], v[:, full_kv]
    if past_key is not None:
        fk = torch.cat([past_key.to(compute), fk], dim=2)
        fv = torch.cat([past_value.to(compute), fv], dim=2)
    past = fk.shape[2] - t
    outs, states = [], {}
    for h, kind in enumerate(heads):
        g = h // group
        if kind == "F":
            i = full_kv.index(g)
            scores = (scale if scale is not None else 1 / math.sqrt(dk)) * (
                q[:, h] @ fk[:, i].transpose(-1, -2))
            if is_causal:  # query i sees keys j <= i + past
                keep = torch.ones(s, past + t, dtype=torch.bool,
                                  device=query.device).tril(past)
                scores = scores.masked_fill(~keep, float("-inf"))
            outs.append(torch.softmax(scores, dim=-1) @ fv[:, i])
        else:
            if s != t:
                raise ValueError("linear heads need as many keys as queries")
            state = None if past_state is None else past_state[:, linear_kv.index(g)]
            o, states[g] = _linear_heads(
                q[:, h], k[:, g], v[:, g],
                None if decay is None else decay[:, g],
                None if beta is None else beta[:, g if beta.shape[1] > 1 else 0],
                update_rule,
                linear_scale if linear_scale is not None else 1 / math.sqrt(dk), state)
            outs.append(o)
    o = torch.stack(outs, dim=1)  # [B, Hq, S, Dv]
    if fusion_scale is not None:
        rms = torch.sqrt(torch.mean(o * o, dim=-1, keepdim=True) + fusion_epsilon)
        o = fusion_scale.to(compute)[None, :, None, :] * o / rms
    y = o.transpose(1, 2).reshape(b, s, hq * dv).to(query.dtype)
    if not return_presents:
        return y
    present_state = (torch.stack([states[g] for g in linear_kv], dim=1).float()
                     if linear_kv else None)
    if not full_kv:
        return y, None, None, present_state
    return y, fk.to(key.dtype), fv.to(value.dtype), present_state


@torch.library.custom_op("hydrahead::hybrid_attention", mutates_args=())
def _hybrid_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      fusion_scale: Optional[torch.Tensor], decay: Optional[torch.Tensor],
                      beta: Optional[torch.Tensor], heads: str, q_num_heads: int,
                      kv_num_heads: int, update_rule: str, is_causal: bool,
                      scale: Optional[float], linear_scale: Optional[float],
                      fusion_epsilon: float) -> torch.Tensor:
    return hybrid_attention_reference(
        query, key, value, fusion_scale, decay, beta, heads=heads,
        q_num_heads=q_num_heads, kv_num_heads=kv_num_heads, update_rule=update_rule,
        is_causal=is_causal, scale=scale, linear_scale=linear_scale,
        fusion_epsilon=fusion_epsilon)


@_hybrid_attention.register_fake
def _(query, key, value, fusion_scale, decay, beta, heads, q_num_heads, kv_num_heads,
      update_rule, is_causal, scale, linear_scale, fusion_epsilon):
    b, s, _ = query.shape
    return query.new_empty(b, s, q_num_heads * (value.shape[-1] // kv_num_heads))


@torch.library.custom_op("hydrahead::hybrid_attention_cached", mutates_args=())
def _hybrid_attention_cached(
        query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
        fusion_scale: Optional[torch.Tensor], decay: Optional[torch.Tensor],
        beta: Optional[torch.Tensor], past_key: torch.Tensor, past_value: torch.Tensor,
        past_state: torch.Tensor, heads: str, q_num_heads: int, kv_num_heads: int,
        update_rule: str, is_causal: bool, scale: Optional[float],
        linear_scale: Optional[float], fusion_epsilon: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    y, pk, pv, ps = hybrid_attention_reference(
        query, key, value, fusion_scale, decay, beta, past_key, past_value, past_state,
        heads=heads, q_num_heads=q_num_heads, kv_num_heads=kv_num_heads,
        update_rule=update_rule, is_causal=is_causal, scale=scale,
        linear_scale=linear_scale, fusion_epsilon=fusion_epsilon, return_presents=True)
    return y, pk.clone(), pv.clone(), ps


@_hybrid_attention_cached.register_fake
def _(query, key, value, fusion_scale, decay, beta, past_key, past_value, past_state,
      heads, q_num_heads, kv_num_heads, update_rule, is_causal, scale, linear_scale,
      fusion_epsilon):
    b, s, _ = query.shape
    y = query.new_empty(b, s, q_num_heads * (value.shape[-1] // kv_num_heads))
    total = past_key.shape[2] + key.shape[1]
    return (y, past_key.new_empty(b, past_key.shape[1], total, past_key.shape[3]),
            past_value.new_empty(b, past_value.shape[1], total, past_value.shape[3]),
            past_state.new_empty(past_state.shape))


class HybridAttention(torch.nn.Module):
    """Hybrid attention over packed projections: forward(query [B, S, Hq·Dk],
    key [B, T, Hkv·Dk], value [B, T, Hkv·Dv], decay=None, beta=None) →
    [B, S, Hq·Dv]. `heads` says F or L per query head; with `fusion` (the
    default) the module owns the fusion's learned scales γ [Hq, Dv]
    (`fusion_scale`, initialized to 1), which needs `value_head_dim`."""

    def __init__(self, heads: str, kv_num_heads: int, value_head_dim: Optional[int] = None,
                 update_rule: str = "linear", is_causal: bool = True,
                 scale: Optional[float] = None, linear_scale: Optional[float] = None,
                 fusion: bool = True, fusion_epsilon: float = 1e-6):
        super().__init__()
        if set(heads) - {"F", "L"} or not heads:
            raise ValueError(f"heads {heads!r} must be characters F or L")
        if len(heads) % kv_num_heads:
            raise ValueError(f"{len(heads)} query heads are not a multiple of "
                             f"{kv_num_heads} kv heads")
        if update_rule not in RULES:
            raise ValueError(f"unknown update_rule {update_rule!r}")
        self.heads, self.kv_num_heads = heads, kv_num_heads
        self.update_rule, self.is_causal = update_rule, is_causal
        self.scale, self.linear_scale = scale, linear_scale
        self.fusion_epsilon = fusion_epsilon
        if fusion:
            if value_head_dim is None:
                raise ValueError("fusion needs value_head_dim")
            self.fusion_scale = torch.nn.Parameter(torch.ones(len(heads), value_head_dim))
        else:
            self.register_parameter("fusion_scale", None)

    def forward(self, query, key, value, decay=None, beta=None, past=None):
        """Without `past`, Y. With `past` = (past_key, past_value,
        past_state) (docs/custom-op.md, "Caches"; an empty past_key of P = 0
        and a zero past_state for a prompt), (Y, presents) where presents
        is the same triple after this call: feed it back as the next
        call's past. The layer needs at least one F and one L head for it."""
        if past is None:
            return torch.ops.hydrahead.hybrid_attention(
                query, key, value, self.fusion_scale, decay, beta, self.heads,
                len(self.heads), self.kv_num_heads, self.update_rule, self.is_causal,
                self.scale, self.linear_scale, self.fusion_epsilon)
        if "F" not in self.heads or "L" not in self.heads:
            raise ValueError(f"heads {self.heads!r}: caches need F and L heads")
        y, *presents = torch.ops.hydrahead.hybrid_attention_cached(
            query, key, value, self.fusion_scale, decay, beta, *past, self.heads,
            len(self.heads), self.kv_num_heads, self.update_rule, self.is_causal,
            self.scale, self.linear_scale, self.fusion_epsilon)
        return y, tuple(presents)

    def empty_past(self, batch, head_dim=None, value_head_dim=None, dtype=torch.float32):
        """The caches of an empty past (a prompt): past_key and past_value
        with P = 0 over the F heads' kv heads, a zero past_state over the L
        heads'."""
        dk = head_dim if head_dim is not None else value_head_dim
        dv = value_head_dim if value_head_dim is not None else dk
        nf = len(kv_heads_of(self.heads, "F", self.kv_num_heads))
        nl = len(kv_heads_of(self.heads, "L", self.kv_num_heads))
        return (torch.zeros(batch, nf, 0, dk, dtype=dtype),
                torch.zeros(batch, nf, 0, dv, dtype=dtype),
                torch.zeros(batch, nl, dk, dv, dtype=torch.float32))


def translation_table():
    """torch.onnx's custom_translation_table entry writing the module as
    one ai.hydrahead::HybridAttention node (version 1)."""
    import onnxscript

    from hydrahead import onnx_schema

    onnx_schema.register()
    hydra = onnxscript.values.Opset(onnx_schema.DOMAIN, onnx_schema.VERSION)
    node = onnxscript.values.Op(hydra, "HybridAttention")
    # A layer without caches: a node of one output.
    uncached = onnxscript.values.Op(hydra, "HybridAttention",
                                    op_schema=onnx_schema.schema(with_caches=False))

    def attributes(heads, q_num_heads, kv_num_heads, update_rule, is_causal, scale,
                   linear_scale, fusion_epsilon):
        attrs = dict(heads=heads, q_num_heads=q_num_heads, kv_num_heads=kv_num_heads,
                     update_rule=update_rule, is_causal=int(is_causal),
                     fusion_epsilon=fusion_epsilon)
        if scale is not None:
            attrs["scale"] = scale
        if linear_scale is not None:
            attrs["linear_scale"] = linear_scale
        return attrs

    def to_onnx(query, key, value, fusion_scale, decay, beta, *config):
        return uncached(query, key, value, fusion_scale, decay, beta, **attributes(*config))

    def cached_to_onnx(query, key, value, fusion_scale, decay, beta, past_key, past_value,
                       past_state, *config):
        return node(query, key, value, fusion_scale, decay, beta, past_key, past_value,
                    past_state, **attributes(*config))

    return {torch.ops.hydrahead.hybrid_attention.default: to_onnx,
            torch.ops.hydrahead.hybrid_attention_cached.default: cached_to_onnx}

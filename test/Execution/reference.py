"""Float64 reference of hydra.hybrid_attention, written from the ONNX
definitions (Attention-23 for F heads, LinearAttention-27 for L heads) in
their plain, untiled form: full softmax and the step-by-step recurrence."""

import numpy as np


def full_attention_head(q, k, v, scale, causal, softcap=None, mask=None):
    """q [S,Dk], k [T,Dk], v [T,Dv]; mask [S,T] bool (True keeps) or float
    (added). Returns [S,Dv]."""
    s = (q @ k.T) * scale
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    if mask is not None:
        if mask.dtype == np.bool_:
            s = np.where(mask, s, -np.inf)
        else:
            s = s + mask
    if causal:
        S, T = s.shape
        future = np.arange(T)[None, :] > np.arange(S)[:, None]
        s = np.where(future, -np.inf, s)
    m = np.max(s, axis=-1, keepdims=True)
    p = np.exp(s - m)
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def linear_attention_head(q, k, v, scale, rule, decay=None, beta=None,
                          state=None, return_state=False):
    """q [T,Dk], k [T,Dk], v [T,Dv]; decay [T] or [T,Dk] (log-space);
    beta [T]; state [Dk,Dv] the initial state (zero if None). The
    recurrence of LinearAttention-27, one step at a time."""
    T, dk = k.shape
    state = (np.zeros((dk, v.shape[1])) if state is None
             else np.array(state, np.float64))
    out = np.zeros((T, v.shape[1]))
    for t in range(T):
        if rule in ("gated", "gated_delta"):
            g = decay[t]
            state = state * np.exp(np.reshape(g, (-1, 1)) if np.ndim(g) else g)
        vt = v[t]
        if rule in ("delta", "gated_delta"):
            vt = beta[t] * (vt - state.T @ k[t])
        state = state + np.outer(k[t], vt)
        out[t] = scale * (q[t] @ state)
    return (out, state) if return_state else out


def hybrid_attention(q, k, v, heads, *, causal=False, scale=None,
                     linear_scale=None, softcap=None, mask=None,
                     rule="linear", decay=None, beta=None, fusion_scale=None,
                     epsilon=1e-6, initial_state=None, return_state=False):
    """q [B,Hq,S,Dk], k [B,Hkv,T,Dk], v [B,Hkv,T,Dv]; decay [B,Hkv,T(,Dk)];
    beta [B,Hkv or 1,T]; mask broadcastable to [B,Hq,S,T];
    fusion_scale [Hq,Dv]. Returns [B,Hq,S,Dv] in float64."""
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    B, Hq, S, Dk = q.shape
    Hkv = k.shape[1]
    group = Hq // Hkv
    scale = 1.0 / np.sqrt(Dk) if scale is None else scale
    linear_scale = 1.0 / np.sqrt(Dk) if linear_scale is None else linear_scale
    if mask is not None:
        mask = np.broadcast_to(mask, (B, Hq, S, k.shape[2]))
        if mask.dtype != np.bool_:
            mask = mask.astype(np.float64)
    out = np.zeros((B, Hq, S, v.shape[3]))
    final = np.zeros((B, Hkv, Dk, v.shape[3]))
    for b in range(B):
        for h in range(Hq):
            kv = h // group
            if heads[h] == "F":
                o = full_attention_head(q[b, h], k[b, kv], v[b, kv], scale,
                                        causal, softcap,
                                        None if mask is None else mask[b, h])
            else:
                d = None if decay is None else np.asarray(decay, np.float64)[b, kv]
                bt = None
                if beta is not None:
                    beta64 = np.asarray(beta, np.float64)
                    bt = beta64[b, 0 if beta64.shape[1] == 1 else kv]
                s0 = None if initial_state is None else initial_state[b, kv]
                o, final[b, kv] = linear_attention_head(
                    q[b, h], k[b, kv], v[b, kv], linear_scale, rule, d, bt,
                    state=s0, return_state=True)
            if fusion_scale is not None:
                g = np.asarray(fusion_scale, np.float64)[h]
                o = g * o / np.sqrt(np.mean(o * o, axis=-1, keepdims=True) + epsilon)
            out[b, h] = o
    return (out, final) if return_state else out

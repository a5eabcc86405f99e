"""The ONNX schema of ai.hydrahead::HybridAttention (version 1), so that
onnx.checker, shape inference and exporters (onnxscript) know the op.
docs/custom-op.md is the contract in words; hydra's importer checks the
same rules. Needs only onnx."""

import onnx
from onnx.defs import OpSchema

DOMAIN = "ai.hydrahead"
VERSION = 1

_P = OpSchema.FormalParameter
_OPTIONAL = OpSchema.FormalParameterOption.Optional


def _attr(name, default_or_type, doc, required=False):
    if isinstance(default_or_type, OpSchema.AttrType):
        return OpSchema.Attribute(name, default_or_type, doc, required=required)
    return OpSchema.Attribute(name, onnx.helper.make_attribute(name, default_or_type), doc)


def schema(with_caches=True):
    """The op's schema; without `with_caches`, its form with no cache
    inputs and one output (what an exporter writes for a layer run without
    caches: onnxscript gives a node every output its schema lists)."""
    cache_inputs = [
        _P("past_key", "T", "[B, Hkv_F, P, Dk]", param_option=_OPTIONAL),
        _P("past_value", "T", "[B, Hkv_F, P, Dv]", param_option=_OPTIONAL),
        _P("past_state", "S", "[B, Hkv_L, Dk, Dv]", param_option=_OPTIONAL)]
    cache_outputs = [
        _P("present_key", "T", "[B, Hkv_F, P+S, Dk]", param_option=_OPTIONAL),
        _P("present_value", "T", "[B, Hkv_F, P+S, Dv]", param_option=_OPTIONAL),
        _P("present_state", "S", "[B, Hkv_L, Dk, Dv]", param_option=_OPTIONAL)]
    if not with_caches:
        cache_inputs, cache_outputs = [], []
    return OpSchema(
        "HybridAttention", DOMAIN, VERSION,
        doc="Head-level hybrid attention: full softmax attention on the F heads, "
            "linear attention on the L heads, and the scale-normalized fusion "
            "(docs/custom-op.md).",
        inputs=[_P("query", "T", "[B, S, Hq*Dk]"),
                _P("key", "T", "[B, T, Hkv*Dk]"),
                _P("value", "T", "[B, T, Hkv*Dv]"),
                _P("fusion_scale", "T", "[Hq, Dv]", param_option=_OPTIONAL),
                _P("decay", "T", "[B, T, Hkv] or [B, T, Hkv*Dk]", param_option=_OPTIONAL),
                _P("beta", "T", "[B, T, Hkv] or [B, T, 1]", param_option=_OPTIONAL),
                *cache_inputs],
        outputs=[_P("Y", "T", "[B, S, Hq*Dv]"), *cache_outputs],
        type_constraints=[("T", ["tensor(float)", "tensor(float16)", "tensor(bfloat16)"],
                           "float tensors"),
                          ("S", ["tensor(float)"], "the linear heads' state, float32")],
        attributes=[
            _attr("heads", OpSchema.AttrType.STRING, "F or L per query head", True),
            _attr("q_num_heads", OpSchema.AttrType.INT, "Hq", True),
            _attr("kv_num_heads", OpSchema.AttrType.INT, "Hkv", True),
            _attr("update_rule", "linear", "linear, gated, delta or gated_delta"),
            _attr("is_causal", 1, "F heads: query i attends keys j <= i"),
            _attr("scale", OpSchema.AttrType.FLOAT, "F score scale (default 1/sqrt(Dk))"),
            _attr("linear_scale", OpSchema.AttrType.FLOAT, "L output scale (default 1/sqrt(Dk))"),
            _attr("fusion_epsilon", 1e-6, "epsilon of the fusion's RMS normalization"),
        ])


def register():
    """Registers the schema with onnx once (later calls do nothing)."""
    try:
        onnx.defs.get_schema("HybridAttention", VERSION, DOMAIN)
    except onnx.defs.SchemaError:
        onnx.defs.register_schema(schema())

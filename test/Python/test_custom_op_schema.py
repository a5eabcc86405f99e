"""hydrahead.onnx_schema registers ai.hydrahead::HybridAttention with onnx,
so onnx.checker validates models that use it (and exporters can write it):
the example's custom spelling passes the full check, and nodes that break
the contract are refused by the checker as by hydra."""

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import hydrahead  # noqa: E402
from hydrahead import onnx_schema  # noqa: E402
from hybrid_models import HybridLayer  # noqa: E402

onnx_schema.register()


@pytest.mark.parametrize("rule", ["linear", "gated", "delta", "gated_delta"])
def test_example_models_pass_the_checker(rule):
    layer = HybridLayer("FLLL", S=8, rule=rule,
                        fusion_scale=np.ones((4, 16), np.float32))
    onnx.checker.check_model(layer.custom_model(), full_check=True)


def test_models_with_caches_pass_the_checker():
    layer = HybridLayer("FLLL", S=3, past=5, rule="gated_delta",
                        fusion_scale=np.ones((4, 16), np.float32))
    onnx.checker.check_model(layer.custom_model(), full_check=True)


def test_register_is_idempotent():
    onnx_schema.register()
    assert onnx.defs.get_schema("HybridAttention", 1, "ai.hydrahead").domain == "ai.hydrahead"


def broken(drop=None, **extra):
    m = HybridLayer("FL", S=8, rule="linear").custom_model()
    node = m.graph.node[0]
    keep = [a for a in node.attribute if a.name != drop]
    del node.attribute[:]
    node.attribute.extend(keep)
    node.attribute.extend(helper.make_attribute(k, v) for k, v in extra.items())
    return m


@pytest.mark.parametrize("drop", ["heads", "q_num_heads", "kv_num_heads"])
def test_a_missing_required_attribute_is_refused(drop):
    with pytest.raises(onnx.checker.ValidationError, match=drop):
        onnx.checker.check_model(broken(drop=drop))
    with pytest.raises(hydrahead.HydraError):
        hydrahead.compile(broken(drop=drop).SerializeToString())


def test_an_unknown_attribute_is_refused():
    with pytest.raises(onnx.checker.ValidationError, match="softcap"):
        onnx.checker.check_model(broken(softcap=2.0))
    with pytest.raises(hydrahead.HydraError, match="not supported: attribute 'softcap'"):
        hydrahead.compile(broken(softcap=2.0).SerializeToString())

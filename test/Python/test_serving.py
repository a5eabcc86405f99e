"""A compiled model behind Triton Inference Server through PyTriton
(examples/serve_triton.py), asked with tritonclient over HTTP on the
loopback address: the suite's HydraHead prefill model must answer with
PyTorch's logits. Runs in .venv-serve (scripts/setup.sh), PyTriton's own
environment; every wait is bounded."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
SERVE_PYTHON = os.path.join(ROOT, ".venv-serve", "bin", "python")
SUITE = os.path.join(ROOT, "test", "Models", "real")
MODEL = os.path.join(SUITE, "hydrahead-prefill-dynamo-op23-sdpa.onnx")
REFERENCE = np.load(os.path.join(SUITE, "hydrahead-prefill-dynamo-op23-sdpa.npz"))
START_SECONDS = 180

CLIENT = """
import json, sys, time, numpy as np, tritonclient.http as http
port, deadline = sys.argv[1], time.time() + float(sys.argv[2])
client = http.InferenceServerClient(f"127.0.0.1:{port}")
while True:
    try:
        if client.is_model_ready("hydra"):
            break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("the server did not get ready")
    time.sleep(0.5)
meta = client.get_model_metadata("hydra")
answers = []
for ids in json.loads(sys.argv[3]):
    ids = np.array(ids, np.int64)
    x = http.InferInput("input_ids", ids.shape, "INT64")
    x.set_data_from_numpy(ids)
    answers.append(client.infer("hydra", [x]).as_numpy("logits").tolist())
print(json.dumps({"inputs": meta["inputs"], "logits": answers}))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    assert os.path.exists(SERVE_PYTHON), "no .venv-serve: run scripts/setup.sh"
    artifact = tmp_path / "prefill.hydra"
    artifact.write_bytes(hydrahead.compile(MODEL))
    ports = [free_port() for _ in range(3)]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"),
               HYDRA_LIB_DIR=os.path.join(BUILD, "lib"))
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [SERVE_PYTHON, os.path.join(ROOT, "examples", "serve_triton.py"), str(artifact),
         "--http-port", str(ports[0]), "--grpc-port", str(ports[1]),
         "--metrics-port", str(ports[2])],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True)
    yield ports[0], artifact, tmp_path / "server.log"
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    log.close()


def test_triton_serves_pytorchs_logits(server):
    port, artifact, log = server
    prompts = [REFERENCE[f"in{i}_input_ids"].tolist() for i in range(3)]
    start = time.time()
    proc = subprocess.run([SERVE_PYTHON, "-c", CLIENT, str(port), str(START_SECONDS),
                           json.dumps(prompts)],
                          capture_output=True, text=True, timeout=START_SECONDS + 120)
    assert proc.returncode == 0, proc.stderr + "\n--- server log ---\n" + open(log).read()[-4000:]
    answer = json.loads(proc.stdout.splitlines()[-1])
    assert [(i["name"], i["datatype"], i["shape"]) for i in answer["inputs"]] == [
        ("input_ids", "INT64", [-1, -1])]
    local = hydrahead.Session(hydrahead.Module(str(artifact)))
    for i, logits in enumerate(answer["logits"]):
        logits = np.array(logits, np.float32)
        # The server's answer is hydra's, bit for bit ...
        np.testing.assert_array_equal(
            logits, local.run({"input_ids": REFERENCE[f"in{i}_input_ids"]})["logits"])
        # ... and hydra's is PyTorch's.
        np.testing.assert_allclose(logits, REFERENCE[f"out{i}_logits"], atol=1e-4, rtol=1e-4)
    assert time.time() - start < START_SECONDS + 120

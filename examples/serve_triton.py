"""Serves a hydra artifact behind Triton Inference Server through PyTriton
(`pip install nvidia-pytriton hydrahead`): one Triton model whose inputs
and outputs are the artifact function's signature, each request one call
of a hydra session.

    python examples/serve_triton.py MODEL.hydra [--name hydra]
        [--address 127.0.0.1] [--http-port 8000] [--grpc-port 8001]
        [--metrics-port 8002] [--device cpu] [--threads 0]

Then any Triton client asks for it, e.g. with tritonclient:

    client = tritonclient.http.InferenceServerClient("127.0.0.1:8000")
    inputs = [tritonclient.http.InferInput("query", q.shape, "FP32"), ...]
    result = client.infer("hydra", inputs)

Sizes the artifact leaves dynamic are dynamic in the Triton model (-1);
Triton's own batching is off: the batch is whatever the artifact takes.
test/Python/test_serving.py runs it on the loopback address.
"""

import argparse
import os
import sysconfig

import numpy as np


def tensor_specs(module, function, inputs):
    """PyTriton's Tensor specs for the function's inputs or outputs."""
    from pytriton.model_config import Tensor
    return [Tensor(name=name, dtype=dtype.type,
                   shape=tuple(-1 if d is None else d for d in shape))
            for name, dtype, shape in module.signature(function, inputs=inputs)]


def serve(artifact, name="hydra", address="127.0.0.1", http_port=8000, grpc_port=8001,
          metrics_port=8002, device="cpu", threads=0, function=None):
    import hydrahead
    from pytriton.model_config import ModelConfig
    from pytriton.triton import Triton, TritonConfig

    module = hydrahead.Module(artifact)
    session = hydrahead.Session(module, device=device, threads=threads)
    function = function or module.functions[0]
    output_names = [n for n, _, _ in module.signature(function, inputs=False)]

    def infer(requests):
        # One hydra call a request: the session runs calls one at a time on
        # its device anyway, and each request may have its own sizes.
        responses = []
        for request in requests:
            out = session.run({k: np.asarray(v) for k, v in request.items()}, function)
            responses.append({n: out[n] for n in output_names})
        return responses

    # Triton's Python backend stub, which runs `infer` in this environment,
    # loads libpython by its SONAME: make that this interpreter's (a pyenv
    # Python and the system's libpython of another patch release disagree
    # on the standard library's internals).
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir:
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (libdir, os.environ.get("LD_LIBRARY_PATH")) if p)
    config = TritonConfig(http_address=address, http_port=http_port,
                          grpc_address=address, grpc_port=grpc_port,
                          metrics_port=metrics_port)
    with Triton(config=config) as triton:
        triton.bind(model_name=name, infer_func=infer,
                    inputs=tensor_specs(module, function, True),
                    outputs=tensor_specs(module, function, False),
                    config=ModelConfig(batching=False))
        print(f"serving {artifact} ({function}) as '{name}' on "
              f"http://{address}:{http_port}", flush=True)
        triton.serve()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact")
    parser.add_argument("--name", default="hydra")
    parser.add_argument("--function")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    serve(args.artifact, args.name, args.address, args.http_port, args.grpc_port,
          args.metrics_port, args.device, args.threads, args.function)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Run a TorchScript file in Python's PyTorch, for parity checks from C++.

Usage: run_torchscript.py MODEL.pt INPUTS.pt --output OUT.npy [--warmup 3] [--repeat 20] [--threads 1]

INPUTS.pt: a dict of tensors written by xt::save_tensors; "input0", "input1",
... are passed to the model in that order. The output of the last run goes
to OUT.npy; one JSON line reports the PyTorch version and per-run
milliseconds. Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("inputs")
    parser.add_argument("--output", required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = torch.jit.load(args.model)
    model.eval()
    tensors = torch.load(args.inputs)
    inputs = [tensors[f"input{i}"] for i in range(len(tensors)) if f"input{i}" in tensors]
    if not inputs:
        print(f"{args.inputs}: no input0, input1, ... tensors", file=sys.stderr)
        return 1
    latency = []
    with torch.no_grad():
        for _ in range(args.warmup):
            model(*inputs)
        for _ in range(max(args.repeat, 1)):
            start = time.perf_counter()
            output = model(*inputs)
            latency.append((time.perf_counter() - start) * 1e3)
    np.save(args.output, output.numpy())
    print(json.dumps({"torch": torch.__version__, "latency_ms": latency}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

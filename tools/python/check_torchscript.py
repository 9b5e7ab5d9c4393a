#!/usr/bin/python3
"""Load a TorchScript file written from C++ and check it in Python.

Usage: check_torchscript.py MODEL.pt TENSORS.pt [--atol 1e-5]

TENSORS.pt is a dict saved by the C++ side with torch::pickle_save:
  "input"    the model input
  "expected" what the C++ side computed for it
Prints the manifest's model type (if the file has an xtorch manifest), the
output shape and the max abs difference; exits 1 when it exceeds --atol.
Run it with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import sys

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("tensors")
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()

    extra = {"xtorch_manifest.json": ""}
    model = torch.jit.load(args.model, _extra_files=extra)
    model.eval()
    manifest = json.loads(extra["xtorch_manifest.json"]) if extra["xtorch_manifest.json"] else None
    tensors = torch.load(args.tensors)
    with torch.no_grad():
        output = model(tensors["input"])
    diff = (output - tensors["expected"]).abs().max().item()
    kind = manifest["model_type"] if manifest else "plain TorchScript"
    print(f"python: torch {torch.__version__}, loaded {kind}, output {tuple(output.shape)}, "
          f"max abs diff to C++ {diff:.3g}")
    return 0 if diff <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())

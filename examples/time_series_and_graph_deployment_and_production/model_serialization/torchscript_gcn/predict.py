#!/usr/bin/python3
"""Deploy to Python: run the GCN exported from C++ with torch.jit.load.

Usage: predict.py GCN.pt INPUTS.pt [--atol 1e-5]

GCN.pt    the TorchScript file written by torchscript_gcn (gcn.pt or gcn_frozen.pt)
INPUTS.pt the tensors the C++ side used (xt::save_tensors): features and
          adjacency (sparse, stored as .indices/.values/.size), labels,
          test_index and the C++ logits in expected_logits.
Prints the test accuracy and the largest difference to the C++ logits; exits 1
when that difference exceeds --atol. Needs only PyTorch (Debian: python3-torch,
run with /usr/bin/python3): no GCN class, no xtorch.
"""
import argparse
import sys

import torch


def load_inputs(path):
    raw = torch.load(path)
    tensors = {}
    for key, value in raw.items():
        if key.endswith(".indices"):
            name = key[: -len(".indices")]
            size = raw[name + ".size"].tolist()
            tensors[name] = torch.sparse_coo_tensor(value, raw[name + ".values"], size).coalesce()
        elif not (key.endswith(".values") or key.endswith(".size")):
            tensors[key] = value
    return tensors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("inputs")
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()

    model = torch.jit.load(args.model)
    model.eval()
    t = load_inputs(args.inputs)
    with torch.no_grad():
        logits = model(t["features"], t["adjacency"])
    test = t["test_index"]
    accuracy = (logits[test].argmax(1) == t["labels"][test]).double().mean().item()
    diff = (logits - t["expected_logits"]).abs().max().item()
    print(f"python: torch {torch.__version__}, {args.model}: test accuracy {100 * accuracy:.1f}% "
          f"on {len(test)} nodes, max abs logit diff to C++ {diff:.3g}")
    return 0 if diff <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Plain-PyTorch twin of the C++ GCN training, for bench_gcn.

Usage: train_gcn.py INPUTS.pt --epochs 200 --threads N --repeats 3 [--seed 1]

INPUTS.pt comes from bench_gcn (xt::save_tensors): features and adjacency
(sparse, stored as .indices/.values/.size), labels, train/val/test indices,
and the config (hidden, dropout, lr, weight_decay) as 0-d tensors. The model,
sparse input dropout, optimizer groups and per-epoch work (one training step,
validation loss, copy of the best weights) match the C++ side. Prints one JSON
line: median seconds for the epochs, and the test accuracy.
"""
import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

# The reader of xt::save_tensors files that example 2 ships for its users.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "time_series_and_graph_deployment_and_production"
                    / "model_serialization" / "torchscript_gcn"))
from predict import load_inputs  # noqa: E402


class GraphConv(torch.nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        limit = math.sqrt(6.0 / (n_in + n_out))
        self.weight = torch.nn.Parameter(torch.empty(n_in, n_out).uniform_(-limit, limit))
        self.bias = torch.nn.Parameter(torch.zeros(n_out))

    def forward(self, x, adj):
        return torch.mm(adj, torch.mm(x, self.weight)) + self.bias


class GCN(torch.nn.Module):
    def __init__(self, n_in, hidden, classes, p):
        super().__init__()
        self.conv1, self.conv2, self.p = GraphConv(n_in, hidden), GraphConv(hidden, classes), p

    def forward(self, x, adj):
        if self.training and self.p > 0:
            values = x._values()
            keep = torch.bernoulli(torch.full_like(values, 1 - self.p))
            x = torch.sparse_coo_tensor(x._indices(), values * keep / (1 - self.p), x.size())
        h = torch.relu(self.conv1(x, adj))
        return self.conv2(torch.dropout(h, self.p, self.training), adj)


def train_once(t, epochs, seed):
    torch.manual_seed(seed)
    x, adj, y = t["features"], t["adjacency"], t["labels"]
    model = GCN(x.size(1), int(t["hidden"]), int(y.max()) + 1, float(t["dropout"]))
    lr, wd = float(t["lr"]), float(t["weight_decay"])
    optimizer = torch.optim.Adam([{"params": model.conv1.parameters(), "weight_decay": wd},
                                  {"params": model.conv2.parameters()}], lr=lr)
    train, val = t["train_index"], t["val_index"]
    best, best_state = float("inf"), None
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, adj)[train], y[train])
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = torch.nn.functional.cross_entropy(model(x, adj)[val], y[val]).item()
        if val_loss < best:
            best, best_state = val_loss, [p.detach().clone() for p in model.parameters()]
    seconds = time.perf_counter() - start
    with torch.no_grad():
        for p, v in zip(model.parameters(), best_state):
            p.copy_(v)
        model.eval()
        test = t["test_index"]
        accuracy = (model(x, adj)[test].argmax(1) == y[test]).double().mean().item()
    return seconds, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t = load_inputs(args.inputs)
    runs = [train_once(t, args.epochs, args.seed + r) for r in range(args.repeats)]
    print(json.dumps({"seconds": statistics.median(s for s, _ in runs),
                      "test_accuracy": statistics.mean(a for _, a in runs),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()

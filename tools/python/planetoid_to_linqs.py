#!/usr/bin/python3
"""Convert the Planetoid pickles (ind.<name>.*) to the LINQS-style text files
that xt::data::load_citation_dataset reads.

Usage: planetoid_to_linqs.py RAW_DIR OUT_DIR [--name cora|citeseer]

RAW_DIR holds ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index} as published
with Kipf & Welling's GCN (github.com/tkipf/gcn, gcn/data/). Writes
OUT_DIR/<name>/<name>.content (node index, features, class name),
<name>.cites (each undirected edge once, u < v, no self-loops) and
<name>.planetoid_split.json, following gcn/utils.py load_data(): the test
rows are put back in test.index order, and for CiteSeer the test indices
missing from test.index (nodes without features) are left out.

Needs only numpy: the scipy.sparse matrices inside the pickles are read
without scipy.
"""
import argparse
import collections
import json
import pickle
import sys
from pathlib import Path

import numpy as np

# One-hot column -> class name, verified by matching every Planetoid feature
# row to the identical LINQS row (see docs/DATASETS.md).
CLASS_NAMES = {
    "cora": ["Theory", "Reinforcement_Learning", "Genetic_Algorithms", "Neural_Networks",
             "Probabilistic_Methods", "Case_Based", "Rule_Learning"],
    "citeseer": ["AI", "ML", "IR", "DB", "Agents", "HCI"],
}


class SparseMatrix:
    """Stands in for scipy.sparse.csr_matrix when unpickling."""

    def __setstate__(self, state):
        self.__dict__.update(state)

    def to_dense(self):
        rows, cols = self._shape
        dense = np.zeros((rows, cols), dtype=np.float32)
        for r in range(rows):
            start, end = self.indptr[r], self.indptr[r + 1]
            dense[r, self.indices[start:end]] = self.data[start:end]
        return dense


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("scipy.sparse"):
            if name != "csr_matrix":
                raise pickle.UnpicklingError(f"unexpected sparse type {module}.{name}")
            return SparseMatrix
        return super().find_class(module, name)


def load(raw, name, part):
    with open(raw / f"ind.{name}.{part}", "rb") as f:
        value = Unpickler(f, encoding="latin1").load()
    return value.to_dense() if isinstance(value, SparseMatrix) else value


def convert(raw, out, name):
    x, y, tx, ty, allx, ally, graph = (load(raw, name, p) for p in ("x", "y", "tx", "ty", "allx", "ally", "graph"))
    test_order = [int(line) for line in (raw / f"ind.{name}.test.index").read_text().split()]
    test_sorted = sorted(test_order)
    first, last = test_sorted[0], test_sorted[-1]
    # Rows of tx/ty belong to the test ids in file order; ids in [first, last]
    # without a row (CiteSeer) have no features and are dropped.
    n = allx.shape[0] + (last - first + 1)
    features = np.zeros((n, allx.shape[1]), dtype=np.float32)
    labels = np.zeros((n, ally.shape[1]), dtype=np.float32)
    features[: allx.shape[0]], labels[: ally.shape[0]] = allx, ally
    features[test_order], labels[test_order] = tx, ty
    has_row = np.zeros(n, dtype=bool)
    has_row[: allx.shape[0]] = True
    has_row[test_order] = True

    names = CLASS_NAMES[name]
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.content", "w") as f:
        for i in np.flatnonzero(has_row):
            words = "\t".join("1" if v else "0" for v in features[i])
            f.write(f"{i}\t{words}\t{names[int(labels[i].argmax())]}\n")
    edges = set()
    for u, neighbours in graph.items():
        for v in neighbours:
            if u != v and u < n and v < n and has_row[u] and has_row[v]:
                edges.add((min(u, v), max(u, v)))
    with open(folder / f"{name}.cites", "w") as f:
        for u, v in sorted(edges):
            f.write(f"{u}\t{v}\n")
    split = {"train": [str(i) for i in range(len(y))],
             "val": [str(i) for i in range(len(y), len(y) + 500)],
             "test": [str(i) for i in test_sorted]}
    with open(folder / f"{name}.planetoid_split.json", "w") as f:
        json.dump(split, f)
    print(f"{name}: {int(has_row.sum())} nodes, {features.shape[1]} features, {len(edges)} undirected edges, "
          f"split {len(split['train'])}/{len(split['val'])}/{len(split['test'])} -> {folder}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", choices=sorted(CLASS_NAMES), action="append")
    args = parser.parse_args()
    for name in args.name or sorted(CLASS_NAMES):
        convert(args.raw, args.out, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

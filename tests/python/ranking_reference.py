#!/usr/bin/python3
"""Reference AUC-ROC and average precision, by their definitions, for the C++ tests.

Usage: ranking_reference.py SCORES.npy LABELS.npy
AUC = P(score of a random positive > score of a random negative) + 0.5 P(equal),
counted over all pairs. AP = sum over distinct thresholds t (descending) of
(recall(t) - recall(previous t)) * precision(t), with score >= t predicted positive.
Prints "auc <value> ap <value>" with 12 digits.
"""
import sys

import numpy as np

scores = np.load(sys.argv[1]).astype(np.float64)
labels = np.load(sys.argv[2]).astype(bool)
pos, neg = scores[labels], scores[~labels]
greater = (pos[:, None] > neg[None, :]).sum()
equal = (pos[:, None] == neg[None, :]).sum()
auc = (greater + 0.5 * equal) / (len(pos) * len(neg))

ap, previous_recall = 0.0, 0.0
for t in sorted(set(scores.tolist()), reverse=True):
    predicted = scores >= t
    tp = (predicted & labels).sum()
    recall = tp / labels.sum()
    ap += (recall - previous_recall) * tp / predicted.sum()
    previous_recall = recall
print(f"auc {auc:.12f} ap {ap:.12f}")

#pragma once
// Multi-label classification: F1 scores and the "k known" prediction rule of
// the DeepWalk / node2vec evaluations.

#include <torch/types.h>

namespace xt::metrics {

struct MultiLabelF1 {
  double micro = 0.0;  // from the pooled true/false positives of all labels
  double macro = 0.0;  // unweighted mean of per-label F1 (a label never true nor predicted scores 0, as in sklearn)
};

// `predicted` and `truth` are [N, L] with 0/1 entries.
MultiLabelF1 multilabel_f1(const torch::Tensor& predicted, const torch::Tensor& truth);

// Marks the counts[i] highest scores of row i (ties broken by lower label
// index). This is how DeepWalk and node2vec score a one-vs-rest classifier:
// each node gets as many labels as it truly has.
torch::Tensor top_k_per_row(const torch::Tensor& scores, const torch::Tensor& counts);

}  // namespace xt::metrics

#pragma once
// The standard downstream test of unsupervised node embeddings (DeepWalk,
// node2vec, GraphSAGE): freeze them, fit a one-vs-rest L2-regularized
// logistic regression on a random share of the labelled nodes, and score
// F1 on the rest.

#include <cstdint>

#include <torch/types.h>

#include "xtorch/metrics/multilabel.h"

namespace xt::train {

struct LinearProbeOptions {
  double train_fraction = 0.5;   // share of nodes the classifier sees (node2vec: 50%)
  double inverse_l2 = 1.0;       // C of scikit-learn's LogisticRegression (its default)
  int max_iterations = 200;      // L-BFGS iterations
  bool known_label_count = true;  // predict each test node's true number of labels (top-k), as node2vec does;
                                  // false: every label with probability > 0.5
  std::uint64_t seed = 0;        // the train/test draw
};

struct LinearProbeResult {
  metrics::MultiLabelF1 f1;
  std::int64_t train_nodes = 0, test_nodes = 0;
};

// embeddings [N, D] (frozen), labels [N, L] 0/1. Features are standardized
// with the training nodes' mean and deviation; the fit is full-batch L-BFGS
// in double precision, so the result depends only on the seed.
LinearProbeResult linear_probe(const torch::Tensor& embeddings, const torch::Tensor& labels,
                               const LinearProbeOptions& options = {});

}  // namespace xt::train

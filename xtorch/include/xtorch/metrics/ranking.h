#pragma once
// Binary scores: ROC curve, AUC-ROC, average precision, and counts at a
// threshold. `scores` [N]: higher means "more positive" (e.g. more anomalous).
// `labels` [N]: 1/true = positive, 0/false = negative. Tied scores are one
// threshold: they move a curve diagonally, never in an order that depends on
// how the sort broke the tie.

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace xt::metrics {

struct RocCurve {
  // One point per distinct threshold, from (0, 0) to (1, 1).
  std::vector<double> false_positive_rate, true_positive_rate;
  std::vector<double> thresholds;  // score >= threshold counts as positive; first is +inf
};

// Throws std::invalid_argument when sizes differ, a score is NaN, or only one
// class is present (the curve is undefined then).
RocCurve roc_curve(const torch::Tensor& scores, const torch::Tensor& labels);
// Area under the ROC curve (trapezoids; equals the Mann-Whitney U statistic
// with ties counted as one half).
double roc_auc(const torch::Tensor& scores, const torch::Tensor& labels);
// Sum over distinct thresholds of (recall step) x precision, as scikit-learn.
double average_precision(const torch::Tensor& scores, const torch::Tensor& labels);

struct BinaryCounts {
  std::int64_t true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
  double precision() const;  // 0 when nothing is predicted positive
  double recall() const;     // 0 when there are no positives
  double f1() const;
};

// Counts with score >= threshold predicted positive.
BinaryCounts counts_at(const torch::Tensor& scores, const torch::Tensor& labels, double threshold);

// The threshold (one of the scores) with the highest F1; ties go to the
// higher threshold.
double best_f1_threshold(const torch::Tensor& scores, const torch::Tensor& labels);

}  // namespace xt::metrics

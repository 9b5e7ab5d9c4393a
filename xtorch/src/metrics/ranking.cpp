#include "xtorch/metrics/ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace xt::metrics {
namespace {

struct Sorted {
  std::vector<double> scores;  // descending
  std::vector<bool> positive;
  std::int64_t positives = 0, negatives = 0;
};

Sorted sort_scores(const torch::Tensor& scores, const torch::Tensor& labels, bool need_both_classes) {
  if (scores.dim() != 1 || labels.dim() != 1 || scores.size(0) != labels.size(0)) {
    throw std::invalid_argument("ranking metric: scores " + c10::str(scores.sizes()) + " and labels " +
                                c10::str(labels.sizes()) + " must be [N] each");
  }
  const torch::Tensor s = scores.to(torch::kFloat64).contiguous();
  const torch::Tensor y = labels.to(torch::kFloat64).contiguous();
  const auto n = static_cast<std::size_t>(s.size(0));
  const double* sp = s.data_ptr<double>();
  const double* yp = y.data_ptr<double>();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(sp[i])) throw std::invalid_argument("ranking metric: score " + std::to_string(i) + " is NaN");
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sp[a] > sp[b]; });
  Sorted sorted;
  for (const auto i : order) {
    sorted.scores.push_back(sp[i]);
    sorted.positive.push_back(yp[i] != 0.0);
    (yp[i] != 0.0 ? sorted.positives : sorted.negatives)++;
  }
  if (need_both_classes && (sorted.positives == 0 || sorted.negatives == 0)) {
    throw std::invalid_argument("ranking metric: undefined with only one class present (" +
                                std::to_string(sorted.positives) + " positives, " +
                                std::to_string(sorted.negatives) + " negatives)");
  }
  return sorted;
}

// Calls visit(threshold, true_positives, false_positives) after each group of
// tied scores.
template <class Visit>
void walk_thresholds(const Sorted& s, Visit visit) {
  std::int64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < s.scores.size();) {
    const double threshold = s.scores[i];
    for (; i < s.scores.size() && s.scores[i] == threshold; ++i) (s.positive[i] ? tp : fp)++;
    visit(threshold, tp, fp);
  }
}

}  // namespace

RocCurve roc_curve(const torch::Tensor& scores, const torch::Tensor& labels) {
  const Sorted s = sort_scores(scores, labels, true);
  RocCurve curve;
  curve.false_positive_rate.push_back(0.0);
  curve.true_positive_rate.push_back(0.0);
  curve.thresholds.push_back(std::numeric_limits<double>::infinity());
  walk_thresholds(s, [&](double threshold, std::int64_t tp, std::int64_t fp) {
    curve.false_positive_rate.push_back(static_cast<double>(fp) / static_cast<double>(s.negatives));
    curve.true_positive_rate.push_back(static_cast<double>(tp) / static_cast<double>(s.positives));
    curve.thresholds.push_back(threshold);
  });
  return curve;
}

double roc_auc(const torch::Tensor& scores, const torch::Tensor& labels) {
  const RocCurve c = roc_curve(scores, labels);
  double area = 0.0;
  for (std::size_t i = 1; i < c.thresholds.size(); ++i) {
    area += (c.false_positive_rate[i] - c.false_positive_rate[i - 1]) *
            (c.true_positive_rate[i] + c.true_positive_rate[i - 1]) / 2.0;
  }
  return area;
}

double average_precision(const torch::Tensor& scores, const torch::Tensor& labels) {
  const Sorted s = sort_scores(scores, labels, false);
  if (s.positives == 0) throw std::invalid_argument("average_precision: undefined without positives");
  double ap = 0.0, previous_recall = 0.0;
  walk_thresholds(s, [&](double, std::int64_t tp, std::int64_t fp) {
    const double recall = static_cast<double>(tp) / static_cast<double>(s.positives);
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  });
  return ap;
}

double BinaryCounts::precision() const {
  const auto predicted = true_positives + false_positives;
  return predicted == 0 ? 0.0 : static_cast<double>(true_positives) / static_cast<double>(predicted);
}

double BinaryCounts::recall() const {
  const auto actual = true_positives + false_negatives;
  return actual == 0 ? 0.0 : static_cast<double>(true_positives) / static_cast<double>(actual);
}

double BinaryCounts::f1() const {
  const double p = precision(), r = recall();
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

BinaryCounts counts_at(const torch::Tensor& scores, const torch::Tensor& labels, double threshold) {
  const Sorted s = sort_scores(scores, labels, false);
  BinaryCounts counts;
  for (std::size_t i = 0; i < s.scores.size(); ++i) {
    const bool predicted = s.scores[i] >= threshold;
    if (predicted) {
      (s.positive[i] ? counts.true_positives : counts.false_positives)++;
    } else {
      (s.positive[i] ? counts.false_negatives : counts.true_negatives)++;
    }
  }
  return counts;
}

double best_f1_threshold(const torch::Tensor& scores, const torch::Tensor& labels) {
  const Sorted s = sort_scores(scores, labels, true);
  double best_f1 = -1.0, best_threshold = s.scores.front();
  walk_thresholds(s, [&](double threshold, std::int64_t tp, std::int64_t fp) {
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    const double recall = static_cast<double>(tp) / static_cast<double>(s.positives);
    const double f1 = precision + recall == 0.0 ? 0.0 : 2.0 * precision * recall / (precision + recall);
    if (f1 > best_f1) {
      best_f1 = f1;
      best_threshold = threshold;
    }
  });
  return best_threshold;
}

}  // namespace xt::metrics

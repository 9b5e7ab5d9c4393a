// Classification metrics and the latency helper.

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "xtorch/metrics/classification.h"
#include "xtorch/metrics/latency.h"

TEST(ClassificationMetrics, AccuracyFromClassesOrLogits) {
  const torch::Tensor labels = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  EXPECT_DOUBLE_EQ(xt::metrics::accuracy(torch::tensor({0, 1, 1, 1}, torch::kInt64), labels), 0.75);
  const torch::Tensor logits = torch::tensor({{5.f, 0.f, 0.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 2.f}, {3.f, 0.f, 0.f}});
  EXPECT_DOUBLE_EQ(xt::metrics::accuracy(logits, labels), 0.75);
  EXPECT_THROW(xt::metrics::accuracy(logits, torch::tensor({0, 1}, torch::kInt64)), std::invalid_argument);
  EXPECT_THROW(xt::metrics::accuracy(torch::empty({0}, torch::kInt64), torch::empty({0}, torch::kInt64)),
               std::invalid_argument);
}

TEST(ClassificationMetrics, ConfusionMatrixRowsAreTruth) {
  const torch::Tensor truth = torch::tensor({0, 0, 1, 2, 2, 2}, torch::kInt64);
  const torch::Tensor predicted = torch::tensor({0, 1, 1, 2, 0, 2}, torch::kInt64);
  const torch::Tensor expected = torch::tensor({1, 1, 0, 0, 1, 0, 1, 0, 2}, torch::kInt64).reshape({3, 3});
  EXPECT_TRUE(xt::metrics::confusion_matrix(predicted, truth, 3).equal(expected));
  EXPECT_THROW(xt::metrics::confusion_matrix(predicted, truth, 2), std::invalid_argument);
}

TEST(Latency, RunsAtLeastTheMinimumAndOrdersTheStatistics) {
  int calls = 0;
  xt::metrics::LatencyOptions options;
  options.warmup = 3;
  options.min_runs = 10;
  options.min_seconds = 0.0;
  const auto stats = xt::metrics::measure_latency([&] { ++calls; }, options);
  EXPECT_EQ(stats.runs, 10);
  EXPECT_EQ(calls, 13);
  EXPECT_LE(stats.min_ms, stats.median_ms);
  EXPECT_LE(stats.median_ms, stats.p95_ms);
  options.min_runs = 0;
  EXPECT_THROW(xt::metrics::measure_latency([] {}, options), std::invalid_argument);
}

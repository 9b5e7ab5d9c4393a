// Classification and ranking metrics, and the latency helper.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/metrics/classification.h"
#include "xtorch/metrics/latency.h"
#include "xtorch/metrics/ranking.h"
#include "xtorch/util/npy.h"

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

// ---- ranking metrics

TEST(RankingMetrics, HandWorkedExamples) {
  // Perfect ranking, perfectly wrong ranking, and all tied.
  const torch::Tensor y = torch::tensor({0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(torch::tensor({0.1, 0.2, 0.8, 0.9}), y), 1.0);
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(torch::tensor({0.9, 0.8, 0.2, 0.1}), y), 0.0);
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(torch::tensor({0.5, 0.5, 0.5, 0.5}), y), 0.5);
  // scores 0.1(0) 0.4(1) 0.45(0) 0.8(1): of the 4 positive-negative pairs, 3 are ordered right.
  const torch::Tensor s = torch::tensor({0.1, 0.4, 0.45, 0.8}, torch::kFloat64);
  const torch::Tensor l = torch::tensor({0, 1, 0, 1});
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(s, l), 0.75);
  // Thresholds .8 (P 1, R .5), .45 (P 1/2, R .5), .4 (P 2/3, R 1): AP = .5 * 1 + 0 + .5 * 2/3.
  EXPECT_DOUBLE_EQ(xt::metrics::average_precision(s, l), 0.5 + 1.0 / 3.0);
  // 0.8(0) 0.4(1) 0.35(1): thresholds .8 (P 0, R 0), .4 (P 1/2, R 1/2), .35 (P 2/3, R 1) -> .5*.5 + .5*2/3.
  EXPECT_NEAR(xt::metrics::average_precision(torch::tensor({0.8, 0.4, 0.35}), torch::tensor({0, 1, 1})),
              0.25 + 1.0 / 3.0, 1e-12);

  const auto curve = xt::metrics::roc_curve(s, l);
  EXPECT_EQ(curve.false_positive_rate, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
  EXPECT_EQ(curve.true_positive_rate, (std::vector<double>{0, 0.5, 0.5, 1, 1}));
  EXPECT_EQ(curve.thresholds[1], 0.8);
}

TEST(RankingMetrics, TiesAcrossClassesCountOneHalf) {
  // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(torch::tensor({0.7, 0.7, 0.1}), torch::tensor({1, 0, 0})), 0.75);
  // The order of tied items in the input must not matter.
  EXPECT_DOUBLE_EQ(xt::metrics::roc_auc(torch::tensor({0.7, 0.7, 0.1}), torch::tensor({0, 1, 0})), 0.75);
  EXPECT_DOUBLE_EQ(xt::metrics::average_precision(torch::tensor({0.7, 0.7}), torch::tensor({1, 0})), 0.5);
  EXPECT_DOUBLE_EQ(xt::metrics::average_precision(torch::tensor({0.7, 0.7}), torch::tensor({0, 1})), 0.5);
}

TEST(RankingMetrics, OneClassAndBadInputAreErrors) {
  EXPECT_THROW(xt::metrics::roc_auc(torch::tensor({0.1, 0.2}), torch::tensor({1, 1})), std::invalid_argument);
  EXPECT_THROW(xt::metrics::roc_auc(torch::tensor({0.1, 0.2}), torch::tensor({0, 0})), std::invalid_argument);
  EXPECT_THROW(xt::metrics::average_precision(torch::tensor({0.1}), torch::tensor({0})), std::invalid_argument);
  EXPECT_THROW(xt::metrics::roc_auc(torch::tensor({0.1, std::nan("")}), torch::tensor({0, 1})), std::invalid_argument);
  EXPECT_THROW(xt::metrics::roc_auc(torch::tensor({0.1, 0.2, 0.3}), torch::tensor({0, 1})), std::invalid_argument);
}

TEST(RankingMetrics, CountsAndBestF1Threshold) {
  const torch::Tensor s = torch::tensor({0.1, 0.4, 0.35, 0.8, 0.2}, torch::kFloat64);
  const torch::Tensor l = torch::tensor({0, 1, 0, 1, 0});
  const auto c = xt::metrics::counts_at(s, l, 0.35);
  EXPECT_EQ(c.true_positives, 2);
  EXPECT_EQ(c.false_positives, 1);
  EXPECT_EQ(c.true_negatives, 2);
  EXPECT_EQ(c.false_negatives, 0);
  EXPECT_DOUBLE_EQ(c.f1(), 0.8);
  EXPECT_DOUBLE_EQ(xt::metrics::best_f1_threshold(s, l), 0.4);  // F1 = 1
}

TEST(RankingMetrics, AgreeWithAPythonReferenceOnTiedRandomScores) {
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import numpy'").exit_code != 0) {
    GTEST_SKIP() << "python3-numpy is not installed";
  }
  xt::testing::TempDir dir;
  torch::manual_seed(4);
  const torch::Tensor labels = torch::rand({400}) < 0.3;
  // Rounded to 1 decimal: many ties, within and across classes.
  const torch::Tensor scores = torch::round((torch::randn({400}) + labels.to(torch::kFloat) * 0.8) * 10) / 10;
  xt::write_npy(dir / "s.npy", scores.to(torch::kFloat64));
  xt::write_npy(dir / "l.npy", labels);
  const auto result = xt::testing::run_command(std::string(xt::testing::kPython) + " " XT_SOURCE_DIR
                                               "/tests/python/ranking_reference.py " + (dir / "s.npy").string() + " " +
                                               (dir / "l.npy").string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  double auc = 0, ap = 0;
  ASSERT_EQ(std::sscanf(result.output.c_str(), "auc %lf ap %lf", &auc, &ap), 2) << result.output;
  EXPECT_NEAR(xt::metrics::roc_auc(scores, labels), auc, 1e-12);
  EXPECT_NEAR(xt::metrics::average_precision(scores, labels), ap, 1e-12);
}

TEST(ClassificationMetrics, MacroF1FromAConfusionMatrix) {
  // Class 0: TP 2, FP 1, FN 0 -> F1 0.8; class 1: TP 1, FP 0, FN 1 -> 2/3; class 2 absent -> left out.
  const torch::Tensor m = torch::tensor({2, 0, 0, 1, 1, 0, 0, 0, 0}, torch::kInt64).reshape({3, 3});
  EXPECT_NEAR(xt::metrics::macro_f1(m), (0.8 + 2.0 / 3.0) / 2.0, 1e-12);
  EXPECT_THROW(xt::metrics::macro_f1(torch::zeros({2, 3})), std::invalid_argument);
}

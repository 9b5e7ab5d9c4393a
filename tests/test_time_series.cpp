// Windows, splits, calendar features, scalers and metrics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "xtorch/data/datasets.h"
#include "xtorch/data/scaler.h"
#include "xtorch/data/time_series.h"
#include "xtorch/metrics/regression.h"

using namespace xt::data;

TEST(ChronologicalSplit, BlocksAreConsecutiveAndCoverEveryRow) {
  const auto s = chronological_split(100, 0.7, 0.15);
  EXPECT_EQ(s.train.begin, 0);
  EXPECT_EQ(s.train.end, 70);
  EXPECT_EQ(s.val.begin, 70);
  EXPECT_EQ(s.val.end, 85);
  EXPECT_EQ(s.test.begin, 85);
  EXPECT_EQ(s.test.end, 100);
  const auto real = chronological_split(19735, 0.7, 0.15);
  EXPECT_EQ(real.train.size() + real.val.size() + real.test.size(), 19735);
  EXPECT_THROW(chronological_split(100, 0.9, 0.2), std::invalid_argument);
  EXPECT_THROW(chronological_split(2, 0.5, 0.2), std::invalid_argument);
}

TEST(Windows, InputsArePastRowsAndTargetsTheNextOnes) {
  // Row r holds features (r, 100 + r) and target 1000 + r.
  const torch::Tensor rows = torch::arange(20, torch::kFloat32);
  const torch::Tensor features = torch::stack({rows, rows + 100}, 1);
  const torch::Tensor target = rows + 1000;
  const auto w = make_windows(features, target, {/*lookback=*/3, /*horizon=*/2, /*stride=*/1}, {10, 15});
  // First targets t = 10..13 (t + horizon <= 15).
  ASSERT_EQ(w.target_rows, (std::vector<std::int64_t>{10, 11, 12, 13}));
  ASSERT_EQ(w.inputs.sizes(), (std::vector<std::int64_t>{4, 3, 2}));
  ASSERT_EQ(w.targets.sizes(), (std::vector<std::int64_t>{4, 2}));
  EXPECT_TRUE(w.inputs[0].equal(torch::tensor({{7.f, 107.f}, {8.f, 108.f}, {9.f, 109.f}})));
  EXPECT_TRUE(w.targets[0].equal(torch::tensor({1010.f, 1011.f})));
  EXPECT_TRUE(w.targets[3].equal(torch::tensor({1013.f, 1014.f})));
}

TEST(Windows, StrideStartAndMultiColumnTargets) {
  const torch::Tensor rows = torch::arange(12, torch::kFloat32);
  const torch::Tensor features = rows.unsqueeze(1);
  const torch::Tensor targets = torch::stack({rows, -rows}, 1);  // [12, 2]
  // Range starts before `lookback` rows exist: the first window starts at 4.
  const auto w = make_windows(features, targets, {4, 1, 3}, {0, 12});
  EXPECT_EQ(w.target_rows, (std::vector<std::int64_t>{4, 7, 10}));
  ASSERT_EQ(w.targets.sizes(), (std::vector<std::int64_t>{3, 1, 2}));
  EXPECT_TRUE(w.targets[1][0].equal(torch::tensor({7.f, -7.f})));
  EXPECT_TRUE(w.inputs[2].squeeze(1).equal(torch::tensor({6.f, 7.f, 8.f, 9.f})));
}

TEST(Windows, EmptyRangeAndBadArguments) {
  const torch::Tensor f = torch::zeros({10, 2});
  const auto w = make_windows(f, torch::zeros({10}), {5, 1, 1}, {0, 3});
  EXPECT_EQ(w.inputs.size(0), 0);
  EXPECT_THROW(make_windows(f, torch::zeros({9}), {2, 1, 1}, {0, 9}), std::invalid_argument);
  EXPECT_THROW(make_windows(f, torch::zeros({10}), {0, 1, 1}, {0, 10}), std::invalid_argument);
  EXPECT_THROW(make_windows(f, torch::zeros({10}), {2, 1, 1}, {0, 11}), std::out_of_range);
}

TEST(CalendarFeatures, KnownDates) {
  // 2016-01-11 was a Monday; 17:00 is 17/24 of the day.
  const torch::Tensor c = calendar_features({1452531600, 1452531600 + 6 * 86400 - 17 * 3600});
  constexpr double kTwoPi = 6.283185307179586;
  EXPECT_NEAR(c[0][0].item<float>(), std::sin(kTwoPi * 17 / 24), 1e-6);
  EXPECT_NEAR(c[0][1].item<float>(), std::cos(kTwoPi * 17 / 24), 1e-6);
  EXPECT_NEAR(c[0][2].item<float>(), 0.0, 1e-6);  // Monday = 0
  EXPECT_NEAR(c[0][3].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(c[1][2].item<float>(), std::sin(kTwoPi * 6 / 7), 1e-6);  // Sunday 00:00
  EXPECT_NEAR(c[1][0].item<float>(), 0.0, 1e-6);
}

TEST(Scaler, StandardTransformRoundTripAndJson) {
  const torch::Tensor x = torch::tensor({{1.0, 10.0}, {2.0, 20.0}, {3.0, 60.0}}, torch::kFloat64);
  Scaler s = Scaler::standard();
  s.fit(x);
  const torch::Tensor z = s.transform(x);
  EXPECT_TRUE(torch::allclose(z.mean(0), torch::zeros(2, torch::kFloat64), 0, 1e-12));
  EXPECT_TRUE(torch::allclose(z.std(0, false), torch::ones(2, torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(s.inverse_transform(z), x));
  const Scaler back = Scaler::from_json(nlohmann::json::parse(s.to_json().dump()));
  EXPECT_TRUE(back.transform(x).equal(z));
  const Scaler second = s.column(1);
  EXPECT_TRUE(torch::allclose(second.transform(x.select(1, 1).unsqueeze(1)).squeeze(1), z.select(1, 1)));
}

TEST(Scaler, MinMaxMapsToRangeAndConstantColumnsStayFinite) {
  const torch::Tensor x = torch::tensor({{0.0, 5.0}, {5.0, 5.0}, {10.0, 5.0}}, torch::kFloat64);
  Scaler s = Scaler::min_max(-1.0, 1.0);
  s.fit(x);
  const torch::Tensor z = s.transform(x);
  EXPECT_TRUE(z.select(1, 0).equal(torch::tensor({-1.0, 0.0, 1.0}, torch::kFloat64)));
  EXPECT_TRUE(z.select(1, 1).equal(torch::tensor({-1.0, -1.0, -1.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(s.inverse_transform(z), x));
  const Scaler back = Scaler::from_json(s.to_json());
  EXPECT_TRUE(back.transform(x).equal(z));
  EXPECT_TRUE(Scaler::standard().fit(x).transform(x).isfinite().all().item<bool>());
}

TEST(Scaler, MisuseIsReported) {
  const Scaler unfitted = Scaler::standard();
  EXPECT_THROW(unfitted.transform(torch::zeros({2, 2})), std::logic_error);
  Scaler s = Scaler::standard();
  s.fit(torch::rand({4, 3}));
  EXPECT_THROW(s.transform(torch::zeros({2, 2})), std::invalid_argument);
  EXPECT_THROW(Scaler::from_json({{"kind", "log"}, {"offset", {0}}, {"scale", {1}}}), std::invalid_argument);
  EXPECT_THROW(Scaler::from_json({{"kind", "standard"}, {"offset", {0}}, {"scale", {0}}}), std::invalid_argument);
}

TEST(Metrics, RegressionValuesWorkedByHand) {
  const torch::Tensor y = torch::tensor({1.0, 2.0, 4.0});
  const torch::Tensor p = torch::tensor({2.0, 2.0, 1.0});
  EXPECT_NEAR(xt::metrics::mae(p, y), (1.0 + 0.0 + 3.0) / 3.0, 1e-12);
  EXPECT_NEAR(xt::metrics::rmse(p, y), std::sqrt((1.0 + 0.0 + 9.0) / 3.0), 1e-12);
  EXPECT_NEAR(xt::metrics::mape(p, y), 100.0 * (1.0 + 0.0 + 0.75) / 3.0, 1e-12);
  // Zero targets are skipped by MAPE.
  EXPECT_NEAR(xt::metrics::mape(torch::tensor({1.0, 3.0}), torch::tensor({0.0, 2.0})), 50.0, 1e-12);
  EXPECT_THROW(xt::metrics::rmse(p, y.slice(0, 0, 2)), std::invalid_argument);
  EXPECT_THROW(xt::metrics::mape(p.slice(0, 0, 1), torch::zeros({1})), std::invalid_argument);
}

TEST(DataDir, FlagThenEnvironmentThenDefault) {
  ::setenv("XT_DATA_DIR", "/from/env", 1);
  EXPECT_EQ(resolve_data_dir("/from/flag"), "/from/flag");
  EXPECT_EQ(resolve_data_dir(""), "/from/env");
  ::unsetenv("XT_DATA_DIR");
  EXPECT_EQ(resolve_data_dir(""), "data");
}

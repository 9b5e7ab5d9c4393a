// Example 1 end to end: a short run on the real data, then its artifacts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/util/report.h"

using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ExampleSaveLoadLstm, ShortRunOnRealDataSavesAReloadableModel) {
  const auto data = xt::testing::real_data_dir();
  if (!std::filesystem::exists(data / "uci_appliances_energy")) GTEST_SKIP() << "no real data under " << data;
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_SAVE_LOAD_LSTM) + " --data-dir " + data.string() +
                                            " --out-dir " + out.path().string() + " --epochs 2 --seed 3");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: UCI Appliances Energy Prediction, 19735 rows"));

  const auto results = xt::read_json(out / "results.json");
  EXPECT_FALSE(results["data"]["synthetic"].get<bool>());
  EXPECT_EQ(results["metrics"]["reload_max_abs_diff_wh"].get<double>(), 0.0);
  // Two epochs already learn something: far better than predicting the mean (std ~91 Wh on the test split).
  EXPECT_LT(results["metrics"]["test_rmse_wh"].get<double>(), 80.0);
  EXPECT_NEAR(results["metrics"]["persistence_rmse_wh"].get<double>(), 66.84, 0.01);
  EXPECT_TRUE(std::filesystem::file_size(out / "forecast_vs_truth.png") > 10000);

  xt::LoadedModel model = xt::load_model(out / "lstm_forecaster.pt");
  EXPECT_EQ(model.manifest.model_type, "LSTMForecaster");
  EXPECT_EQ(model.manifest.inputs[0].shape, (std::vector<std::int64_t>{-1, 36, 30}));
  EXPECT_TRUE(model.manifest.preprocessing.contains("target_scaler"));
  EXPECT_EQ(model.manifest.metrics["test_rmse_wh"], results["metrics"]["test_rmse_wh"]);
}

TEST(ExampleSaveLoadLstm, WithoutDataItSaysSoAndRunsOnSyntheticData) {
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_SAVE_LOAD_LSTM) + " --data-dir " +
                                            (out / "no-data").string() + " --out-dir " + out.path().string() +
                                            " --epochs 1 --hidden 16 --layers 1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: SYNTHETIC stand-in"));
  EXPECT_TRUE(xt::read_json(out / "results.json")["data"]["synthetic"].get<bool>());
}

TEST(ExampleSaveLoadLstm, BadFlagsFailWithAMessage) {
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_SAVE_LOAD_LSTM) + " --epochs lots");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("--epochs"));
}

// Example 5 end to end: a short run on UCI HAPT, then the .ptl it wrote.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "xtorch/serialize/mobile.h"
#include "xtorch/util/report.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ExampleMobileCnn, ShortRunOnHaptGivesIdenticalPredictionsInTheLiteInterpreter) {
  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "hapt_accel")) GTEST_SKIP() << "no real data under " << data;
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_MOBILE_CNN) + " --data-dir " + data.string() +
                                            " --out-dir " + out.path().string() + " --epochs 4 --seed 2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: UCI HAPT accelerometer, 20 recordings of 11 subjects, 340263 samples"));
  EXPECT_THAT(run.output, HasSubstr("aten::batch_norm: 3 -> 0"));
  EXPECT_THAT(run.output, HasSubstr("identical predictions eager vs .ptl: yes"));
  const auto results = xt::read_json(out / "results.json");
  const auto& m = results["metrics"];
  EXPECT_EQ(m["lite_test_accuracy"], m["test_accuracy"]);
  EXPECT_GT(m["test_accuracy"].get<double>(), 0.6);  // 4 epochs, held-out subjects
  EXPECT_GT(fs::file_size(out / "confusion_matrix.png"), 10000u);
  const xt::MobileModel model = xt::load_mobile(out / "har_cnn.ptl");
  EXPECT_EQ(model.manifest.preprocessing["classes"].size(), 6u);
  EXPECT_EQ(model.manifest.preprocessing["window_samples"], 128);
}

TEST(ExampleMobileCnn, SyntheticFallbackRuns) {
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_MOBILE_CNN) + " --data-dir " +
                                            (out / "none").string() + " --out-dir " + out.path().string() +
                                            " --epochs 2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: SYNTHETIC accelerometer recordings"));
}

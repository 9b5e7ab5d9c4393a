// Example 7 end to end: a short run, then the parity table's claims checked.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "xtorch/serialize/onnx.h"
#include "xtorch/serialize/python.h"
#include "xtorch/util/report.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ExampleCrossPlatformConvAe, EveryRuntimeMatchesEagerAndDenoises) {
  if (!xt::onnxruntime_unavailable_reason().empty()) GTEST_SKIP() << xt::onnxruntime_unavailable_reason();
  if (!xt::python_torch_unavailable_reason().empty()) GTEST_SKIP() << xt::python_torch_unavailable_reason();
  const auto data = xt::testing::real_data_dir();
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_CROSS_PLATFORM_CONV_AE) + " --data-dir " +
                                            data.string() + " --out-dir " + out.path().string() + " --epochs 5");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto results = xt::read_json(out / "results.json");
  ASSERT_EQ(results["runtimes"].size(), 4u);
  for (const auto& runtime : results["runtimes"]) {
    SCOPED_TRACE(runtime["runtime"].get<std::string>());
    EXPECT_LE(runtime["max_abs_diff"].get<double>(), 1e-5);
    EXPECT_NEAR(runtime["denoised_mse"].get<double>(), results["metrics"]["denoised_mse"].get<double>(), 1e-6);
    EXPECT_GT(runtime["ms_per_window"].get<double>(), 0.0);
  }
  EXPECT_THAT(results["runtimes"][2]["runtime"].get<std::string>(), HasSubstr("Python torch.jit.load"));
  EXPECT_THAT(results["runtimes"][3]["runtime"].get<std::string>(), HasSubstr("ONNX Runtime"));
  // Five epochs already remove most of the noise.
  EXPECT_LT(results["metrics"]["denoised_to_noisy"].get<double>(), 0.6);
  EXPECT_GT(fs::file_size(out / "denoising.png"), 20000u);
  EXPECT_EQ(xt::read_onnx_manifest(out / "conv_ae.onnx").model_type, "ConvAutoencoder");
}

TEST(ExampleCrossPlatformConvAe, AWindowThatIsNotAMultipleOfFourIsRejected) {
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_CROSS_PLATFORM_CONV_AE) + " --data-dir " +
                                            (out / "none").string() + " --window 30 --epochs 1 --out-dir " +
                                            out.path().string());
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("--window must be a positive multiple of 4"));
}

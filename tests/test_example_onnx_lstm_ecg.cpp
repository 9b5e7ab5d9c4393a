// Example 3 end to end: a short run on ECG5000, then its ONNX file in ONNX Runtime.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "test_util.h"
#include "xtorch/serialize/onnx.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/report.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ExampleOnnxLstmEcg, ShortRunOnEcg5000AgreesBetweenLibTorchAndOnnxRuntime) {
  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "ecg5000")) GTEST_SKIP() << "no real data under " << data;
  if (!xt::onnxruntime_unavailable_reason().empty()) GTEST_SKIP() << xt::onnxruntime_unavailable_reason();
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_ONNX_LSTM_ECG) + " --data-dir " + data.string() +
                                            " --out-dir " + out.path().string() + " --epochs 8 --hidden 32 --seed 2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: ECG5000 TRAIN, 500 beats (292 normal, 208 anomalous)"));
  EXPECT_THAT(run.output, HasSubstr("runtimes agree (AUC to 3 decimals, outputs within 1e-4): yes"));

  const auto results = xt::read_json(out / "results.json");
  const auto& m = results["metrics"];
  EXPECT_NEAR(m["test_auc_libtorch"].get<double>(), m["test_auc_onnxruntime"].get<double>(), 5e-4);
  EXPECT_LE(m["max_abs_output_diff"].get<double>(), 1e-4);
  EXPECT_GT(m["test_auc_libtorch"].get<double>(), 0.8);  // 8 short epochs already separate most beats
  EXPECT_GT(fs::file_size(out / "beats_and_roc.png"), 20000u);
  EXPECT_EQ(xt::read_onnx_manifest(out / "lstm_autoencoder.onnx").model_type, "LSTMAutoencoder");

  // The Node.js snippet scores the same beats as LibTorch did.
  const auto node = xt::testing::run_command(
      "NODE_PATH=" XT_SOURCE_DIR "/tools/onnxruntime/node_modules node " XT_SOURCE_DIR
      "/examples/time_series_and_graph_deployment_and_production/model_serialization/onnx_lstm_ecg/score_beats.js " +
      (out / "lstm_autoencoder.onnx").string() + " " + (out / "test_beats.f32").string() + " 140");
  ASSERT_EQ(node.exit_code, 0) << node.output;
  const torch::Tensor expected = xt::read_npy(out / "test_scores.npy");
  std::istringstream lines(node.output);
  std::int64_t count = 0;
  for (double score = 0; lines >> score; ++count) {
    ASSERT_LT(count, expected.size(0));
    EXPECT_NEAR(score, expected[count].item<double>(), 1e-5) << "beat " << count;
  }
  EXPECT_EQ(count, expected.size(0));
}

TEST(ExampleOnnxLstmEcg, MitBihAndSyntheticRun) {
  if (!xt::onnxruntime_unavailable_reason().empty()) GTEST_SKIP() << xt::onnxruntime_unavailable_reason();
  TempDir out;
  const auto synthetic = xt::testing::run_command(std::string(XT_EXAMPLE_ONNX_LSTM_ECG) + " --data-dir " +
                                                  (out / "none").string() + " --out-dir " +
                                                  (out / "synthetic").string() + " --epochs 2 --hidden 8");
  ASSERT_EQ(synthetic.exit_code, 0) << synthetic.output;
  EXPECT_THAT(synthetic.output, HasSubstr("data: SYNTHETIC heartbeats"));

  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "mitbih_ecg")) GTEST_SKIP() << "no real data under " << data;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_ONNX_LSTM_ECG) + " --data-dir " + data.string() +
                                            " --dataset mitbih --epochs 1 --hidden 8 --out-dir " +
                                            (out / "mitbih").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: MIT-BIH Arrhythmia record 100 (MLII), 2271 beats (2237 normal, 34 other)"));
  EXPECT_THAT(run.output, HasSubstr("runtimes agree"));
}

TEST(ExampleOnnxLstmEcg, UnknownDatasetIsRejected) {
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_ONNX_LSTM_ECG) + " --dataset ptbxl");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("--dataset"));
}

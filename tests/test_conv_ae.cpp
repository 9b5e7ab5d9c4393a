// ConvAutoencoder, sensor corruption, and running TorchScript in Python from C++.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/data/time_series.h"
#include "xtorch/error.h"
#include "xtorch/nn/conv_autoencoder.h"
#include "xtorch/serialize/python.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"

using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ConvAutoencoder, KeepsTheShapeAndChecksTheTimeAxis) {
  torch::manual_seed(0);
  xt::nn::ConvAutoencoder model(xt::nn::ConvAutoencoderConfig{3, {8, 16, 16}, 5});
  EXPECT_EQ(model->time_multiple(), 8);
  const torch::Tensor x = torch::randn({2, 3, 40});
  EXPECT_EQ(model->forward(x).sizes(), x.sizes());
  EXPECT_THROW(model->forward(torch::randn({2, 3, 42})), c10::Error);
  EXPECT_THROW(xt::nn::ConvAutoencoder(xt::nn::ConvAutoencoderConfig{3, {8}, 4}), std::invalid_argument);
  const auto config = xt::nn::ConvAutoencoderConfig::from_json(model->config());
  EXPECT_EQ(config.hidden_channels, (std::vector<std::int64_t>{8, 16, 16}));
}

TEST(ConvAutoencoder, ScriptedFormEqualsEagerAndRejectsBadTime) {
  TempDir dir;
  torch::manual_seed(1);
  xt::nn::ConvAutoencoder model(xt::nn::ConvAutoencoderConfig{2, {4, 8}, 3});
  const torch::Tensor x = torch::randn({5, 2, 24});
  xt::JitExportOptions options;
  options.verify_inputs = {x};
  EXPECT_EQ(xt::export_to_jit(model, dir / "ae.pt", options).max_abs_diff, 0.0);
  torch::jit::Module loaded = torch::jit::load((dir / "ae.pt").string());
  try {
    loaded.forward({torch::randn({1, 2, 22})});
    FAIL() << "a time axis of 22 was accepted";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("ConvAutoencoder: expected input [batch, 2, time] with time a multiple of 4"));
  }
}

TEST(Corruption, IsDeterministicAndHasTheRequestedRates) {
  const torch::Tensor clean = torch::ones({200, 4, 64});
  xt::data::NoiseSpec noise{0.0, 0.05, 0.02, 4.0};
  const torch::Tensor a = xt::data::corrupt(clean, noise, 7);
  EXPECT_TRUE(a.equal(xt::data::corrupt(clean, noise, 7)));
  EXPECT_FALSE(a.equal(xt::data::corrupt(clean, noise, 8)));
  const double zeros = a.eq(0).to(torch::kFloat64).mean().item<double>();
  const double spikes = (a - 1).abs().gt(3).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(zeros, 0.05, 0.005);
  EXPECT_NEAR(spikes, 0.02 * 0.95, 0.004);  // spikes that were not dropped
  noise = {0.5, 0.0, 0.0, 0.0};
  EXPECT_NEAR((xt::data::corrupt(clean, noise, 1) - clean).std().item<double>(), 0.5, 0.01);
  noise.dropout_rate = 1.5;
  EXPECT_THROW(xt::data::corrupt(clean, noise, 1), std::invalid_argument);
}

TEST(PythonRunner, RunsTheFileAndReportsPythonErrors) {
  if (!xt::python_torch_unavailable_reason().empty()) GTEST_SKIP() << xt::python_torch_unavailable_reason();
  TempDir dir;
  torch::manual_seed(2);
  xt::nn::ConvAutoencoder model(xt::nn::ConvAutoencoderConfig{2, {4}, 3});
  xt::export_to_jit(model, dir / "ae.pt");
  const torch::Tensor x = torch::randn({3, 2, 10});
  const auto result = xt::run_torchscript_in_python(dir / "ae.pt", {x}, {1, 4, 1});
  EXPECT_EQ(result.latency.runs, 4);
  EXPECT_LT(xt::max_abs_diff(result.output, model->reference_forward({x})), 1e-6);
  try {
    xt::run_torchscript_in_python(dir / "ae.pt", {torch::randn({3, 2, 9})});
    FAIL() << "a bad input ran";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ConvAutoencoder: expected input [batch, 2, time] with time a multiple of 2"));
  }
  xt::write_file_atomically(dir / "junk.pt", "junk");
  EXPECT_THROW(xt::run_torchscript_in_python(dir / "junk.pt", {x}), xt::SerializationError);
}

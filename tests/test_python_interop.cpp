// The same file in Python: torch.jit.load of a model saved from C++ gives the
// same outputs (Debian's /usr/bin/python3 with python3-torch).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/serialize.h>

#include "test_util.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/util/atomic_file.h"

using xt::testing::TempDir;

TEST(PythonInterop, TorchJitLoadGivesTheSameOutputsAsCpp) {
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import torch'").exit_code != 0) {
    GTEST_SKIP() << "python3-torch is not installed (the setup script installs it)";
  }
  TempDir dir;
  torch::manual_seed(3);
  xt::nn::LSTMForecaster model(xt::nn::LSTMForecasterConfig{6, 24, 2, 0.3, 2});
  xt::save_model(model, dir / "model.pt");

  const torch::Tensor x = torch::randn({16, 20, 6});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    model->eval();
    expected = model->forward(x);
  }
  c10::Dict<std::string, torch::Tensor> tensors;
  tensors.insert("input", x);
  tensors.insert("expected", expected);
  const std::vector<char> bytes = torch::pickle_save(tensors);
  xt::write_file_atomically(dir / "tensors.pt", std::string_view(bytes.data(), bytes.size()));

  const auto result = xt::testing::run_command(std::string(xt::testing::kPython) + " " XT_SOURCE_DIR
                                               "/tools/python/check_torchscript.py " +
                                               (dir / "model.pt").string() + " " + (dir / "tensors.pt").string() +
                                               " --atol 1e-6");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, ::testing::HasSubstr("loaded LSTMForecaster, output (16, 2)"));
}

#pragma once
// LSTMForecaster: a stacked LSTM over a lookback window whose last hidden
// state feeds a linear head that predicts the next `horizon` values.
//
//   input  [batch, time, input_features]
//   output [batch, horizon]

#include <cstdint>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

struct LSTMForecasterConfig {
  std::int64_t input_features = 1;
  std::int64_t hidden_size = 64;
  std::int64_t num_layers = 2;
  double dropout = 0.0;  // between LSTM layers, active only in training
  std::int64_t horizon = 1;

  nlohmann::json to_json() const;
  static LSTMForecasterConfig from_json(const nlohmann::json& j);
};

class LSTMForecasterImpl : public ExportableModule {
 public:
  explicit LSTMForecasterImpl(const LSTMForecasterConfig& config);

  torch::Tensor forward(const torch::Tensor& x);

  const LSTMForecasterConfig& options() const { return config_; }

  std::string model_type() const override { return "LSTMForecaster"; }
  nlohmann::json config() const override { return config_.to_json(); }
  std::string torchscript_source() const override;
  void build_onnx(OnnxGraphBuilder& graph) const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override;

 private:
  LSTMForecasterConfig config_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear head_{nullptr};
};

TORCH_MODULE(LSTMForecaster);

}  // namespace xt::nn

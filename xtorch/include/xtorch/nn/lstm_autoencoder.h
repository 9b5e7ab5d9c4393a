#pragma once
// LSTMAutoencoder: sequence-to-sequence reconstruction for anomaly detection.
//
//   input  [batch, time, features]
//   output [batch, time, features]  the reconstruction
//
// An encoder LSTM reads the sequence; its last hidden state is the code. A
// decoder LSTM reads the code repeated at every step, and a linear layer maps
// its states back to features. Trained on normal sequences only, it
// reconstructs them well and anomalies badly: the reconstruction error is
// the anomaly score.

#include <cstdint>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

struct LSTMAutoencoderConfig {
  std::int64_t input_features = 1;
  std::int64_t hidden_size = 64;  // also the size of the code
  std::int64_t num_layers = 1;    // of the encoder and of the decoder
  double dropout = 0.0;           // between stacked LSTM layers, training only

  nlohmann::json to_json() const;
  static LSTMAutoencoderConfig from_json(const nlohmann::json& j);
};

class LSTMAutoencoderImpl : public ExportableModule {
 public:
  explicit LSTMAutoencoderImpl(const LSTMAutoencoderConfig& config);

  torch::Tensor forward(const torch::Tensor& x);
  // Mean squared reconstruction error per sequence: [batch].
  torch::Tensor anomaly_score(const torch::Tensor& x);

  const LSTMAutoencoderConfig& options() const { return config_; }

  std::string model_type() const override { return "LSTMAutoencoder"; }
  nlohmann::json config() const override { return config_.to_json(); }
  std::string torchscript_source() const override;
  void build_onnx(OnnxGraphBuilder& graph) const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override;

 private:
  LSTMAutoencoderConfig config_;
  torch::nn::LSTM encoder_{nullptr}, decoder_{nullptr};
  torch::nn::Linear head_{nullptr};
};

TORCH_MODULE(LSTMAutoencoder);

}  // namespace xt::nn

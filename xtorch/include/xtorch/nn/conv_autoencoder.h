#pragma once
// ConvAutoencoder: a 1-D convolutional autoencoder for multichannel series,
// e.g. denoising.
//
//   input  [batch, channels, time]   time a multiple of 2^levels
//   output [batch, channels, time]
//
// Encoder: `levels` blocks of Conv1d (stride 2, "same" padding) + ReLU, each
// halving the time axis. Decoder: the mirror image with ConvTranspose1d
// (stride 2, output_padding 1) doubling it back; no activation on the last
// layer, so outputs can take any value.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/container/sequential.h>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

struct ConvAutoencoderConfig {
  std::int64_t channels = 1;
  std::vector<std::int64_t> hidden_channels = {32, 64};  // one entry per level
  std::int64_t kernel_size = 5;                          // odd

  nlohmann::json to_json() const;
  static ConvAutoencoderConfig from_json(const nlohmann::json& j);
};

class ConvAutoencoderImpl : public ExportableModule {
 public:
  explicit ConvAutoencoderImpl(const ConvAutoencoderConfig& config);

  torch::Tensor forward(const torch::Tensor& x);

  const ConvAutoencoderConfig& options() const { return config_; }
  // The time axis must be a multiple of this.
  std::int64_t time_multiple() const { return std::int64_t{1} << config_.hidden_channels.size(); }

  std::string model_type() const override { return "ConvAutoencoder"; }
  nlohmann::json config() const override { return config_.to_json(); }
  std::string torchscript_source() const override;
  void build_onnx(OnnxGraphBuilder& graph) const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override;
  std::vector<torch::Tensor> example_inputs() const override;

 private:
  ConvAutoencoderConfig config_;
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};

TORCH_MODULE(ConvAutoencoder);

}  // namespace xt::nn

#pragma once
// CNN1d: a small 1-D convolutional classifier for sensor windows, sized for
// phones (about 35k parameters by default).
//
//   input  [batch, in_channels, time]
//   output [batch, num_classes]  logits
//
// Blocks of Conv1d ("same" padding) -> BatchNorm1d -> ReLU -> MaxPool1d(2),
// then global average pooling over time, dropout and a linear head.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

struct CNN1dConfig {
  std::int64_t in_channels = 3;
  std::vector<std::int64_t> channels = {32, 64, 64};  // one block each
  std::vector<std::int64_t> kernel_sizes = {7, 5, 3};  // odd, one per block
  std::int64_t num_classes = 6;
  double dropout = 0.3;

  nlohmann::json to_json() const;
  static CNN1dConfig from_json(const nlohmann::json& j);
};

class CNN1dImpl : public ExportableModule {
 public:
  explicit CNN1dImpl(const CNN1dConfig& config);

  torch::Tensor forward(const torch::Tensor& x);

  const CNN1dConfig& options() const { return config_; }
  std::int64_t parameter_count() const;

  std::string model_type() const override { return "CNN1d"; }
  nlohmann::json config() const override { return config_.to_json(); }
  std::string torchscript_source() const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override;
  std::vector<torch::Tensor> example_inputs() const override;

 private:
  CNN1dConfig config_;
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::Linear head_{nullptr};
};

TORCH_MODULE(CNN1d);

}  // namespace xt::nn

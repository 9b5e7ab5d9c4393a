#include "xtorch/nn/cnn1d.h"

#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

namespace xt::nn {

nlohmann::json CNN1dConfig::to_json() const {
  return {{"in_channels", in_channels}, {"channels", channels}, {"kernel_sizes", kernel_sizes},
          {"num_classes", num_classes}, {"dropout", dropout}};
}

CNN1dConfig CNN1dConfig::from_json(const nlohmann::json& j) {
  CNN1dConfig c;
  c.in_channels = j.at("in_channels").get<std::int64_t>();
  c.channels = j.at("channels").get<std::vector<std::int64_t>>();
  c.kernel_sizes = j.at("kernel_sizes").get<std::vector<std::int64_t>>();
  c.num_classes = j.at("num_classes").get<std::int64_t>();
  c.dropout = j.at("dropout").get<double>();
  return c;
}

CNN1dImpl::CNN1dImpl(const CNN1dConfig& config) : config_(config) {
  if (config.in_channels < 1 || config.num_classes < 2 || config.channels.empty() ||
      config.channels.size() != config.kernel_sizes.size()) {
    throw std::invalid_argument("CNN1d: in_channels >= 1, num_classes >= 2, one kernel size per block");
  }
  if (config.dropout < 0.0 || config.dropout >= 1.0) throw std::invalid_argument("CNN1d: dropout must be in [0, 1)");
  blocks_ = register_module("blocks", torch::nn::Sequential());
  std::int64_t in = config.in_channels;
  for (std::size_t b = 0; b < config.channels.size(); ++b) {
    const std::int64_t k = config.kernel_sizes[b], out = config.channels[b];
    if (k < 1 || k % 2 == 0 || out < 1) throw std::invalid_argument("CNN1d: kernel sizes must be odd, channels >= 1");
    blocks_->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, k).padding(k / 2)));
    blocks_->push_back(torch::nn::BatchNorm1d(out));
    blocks_->push_back(torch::nn::ReLU());
    blocks_->push_back(torch::nn::MaxPool1d(2));
    in = out;
  }
  head_ = register_module("head", torch::nn::Linear(in, config.num_classes));
}

std::int64_t CNN1dImpl::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

torch::Tensor CNN1dImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == config_.in_channels && x.size(2) >= (std::int64_t{1} << config_.channels.size()),
              "CNN1d: expected input [batch, ", config_.in_channels, ", time >= ",
              std::int64_t{1} << config_.channels.size(), "], got ", x.sizes());
  const torch::Tensor pooled = blocks_->forward(x).mean({2});  // global average over time
  return head_->forward(torch::dropout(pooled, config_.dropout, is_training()));
}

torch::Tensor CNN1dImpl::eager_forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == 1, "CNN1d takes one input");
  return forward(inputs[0]);
}

std::vector<torch::Tensor> CNN1dImpl::example_inputs() const {
  auto inputs = ExportableModule::example_inputs();  // [3, in_channels, 3]: make the time axis realistic
  inputs[0] = inputs[0].repeat({1, 1, 43}).slice(2, 0, 128);
  return inputs;
}

// The aten builtins the torch::nn modules call, block by block. BatchNorm
// uses its running statistics unless self.training (then batch statistics,
// updating the running ones, as the eager module does).
std::string CNN1dImpl::torchscript_source() const {
  const auto& c = config_;
  const std::int64_t min_time = std::int64_t{1} << c.channels.size();
  std::ostringstream src;
  src << "def forward(self, x: Tensor) -> Tensor:\n"
      << "    if x.dim() != 3 or x.size(1) != " << c.in_channels << " or x.size(2) < " << min_time << ":\n"
      << "        raise RuntimeError('CNN1d: expected input [batch, " << c.in_channels << ", time >= " << min_time
      << "], got ' + str(x.size()))\n"
      << "    h = x\n";
  for (std::size_t b = 0; b < c.channels.size(); ++b) {
    const std::string conv = "self.blocks_" + std::to_string(4 * b), bn = "self.blocks_" + std::to_string(4 * b + 1);
    src << "    h = torch.conv1d(h, " << conv << "_weight, " << conv << "_bias, [1], [" << c.kernel_sizes[b] / 2
        << "], [1], 1)\n"
        << "    h = torch.batch_norm(h, " << bn << "_weight, " << bn << "_bias, " << bn << "_running_mean, " << bn
        << "_running_var, self.training, " << script_float(0.1) << ", " << script_float(1e-5) << ", False)\n"
        << "    h = torch.max_pool1d(torch.relu(h), [2], [2], [0], [1], False)\n";
  }
  src << "    pooled = torch.dropout(h.mean([2]), " << script_float(c.dropout) << ", self.training)\n"
      << "    return torch.linear(pooled, self.head_weight, self.head_bias)\n";
  return src.str();
}

std::vector<TensorSpec> CNN1dImpl::input_specs() const {
  return {TensorSpec{"x", {-1, config_.in_channels, -1}, "float32"}};
}

std::vector<TensorSpec> CNN1dImpl::output_specs() const {
  return {TensorSpec{"logits", {-1, config_.num_classes}, "float32"}};
}

}  // namespace xt::nn

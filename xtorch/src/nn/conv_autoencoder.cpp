#include "xtorch/nn/conv_autoencoder.h"

#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

#include "xtorch/serialize/onnx_builder.h"

namespace xt::nn {

nlohmann::json ConvAutoencoderConfig::to_json() const {
  return {{"channels", channels}, {"hidden_channels", hidden_channels}, {"kernel_size", kernel_size}};
}

ConvAutoencoderConfig ConvAutoencoderConfig::from_json(const nlohmann::json& j) {
  ConvAutoencoderConfig c;
  c.channels = j.at("channels").get<std::int64_t>();
  c.hidden_channels = j.at("hidden_channels").get<std::vector<std::int64_t>>();
  c.kernel_size = j.at("kernel_size").get<std::int64_t>();
  return c;
}

ConvAutoencoderImpl::ConvAutoencoderImpl(const ConvAutoencoderConfig& config) : config_(config) {
  if (config.channels < 1 || config.hidden_channels.empty() || config.kernel_size < 3 || config.kernel_size % 2 == 0) {
    throw std::invalid_argument("ConvAutoencoder: channels >= 1, at least one level, odd kernel_size >= 3");
  }
  const std::int64_t k = config.kernel_size, pad = k / 2;
  encoder_ = register_module("encoder", torch::nn::Sequential());
  decoder_ = register_module("decoder", torch::nn::Sequential());
  std::int64_t in = config.channels;
  for (const auto out : config.hidden_channels) {
    if (out < 1) throw std::invalid_argument("ConvAutoencoder: hidden_channels must be >= 1");
    encoder_->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, k).stride(2).padding(pad)));
    encoder_->push_back(torch::nn::ReLU());
    in = out;
  }
  // Mirror: L_out = (L_in - 1) * 2 - 2 * pad + (k - 1) + 1 + 1 = 2 * L_in for odd k.
  for (auto it = config.hidden_channels.rbegin(); it != config.hidden_channels.rend(); ++it) {
    const bool last = std::next(it) == config.hidden_channels.rend();
    const std::int64_t out = last ? config.channels : *std::next(it);
    decoder_->push_back(torch::nn::ConvTranspose1d(
        torch::nn::ConvTranspose1dOptions(in, out, k).stride(2).padding(pad).output_padding(1)));
    if (!last) decoder_->push_back(torch::nn::ReLU());
    in = out;
  }
}

torch::Tensor ConvAutoencoderImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == config_.channels && x.size(2) % time_multiple() == 0,
              "ConvAutoencoder: expected input [batch, ", config_.channels, ", time] with time a multiple of ",
              time_multiple(), ", got ", x.sizes());
  return decoder_->forward(encoder_->forward(x));
}

torch::Tensor ConvAutoencoderImpl::eager_forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == 1, "ConvAutoencoder takes one input");
  return forward(inputs[0]);
}

std::vector<torch::Tensor> ConvAutoencoderImpl::example_inputs() const {
  auto inputs = ExportableModule::example_inputs();  // [3, channels, 3]: the time axis needs a valid length
  inputs[0] = inputs[0].repeat({1, 1, 4 * time_multiple()}).slice(2, 0, 4 * time_multiple());
  return inputs;
}

// Layer by layer with the aten builtins the torch::nn modules call.
std::string ConvAutoencoderImpl::torchscript_source() const {
  const auto& c = config_;
  const std::string pad = std::to_string(c.kernel_size / 2);
  std::ostringstream src;
  src << "def forward(self, x: Tensor) -> Tensor:\n"
      << "    if x.dim() != 3 or x.size(1) != " << c.channels << " or x.size(2) % " << time_multiple() << " != 0:\n"
      << "        raise RuntimeError('ConvAutoencoder: expected input [batch, " << c.channels
      << ", time] with time a multiple of " << time_multiple() << ", got ' + str(x.size()))\n"
      << "    h = x\n";
  for (std::size_t i = 0; i < encoder_->size(); ++i) {
    const std::string p = "self.encoder_" + std::to_string(i);
    if ((*encoder_)[i]->as<torch::nn::Conv1d>()) {
      src << "    h = torch.conv1d(h, " << p << "_weight, " << p << "_bias, [2], [" << pad << "], [1], 1)\n";
    } else {
      src << "    h = torch.relu(h)\n";
    }
  }
  for (std::size_t i = 0; i < decoder_->size(); ++i) {
    const std::string p = "self.decoder_" + std::to_string(i);
    if ((*decoder_)[i]->as<torch::nn::ConvTranspose1d>()) {
      src << "    h = torch.conv_transpose1d(h, " << p << "_weight, " << p << "_bias, [2], [" << pad
          << "], [1], 1, [1])\n";
    } else {
      src << "    h = torch.relu(h)\n";
    }
  }
  src << "    return h\n";
  return src.str();
}

void ConvAutoencoderImpl::build_onnx(OnnxGraphBuilder& g) const {
  const std::string x = g.input("x", {"batch", config_.channels, "time"});
  const std::string code = g.layer(x, *encoder_, "encoder");
  g.output(g.layer(code, *decoder_, "decoder"), "reconstruction", {"batch", config_.channels, "time"});
}

std::vector<TensorSpec> ConvAutoencoderImpl::input_specs() const {
  return {TensorSpec{"x", {-1, config_.channels, -1}, "float32"}};
}

std::vector<TensorSpec> ConvAutoencoderImpl::output_specs() const {
  return {TensorSpec{"reconstruction", {-1, config_.channels, -1}, "float32"}};
}

}  // namespace xt::nn

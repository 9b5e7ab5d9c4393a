#include "xtorch/nn/lstm_autoencoder.h"

#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

#include "xtorch/serialize/onnx_builder.h"

namespace xt::nn {

nlohmann::json LSTMAutoencoderConfig::to_json() const {
  return {{"input_features", input_features}, {"hidden_size", hidden_size}, {"num_layers", num_layers},
          {"dropout", dropout}};
}

LSTMAutoencoderConfig LSTMAutoencoderConfig::from_json(const nlohmann::json& j) {
  LSTMAutoencoderConfig c;
  c.input_features = j.at("input_features").get<std::int64_t>();
  c.hidden_size = j.at("hidden_size").get<std::int64_t>();
  c.num_layers = j.at("num_layers").get<std::int64_t>();
  c.dropout = j.at("dropout").get<double>();
  return c;
}

LSTMAutoencoderImpl::LSTMAutoencoderImpl(const LSTMAutoencoderConfig& config) : config_(config) {
  if (config.input_features < 1 || config.hidden_size < 1 || config.num_layers < 1) {
    throw std::invalid_argument("LSTMAutoencoder: input_features, hidden_size and num_layers must be >= 1");
  }
  if (config.dropout < 0.0 || config.dropout >= 1.0) {
    throw std::invalid_argument("LSTMAutoencoder: dropout must be in [0, 1)");
  }
  const double dropout = config.num_layers > 1 ? config.dropout : 0.0;
  encoder_ = register_module("encoder", torch::nn::LSTM(torch::nn::LSTMOptions(config.input_features, config.hidden_size)
                                                            .num_layers(config.num_layers)
                                                            .dropout(dropout)
                                                            .batch_first(true)));
  decoder_ = register_module("decoder", torch::nn::LSTM(torch::nn::LSTMOptions(config.hidden_size, config.hidden_size)
                                                            .num_layers(config.num_layers)
                                                            .dropout(dropout)
                                                            .batch_first(true)));
  head_ = register_module("head", torch::nn::Linear(config.hidden_size, config.input_features));
}

torch::Tensor LSTMAutoencoderImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == config_.input_features, "LSTMAutoencoder: expected input [batch, time, ",
              config_.input_features, "], got ", x.sizes());
  const torch::Tensor code = std::get<0>(encoder_->forward(x)).select(1, -1);  // [B, H]
  const torch::Tensor repeated = code.unsqueeze(1).expand({x.size(0), x.size(1), config_.hidden_size});
  return head_->forward(std::get<0>(decoder_->forward(repeated)));
}

torch::Tensor LSTMAutoencoderImpl::anomaly_score(const torch::Tensor& x) {
  return (forward(x) - x).pow(2).mean({1, 2});
}

torch::Tensor LSTMAutoencoderImpl::eager_forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == 1, "LSTMAutoencoder takes one input");
  return forward(inputs[0]);
}

std::string LSTMAutoencoderImpl::torchscript_source() const {
  const auto& c = config_;
  const std::string dropout = script_float(c.num_layers > 1 ? c.dropout : 0.0);
  const auto lstm = [&](const std::string& input, const std::string& module) {
    return "torch.lstm(" + input + ", [h0, h0], " + script_lstm_weights(module, c.num_layers) + ", True, " +
           std::to_string(c.num_layers) + ", " + dropout + ", self.training, False, True)";
  };
  std::ostringstream src;
  src << "def forward(self, x: Tensor) -> Tensor:\n"
      << "    if x.dim() != 3 or x.size(2) != " << c.input_features << ":\n"
      << "        raise RuntimeError('LSTMAutoencoder: expected input [batch, time, " << c.input_features
      << "], got ' + str(x.size()))\n"
      << "    h0 = torch.zeros([" << c.num_layers << ", x.size(0), " << c.hidden_size
      << "], dtype=x.dtype, device=x.device)\n"
      << "    encoded, hn, cn = " << lstm("x", "encoder") << "\n"
      << "    code = encoded.select(1, -1)\n"
      << "    repeated = code.unsqueeze(1).expand([x.size(0), x.size(1), " << c.hidden_size << "])\n"
      << "    decoded, hn2, cn2 = " << lstm("repeated", "decoder") << "\n"
      << "    return torch.linear(decoded, self.head_weight, self.head_bias)\n";
  return src.str();
}

void LSTMAutoencoderImpl::build_onnx(OnnxGraphBuilder& g) const {
  const std::string x = g.input("x", {"batch", "time", config_.input_features});
  const std::string code = g.lstm_batch_first(x, *encoder_, "encoder").last_hidden;  // [B, H]
  // Repeat the code over time: Expand [B, 1, H] to [B, T, H], the target
  // shape built from x's own (dynamic) batch and time sizes.
  const std::string batch_and_time = g.op1(
      "Slice", {g.op1("Shape", {x}), g.constant_ints("starts", {0}), g.constant_ints("ends", {2}),
                g.constant_ints("axes", {0})});
  const std::string shape = g.op1("Concat", {batch_and_time, g.constant_ints("hidden", {config_.hidden_size})},
                                  {{"axis", std::int64_t{0}}});
  const std::string repeated = g.op1("Expand", {g.unsqueeze(code, {1}), shape});
  const std::string decoded = g.lstm_batch_first(repeated, *decoder_, "decoder").sequence;
  g.output(g.linear(decoded, *head_, "head"), "reconstruction", {"batch", "time", config_.input_features});
}

std::vector<TensorSpec> LSTMAutoencoderImpl::input_specs() const {
  return {TensorSpec{"x", {-1, -1, config_.input_features}, "float32"}};
}

std::vector<TensorSpec> LSTMAutoencoderImpl::output_specs() const {
  return {TensorSpec{"reconstruction", {-1, -1, config_.input_features}, "float32"}};
}

}  // namespace xt::nn

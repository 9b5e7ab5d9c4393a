#include "xtorch/nn/lstm_forecaster.h"

#include <sstream>
#include <stdexcept>

#include "xtorch/serialize/onnx_builder.h"

namespace xt::nn {

nlohmann::json LSTMForecasterConfig::to_json() const {
  return {{"input_features", input_features}, {"hidden_size", hidden_size}, {"num_layers", num_layers},
          {"dropout", dropout}, {"horizon", horizon}};
}

LSTMForecasterConfig LSTMForecasterConfig::from_json(const nlohmann::json& j) {
  LSTMForecasterConfig c;
  c.input_features = j.at("input_features").get<std::int64_t>();
  c.hidden_size = j.at("hidden_size").get<std::int64_t>();
  c.num_layers = j.at("num_layers").get<std::int64_t>();
  c.dropout = j.at("dropout").get<double>();
  c.horizon = j.at("horizon").get<std::int64_t>();
  return c;
}

LSTMForecasterImpl::LSTMForecasterImpl(const LSTMForecasterConfig& config) : config_(config) {
  if (config.input_features < 1 || config.hidden_size < 1 || config.num_layers < 1 || config.horizon < 1) {
    throw std::invalid_argument("LSTMForecaster: input_features, hidden_size, num_layers and horizon must be >= 1");
  }
  if (config.dropout < 0.0 || config.dropout >= 1.0) {
    throw std::invalid_argument("LSTMForecaster: dropout must be in [0, 1)");
  }
  lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(config.input_features, config.hidden_size)
                                                      .num_layers(config.num_layers)
                                                      .dropout(config.num_layers > 1 ? config.dropout : 0.0)
                                                      .batch_first(true)));
  head_ = register_module("head", torch::nn::Linear(config.hidden_size, config.horizon));
}

torch::Tensor LSTMForecasterImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == config_.input_features, "LSTMForecaster: expected input [batch, time, ",
              config_.input_features, "], got ", x.sizes());
  const torch::Tensor sequence = std::get<0>(lstm_->forward(x));  // [B, T, H]
  return head_->forward(sequence.select(1, -1));                   // last step -> [B, horizon]
}

torch::Tensor LSTMForecasterImpl::eager_forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == 1, "LSTMForecaster takes one input");
  return forward(inputs[0]);
}

// The same computation with aten builtins: torch.lstm with the weights in
// torch::nn::LSTM's order, so both forms agree to the last bit.
std::string LSTMForecasterImpl::torchscript_source() const {
  const auto& c = config_;
  const double dropout = c.num_layers > 1 ? c.dropout : 0.0;
  std::ostringstream src;
  src << "def forward(self, x: Tensor) -> Tensor:\n"
      << "    if x.dim() != 3 or x.size(2) != " << c.input_features << ":\n"
      << "        raise RuntimeError('LSTMForecaster: expected input [batch, time, " << c.input_features
      << "], got ' + str(x.size()))\n"
      << "    h0 = torch.zeros([" << c.num_layers << ", x.size(0), " << c.hidden_size
      << "], dtype=x.dtype, device=x.device)\n"
      << "    out, hn, cn = torch.lstm(x, [h0, h0], " << script_lstm_weights("lstm", c.num_layers) << ", True, " << c.num_layers << ", "
      << script_float(dropout) << ", self.training, False, True)\n"
      << "    return torch.linear(out.select(1, -1), self.head_weight, self.head_bias)\n";
  return src.str();
}

void LSTMForecasterImpl::build_onnx(OnnxGraphBuilder& graph) const {
  const std::string x = graph.input("x", {"batch", "time", config_.input_features});
  const auto lstm = graph.lstm_batch_first(x, *lstm_, "lstm");
  graph.output(graph.linear(lstm.last_hidden, *head_, "head"), "forecast", {"batch", config_.horizon});
}

std::vector<TensorSpec> LSTMForecasterImpl::input_specs() const {
  return {TensorSpec{"x", {-1, -1, config_.input_features}, "float32"}};
}

std::vector<TensorSpec> LSTMForecasterImpl::output_specs() const {
  return {TensorSpec{"forecast", {-1, config_.horizon}, "float32"}};
}

}  // namespace xt::nn

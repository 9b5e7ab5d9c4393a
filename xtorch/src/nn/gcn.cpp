#include "xtorch/nn/gcn.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

#include "xtorch/serialize/onnx_builder.h"

namespace xt::nn {

torch::Tensor sparse_aware_dropout(const torch::Tensor& x, double p, bool training) {
  if (!x.is_sparse()) return torch::dropout(x, p, training);
  if (!training || p == 0.0) return x;
  const torch::Tensor values = x._values();
  const torch::Tensor keep = torch::bernoulli(torch::full_like(values, 1.0 - p));
  return torch::sparse_coo_tensor(x._indices(), values * keep / (1.0 - p), x.sizes());
}

GraphConvImpl::GraphConvImpl(std::int64_t in_features, std::int64_t out_features, bool with_bias) {
  weight = register_parameter("weight", torch::empty({in_features, out_features}));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}));
  reset_parameters();
}

void GraphConvImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  const double limit = std::sqrt(6.0 / static_cast<double>(weight.size(0) + weight.size(1)));
  weight.uniform_(-limit, limit);
  if (bias.defined()) bias.zero_();
}

torch::Tensor GraphConvImpl::forward(const torch::Tensor& x, const torch::Tensor& adj) {
  torch::Tensor out = torch::mm(adj, torch::mm(x, weight));
  return bias.defined() ? out + bias : out;
}

nlohmann::json GCNConfig::to_json() const {
  return {{"in_features", in_features}, {"hidden", hidden}, {"num_classes", num_classes}, {"dropout", dropout},
          {"bias", bias}};
}

GCNConfig GCNConfig::from_json(const nlohmann::json& j) {
  GCNConfig c;
  c.in_features = j.at("in_features").get<std::int64_t>();
  c.hidden = j.at("hidden").get<std::int64_t>();
  c.num_classes = j.at("num_classes").get<std::int64_t>();
  c.dropout = j.at("dropout").get<double>();
  c.bias = j.at("bias").get<bool>();
  return c;
}

GCNImpl::GCNImpl(const GCNConfig& config) : config_(config) {
  if (config.in_features < 1 || config.hidden < 1 || config.num_classes < 2) {
    throw std::invalid_argument("GCN: in_features and hidden must be >= 1, num_classes >= 2");
  }
  if (config.dropout < 0.0 || config.dropout >= 1.0) throw std::invalid_argument("GCN: dropout must be in [0, 1)");
  conv1_ = register_module("conv1", GraphConv(config.in_features, config.hidden, config.bias));
  conv2_ = register_module("conv2", GraphConv(config.hidden, config.num_classes, config.bias));
}

torch::Tensor GCNImpl::forward(const torch::Tensor& x, const torch::Tensor& adj) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == config_.in_features, "GCN: expected features [nodes, ",
              config_.in_features, "], got ", x.sizes());
  TORCH_CHECK(adj.dim() == 2 && adj.size(0) == x.size(0) && adj.size(1) == x.size(0),
              "GCN: expected adjacency [nodes, nodes] with nodes = ", x.size(0), ", got ", adj.sizes());
  torch::Tensor h = torch::relu(conv1_->forward(sparse_aware_dropout(x, config_.dropout, is_training()), adj));
  return conv2_->forward(torch::dropout(h, config_.dropout, is_training()), adj);
}

torch::Tensor GCNImpl::eager_forward(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == 2, "GCN takes two inputs (features, adjacency)");
  return forward(inputs[0], inputs[1]);
}

// The same computation with aten builtins, op for op, so eager and scripted
// outputs agree to the last bit.
std::string GCNImpl::torchscript_source() const {
  const auto& c = config_;
  const std::string p = script_float(c.dropout), keep = script_float(1.0 - c.dropout);
  const auto conv = [&](const std::string& layer, const std::string& input) {
    std::string out = "torch.mm(adj, torch.mm(" + input + ", self." + layer + "_weight))";
    return c.bias ? out + " + self." + layer + "_bias" : out;
  };
  std::ostringstream src;
  src << "def forward(self, x: Tensor, adj: Tensor) -> Tensor:\n"
      << "    if x.dim() != 2 or x.size(1) != " << c.in_features << ":\n"
      << "        raise RuntimeError('GCN: expected features [nodes, " << c.in_features
      << "], got ' + str(x.size()))\n"
      << "    if adj.dim() != 2 or adj.size(0) != x.size(0) or adj.size(1) != x.size(0):\n"
      << "        raise RuntimeError('GCN: expected adjacency [nodes, nodes] with nodes = ' + str(x.size(0)) + "
         "', got ' + str(adj.size()))\n"
      << "    if x.is_sparse:\n"
      << "        if self.training and " << p << " > 0.0:\n"
      << "            values = x._values()\n"
      << "            mask = torch.bernoulli(torch.full_like(values, " << keep << "))\n"
      << "            x = torch.sparse_coo_tensor(x._indices(), values * mask / " << keep << ", x.size())\n"
      << "    else:\n"
      << "        x = torch.dropout(x, " << p << ", self.training)\n"
      << "    h = torch.relu(" << conv("conv1", "x") << ")\n"
      << "    h = torch.dropout(h, " << p << ", self.training)\n"
      << "    return " << conv("conv2", "h") << "\n";
  return src.str();
}

void GCNImpl::build_onnx(OnnxGraphBuilder& graph) const {
  const std::string x = graph.input("features", {"nodes", config_.in_features});
  const std::string adj = graph.input("adjacency", {"nodes", "nodes"});
  const auto conv = [&](const std::string& input, const GraphConvImpl& layer, const std::string& name) {
    std::string out = graph.matmul(adj, graph.matmul(input, graph.initializer(name + ".weight", layer.weight)));
    return layer.bias.defined() ? graph.add(out, graph.initializer(name + ".bias", layer.bias)) : out;
  };
  const std::string hidden = graph.relu(conv(x, *conv1_, "conv1"));
  graph.output(conv(hidden, *conv2_, "conv2"), "logits", {"nodes", config_.num_classes});
}

std::vector<TensorSpec> GCNImpl::input_specs() const {
  return {TensorSpec{"features", {-1, config_.in_features}, "float32"},
          TensorSpec{"adjacency", {-1, -1}, "float32"}};
}

std::vector<TensorSpec> GCNImpl::output_specs() const {
  return {TensorSpec{"logits", {-1, config_.num_classes}, "float32"}};
}

}  // namespace xt::nn

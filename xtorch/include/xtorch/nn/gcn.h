#pragma once
// GCN: the two-layer graph convolutional network of Kipf & Welling (ICLR
// 2017) for semi-supervised node classification.
//
//   inputs  x   [nodes, in_features]  node features (dense or sparse COO)
//           adj [nodes, nodes]        D^-1/2 (A + I) D^-1/2 (sparse COO or dense),
//                                     see xt::data::normalized_adjacency
//   output      [nodes, num_classes]  class logits
//
//   logits = adj · (dropout(relu(adj · (dropout(x) W1) + b1)) W2) + b2
//
// Sparse features stay sparse: dropout then drops stored values only, which
// is what the reference implementation does and far cheaper than a dense
// mask over a bag-of-words matrix.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

// Dropout that accepts a sparse COO tensor (drops stored values, scales the
// kept ones by 1/(1-p)) as well as a dense one.
torch::Tensor sparse_aware_dropout(const torch::Tensor& x, double p, bool training);

// One graph convolution: adj · (x W) + b, with W stored [in, out].
class GraphConvImpl : public torch::nn::Module {
 public:
  GraphConvImpl(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& adj);
  void reset_parameters();  // Glorot-uniform weight, zero bias (as Kipf & Welling)

  torch::Tensor weight, bias;  // bias is undefined without one
};
TORCH_MODULE(GraphConv);

struct GCNConfig {
  std::int64_t in_features = 1;
  std::int64_t hidden = 16;
  std::int64_t num_classes = 2;
  double dropout = 0.5;  // on the input features and on the hidden layer
  bool bias = true;

  nlohmann::json to_json() const;
  static GCNConfig from_json(const nlohmann::json& j);
};

class GCNImpl : public ExportableModule {
 public:
  explicit GCNImpl(const GCNConfig& config);

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& adj);

  const GCNConfig& options() const { return config_; }
  // The paper puts weight decay on the first layer only; these are the
  // parameters of each layer for an optimizer's parameter groups.
  std::vector<torch::Tensor> first_layer_parameters() const { return conv1_->parameters(); }
  std::vector<torch::Tensor> other_parameters() const { return conv2_->parameters(); }

  std::string model_type() const override { return "GCN"; }
  nlohmann::json config() const override { return config_.to_json(); }
  std::string torchscript_source() const override;
  // Dense inputs: features [nodes, F] and the normalized adjacency [nodes, nodes].
  void build_onnx(OnnxGraphBuilder& graph) const override;
  std::vector<TensorSpec> input_specs() const override;
  std::vector<TensorSpec> output_specs() const override;
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override;

 private:
  GCNConfig config_;
  GraphConv conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(GCN);

}  // namespace xt::nn

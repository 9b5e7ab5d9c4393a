#include "xtorch/nn/graphsage.h"

#include <torch/nn/functional/normalization.h>
#include <torch/nn/modules/linear.h>

#include <stdexcept>

namespace xt::nn {

nlohmann::json GraphSAGEConfig::to_json() const {
  return {{"feature_dim", feature_dim},
          {"num_nodes", num_nodes},
          {"embedding_dim", embedding_dim},
          {"layer_sizes", layer_sizes},
          {"normalize", normalize}};
}

GraphSAGEConfig GraphSAGEConfig::from_json(const nlohmann::json& j) {
  GraphSAGEConfig c;
  c.feature_dim = j.at("feature_dim").get<std::int64_t>();
  c.num_nodes = j.at("num_nodes").get<std::int64_t>();
  c.embedding_dim = j.at("embedding_dim").get<std::int64_t>();
  c.layer_sizes = j.at("layer_sizes").get<std::vector<std::int64_t>>();
  c.normalize = j.at("normalize").get<bool>();
  return c;
}

GraphSAGEImpl::GraphSAGEImpl(const GraphSAGEConfig& config) : config_(config) {
  if (config_.feature_dim < 0 || config_.embedding_dim < 0 || config_.feature_dim + config_.embedding_dim == 0) {
    throw std::invalid_argument("GraphSAGE: needs input features: feature_dim > 0 and/or embedding_dim > 0");
  }
  if (config_.embedding_dim > 0 && config_.num_nodes < 1) {
    throw std::invalid_argument("GraphSAGE: a learnable embedding table needs num_nodes >= 1");
  }
  if (config_.layer_sizes.empty()) throw std::invalid_argument("GraphSAGE: needs at least one layer");
  if (config_.embedding_dim > 0) {
    embedding_ = register_module(
        "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(config_.num_nodes, config_.embedding_dim)));
  }
  std::int64_t in = config_.feature_dim + config_.embedding_dim;
  for (const std::int64_t out : config_.layer_sizes) {
    if (out < 1) throw std::invalid_argument("GraphSAGE: layer sizes must be >= 1");
    linears_->push_back(torch::nn::Linear(2 * in, out));
    in = out;
  }
  register_module("layers", linears_);
}

torch::Tensor GraphSAGEImpl::input_features(const torch::Tensor& nodes, const torch::Tensor& features) {
  std::vector<torch::Tensor> parts;
  if (config_.feature_dim > 0) {
    if (!features.defined() || features.dim() != 2 || features.size(1) != config_.feature_dim) {
      throw std::invalid_argument("GraphSAGE: expected features [N, " + std::to_string(config_.feature_dim) + "]");
    }
    parts.push_back(features.index_select(0, nodes));
  }
  if (config_.embedding_dim > 0) parts.push_back(embedding_->forward(nodes));
  return parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
}

torch::Tensor GraphSAGEImpl::forward(const data::SampledBlocks& blocks, const torch::Tensor& features) {
  if (static_cast<std::int64_t>(blocks.neighbors.size()) != layers() ||
      blocks.nodes.size() != blocks.neighbors.size() + 1) {
    throw std::invalid_argument("GraphSAGE: expected blocks with " + std::to_string(layers()) +
                                " fan-outs (one per layer), got " + std::to_string(blocks.neighbors.size()));
  }
  // h[k]: the current representation of every node of hop k.
  std::vector<torch::Tensor> h;
  for (const auto& nodes : blocks.nodes) h.push_back(input_features(nodes, features));
  for (std::int64_t layer = 0; layer < layers(); ++layer) {
    auto linear = linears_->ptr<torch::nn::LinearImpl>(layer);
    std::vector<torch::Tensor> next;
    // After layer l only hops 0 .. layers-l-1 are still needed.
    for (std::size_t k = 0; k + 1 < h.size(); ++k) {
      const torch::Tensor& index = blocks.neighbors[k];  // [rows of hop k, fan-out] into hop k+1
      const torch::Tensor neighbor_mean =
          h[k + 1].index_select(0, index.reshape(-1)).view({index.size(0), index.size(1), -1}).mean(1);
      torch::Tensor out = linear->forward(torch::cat({h[k], neighbor_mean}, 1));
      if (layer + 1 < layers()) out = torch::relu(out);
      next.push_back(out);
    }
    h = std::move(next);
  }
  torch::Tensor z = h[0].index_select(0, blocks.target_rows);
  return config_.normalize ? torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1))
                           : z;
}

torch::Tensor GraphSAGEImpl::embed_all(const data::Adjacency& adjacency, const torch::Tensor& features,
                                       const std::vector<std::int64_t>& fanouts, std::uint64_t seed,
                                       std::int64_t batch_size) {
  const bool was_training = is_training();
  eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  const data::SampleKey key{seed, ~std::uint64_t{0}};
  for (std::int64_t start = 0; start < adjacency.num_nodes(); start += batch_size) {
    const std::int64_t end = std::min(adjacency.num_nodes(), start + batch_size);
    const torch::Tensor targets = torch::arange(start, end, torch::kInt64);
    out.push_back(forward(data::sample_neighbors(adjacency, targets, fanouts, key), features));
  }
  train(was_training);
  return torch::cat(out);
}

torch::Tensor unsupervised_sage_loss(const torch::Tensor& z_u, const torch::Tensor& z_v,
                                     const torch::Tensor& z_negatives) {
  const torch::Tensor positive = (z_u * z_v).sum(1);             // [B]
  const torch::Tensor negative = torch::matmul(z_u, z_negatives.t());  // [B, Q]
  // -log sigma(x) = softplus(-x)
  return (torch::softplus(-positive) + torch::softplus(negative).sum(1)).mean();
}

torch::Tensor pair_batch_loss(GraphSAGEImpl& model, const data::Adjacency& adjacency,
                              const data::NegativeSampler& sampler, const torch::Tensor& features,
                              const std::vector<std::int64_t>& fanouts, const torch::Tensor& pairs,
                              std::int64_t negatives, const data::SampleKey& key) {
  if (pairs.dim() != 2 || pairs.size(1) != 2) throw std::invalid_argument("pair_batch_loss: pairs must be [B, 2]");
  const std::int64_t b = pairs.size(0);
  const torch::Tensor targets = torch::cat({pairs.select(1, 0), pairs.select(1, 1), sampler.sample(negatives, key)});
  const torch::Tensor z = model.forward(data::sample_neighbors(adjacency, targets, fanouts, key), features);
  return unsupervised_sage_loss(z.slice(0, 0, b), z.slice(0, b, 2 * b), z.slice(0, 2 * b));
}

}  // namespace xt::nn

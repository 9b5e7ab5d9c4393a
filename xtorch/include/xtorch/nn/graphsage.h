#pragma once
// GraphSAGE (Hamilton, Ying & Leskovec 2017) with the mean aggregator,
// trained on sampled neighbourhoods (data/graph_sampling.h).
//
//   blocks = sample_neighbors(adjacency, targets, {25, 10}, key)
//   z      = sage->forward(blocks, features)     // [targets, out] embeddings
//
// Layer k maps every node v of the hops it still needs to
//   h_k(v) = act(W_k [h_{k-1}(v) || mean_{u in sampled N(v)} h_{k-1}(u)] + b_k)
// (ReLU between layers, none after the last: Algorithm 1 of the paper with
// the mean aggregator), and the output is L2-normalized as in the paper's
// unsupervised setting.
//
// Input features h_0 are the concatenation of what the config asks for:
// given node features (data, or structural ones for a featureless graph)
// and/or a learnable embedding row per node.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include "xtorch/data/graph_sampling.h"
#include "xtorch/nn/exportable.h"

namespace xt::nn {

struct GraphSAGEConfig {
  std::int64_t feature_dim = 0;    // columns of the given features; 0 = none
  std::int64_t num_nodes = 0;      // rows of the learnable embedding table (with embedding_dim)
  std::int64_t embedding_dim = 0;  // learnable input features per node; 0 = none
  std::vector<std::int64_t> layer_sizes = {128, 128};  // one per layer; the last is the embedding size
  bool normalize = true;

  nlohmann::json to_json() const;
  static GraphSAGEConfig from_json(const nlohmann::json& j);
};

class GraphSAGEImpl : public DescribedModule {
 public:
  explicit GraphSAGEImpl(const GraphSAGEConfig& config);

  // Blocks from sample_neighbors with one fan-out per layer; `features` is
  // [N, feature_dim] (undefined when feature_dim is 0). One row per target.
  torch::Tensor forward(const data::SampledBlocks& blocks, const torch::Tensor& features);

  // Embeddings of all nodes, in eval mode without autograd, sampled with a
  // fixed key, `batch_size` targets at a time.
  torch::Tensor embed_all(const data::Adjacency& adjacency, const torch::Tensor& features,
                          const std::vector<std::int64_t>& fanouts, std::uint64_t seed,
                          std::int64_t batch_size = 1024);

  std::int64_t layers() const { return static_cast<std::int64_t>(config_.layer_sizes.size()); }
  const GraphSAGEConfig& options() const { return config_; }

  std::string model_type() const override { return "GraphSAGE"; }
  nlohmann::json config() const override { return config_.to_json(); }

 private:
  torch::Tensor input_features(const torch::Tensor& nodes, const torch::Tensor& features);

  GraphSAGEConfig config_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::ModuleList linears_;
};

TORCH_MODULE(GraphSAGE);

// The unsupervised loss of GraphSAGE: for embeddings of co-occurring pairs
// (z_u, z_v) and shared negatives z_n, the mean over pairs of
//   -log sigma(z_u . z_v) - sum_n log sigma(-z_u . z_n).
torch::Tensor unsupervised_sage_loss(const torch::Tensor& z_u, const torch::Tensor& z_v,
                                     const torch::Tensor& z_negatives);

// One training step's loss for a batch of positive pairs [B, 2]: draws
// `negatives` shared negative nodes, samples the neighbourhoods of all 2B +
// negatives targets in one go (everything keyed by `key`), embeds them and
// returns unsupervised_sage_loss.
torch::Tensor pair_batch_loss(GraphSAGEImpl& model, const data::Adjacency& adjacency,
                              const data::NegativeSampler& sampler, const torch::Tensor& features,
                              const std::vector<std::int64_t>& fanouts, const torch::Tensor& pairs,
                              std::int64_t negatives, const data::SampleKey& key);

}  // namespace xt::nn

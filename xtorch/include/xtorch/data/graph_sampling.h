#pragma once
// Mini-batch machinery for GraphSAGE-style training on one large graph:
// neighbour lists (CSR), fixed fan-out neighbour sampling, random walks and
// their co-occurrence pairs, degree-based negative sampling, and structural
// features for graphs that come without any.
//
//   xt::data::Adjacency adjacency(edge_index, num_nodes);
//   auto pairs = xt::data::random_walk_pairs(adjacency, {10, 10, 5}, seed);   // [P, 2]
//   xt::data::NegativeSampler negatives(adjacency);
//   auto blocks = xt::data::sample_neighbors(adjacency, targets, {25, 10}, xt::data::SampleKey{seed, step});
//
// Sampling is counter-based: what a node gets at a step is a pure function
// of (seed, step, node), never of what was drawn before. A resumed run, or
// a run whose batch is split across two processes, therefore draws exactly
// what an uninterrupted single process would, and no sampler state needs to
// be saved.

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace xt::data {

// Neighbour lists of an undirected graph, compressed (CSR). Edges count in
// both directions, duplicates once; self-loops are dropped.
class Adjacency {
 public:
  Adjacency(const torch::Tensor& edge_index, std::int64_t num_nodes);

  std::int64_t num_nodes() const { return static_cast<std::int64_t>(offsets_.size()) - 1; }
  std::int64_t num_edges() const { return static_cast<std::int64_t>(neighbors_.size()); }  // directed count
  std::int64_t degree(std::int64_t node) const { return offsets_[node + 1] - offsets_[node]; }
  const std::int64_t* neighbors(std::int64_t node) const { return neighbors_.data() + offsets_[node]; }
  torch::Tensor degrees() const;  // [N] int64

 private:
  std::vector<std::int64_t> offsets_;    // N + 1
  std::vector<std::int64_t> neighbors_;  // sorted within each node
};

// The counter of counter-based sampling.
struct SampleKey {
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
};

// A small, fast, stateless-seeded generator (SplitMix64) for one (key, node,
// purpose) triple.
class CounterRng {
 public:
  CounterRng(const SampleKey& key, std::uint64_t node, std::uint64_t purpose);
  std::uint64_t next();
  std::int64_t below(std::int64_t n);  // uniform in [0, n), n >= 1
  double uniform();                    // [0, 1)

 private:
  std::uint64_t state_;
};

// The computation graph of a mini-batch, as GraphSAGE needs it, with every
// node computed once per hop:
//   nodes[0]       the distinct targets;
//   neighbors[k]   [nodes[k].size(0), fanouts[k]] positions in nodes[k+1]:
//                  the neighbours drawn for each node of hop k, uniformly with
//                  replacement (as in GraphSAGE; a node without neighbours
//                  stands in for itself);
//   nodes[k+1]     the distinct nodes those draws hit;
//   target_rows    [targets] the row of each requested target in nodes[0].
// Draws are keyed by (key, hop, node): the same node in one hop always gets
// the same neighbours, which is what makes the deduplication exact.
struct SampledBlocks {
  std::vector<torch::Tensor> nodes;      // int64 node ids, one tensor per hop (fanouts.size() + 1)
  std::vector<torch::Tensor> neighbors;  // int64, one per fan-out
  torch::Tensor target_rows;             // int64
};

SampledBlocks sample_neighbors(const Adjacency& adjacency, const torch::Tensor& targets,
                               const std::vector<std::int64_t>& fanouts, const SampleKey& key);

struct RandomWalkOptions {
  std::int64_t walks_per_node = 10;
  std::int64_t walk_length = 10;  // nodes per walk, the start included
  std::int64_t window = 5;        // pairs (a, b) with a, b at most this far apart on a walk
};

// Uniform random walks from every node; returns co-occurrence pairs [P, 2]
// (both orders), the positives of the unsupervised GraphSAGE loss.
torch::Tensor random_walk_pairs(const Adjacency& adjacency, const RandomWalkOptions& options, std::uint64_t seed);

// Draws nodes with probability proportional to degree^power (word2vec's
// unigram^0.75, used by GraphSAGE and node2vec).
class NegativeSampler {
 public:
  explicit NegativeSampler(const Adjacency& adjacency, double power = 0.75);
  torch::Tensor sample(std::int64_t count, const SampleKey& key) const;  // [count] int64

 private:
  std::vector<double> cumulative_;
};

// Features for a graph that has none, from its structure alone: log degree,
// a one-hot degree bucket (powers of two), and the mean and max log degree of
// the neighbours. [N, 3 + buckets] float32, each column standardized.
torch::Tensor structural_features(const Adjacency& adjacency, std::int64_t buckets = 8);

// Spectral positional encodings: the `dimensions` leading eigenvectors of the
// normalized adjacency D^-1/2 A D^-1/2 (the trivial one skipped), i.e. the
// smoothest signals on the graph, found by subspace iteration on the sparse
// matrix with a final Rayleigh-Ritz step (no dense N x N matrix, so it
// scales to large graphs). Each column is standardized; signs and the basis
// within repeated eigenvalues are arbitrary, as always. Deterministic in `seed`.
torch::Tensor spectral_features(const Adjacency& adjacency, std::int64_t dimensions, std::int64_t iterations = 300,
                                std::uint64_t seed = 0);

}  // namespace xt::data

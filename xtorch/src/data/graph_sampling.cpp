#include "xtorch/data/graph_sampling.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xt::data {
namespace {

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a ^ (b + 0x9E3779B97F4A7C15ULL + (a << 6) + (a >> 2));
  return splitmix(state);
}

constexpr std::uint64_t kNeighborPurpose = 1, kWalkPurpose = 2, kNegativePurpose = 3;

}  // namespace

Adjacency::Adjacency(const torch::Tensor& edge_index, std::int64_t num_nodes) {
  if (!edge_index.defined() || edge_index.dim() != 2 || edge_index.size(0) != 2) {
    throw std::invalid_argument("Adjacency: edge_index must be [2, E]");
  }
  if (num_nodes < 0) throw std::invalid_argument("Adjacency: negative node count");
  const torch::Tensor edges = edge_index.to(torch::kInt64).contiguous();
  const std::int64_t e = edges.size(1);
  const std::int64_t* src = edges.data_ptr<std::int64_t>();
  const std::int64_t* dst = src + e;
  std::vector<std::vector<std::int64_t>> lists(static_cast<std::size_t>(num_nodes));
  for (std::int64_t i = 0; i < e; ++i) {
    const std::int64_t u = src[i], v = dst[i];
    if (u < 0 || v < 0 || u >= num_nodes || v >= num_nodes) {
      throw std::invalid_argument("Adjacency: edge " + std::to_string(i) + " (" + std::to_string(u) + ", " +
                                  std::to_string(v) + ") names a node outside [0, " + std::to_string(num_nodes) + ")");
    }
    if (u == v) continue;
    lists[u].push_back(v);
    lists[v].push_back(u);
  }
  offsets_.assign(static_cast<std::size_t>(num_nodes) + 1, 0);
  for (std::int64_t node = 0; node < num_nodes; ++node) {
    auto& list = lists[node];
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    offsets_[node + 1] = offsets_[node] + static_cast<std::int64_t>(list.size());
  }
  neighbors_.reserve(static_cast<std::size_t>(offsets_.back()));
  for (const auto& list : lists) neighbors_.insert(neighbors_.end(), list.begin(), list.end());
}

torch::Tensor Adjacency::degrees() const {
  torch::Tensor out = torch::empty({num_nodes()}, torch::kInt64);
  auto* d = out.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < num_nodes(); ++i) d[i] = degree(i);
  return out;
}

CounterRng::CounterRng(const SampleKey& key, std::uint64_t node, std::uint64_t purpose)
    : state_(mix(mix(mix(key.seed, key.step), node), purpose)) {}

std::uint64_t CounterRng::next() { return splitmix(state_); }

std::int64_t CounterRng::below(std::int64_t n) {
  // Multiply-shift: unbiased enough for n far below 2^64.
  return static_cast<std::int64_t>((static_cast<unsigned __int128>(next()) * static_cast<std::uint64_t>(n)) >> 64);
}

double CounterRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

namespace {

// Distinct values of `ids` in first-seen order, and each id's position among them.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> deduplicate(const std::vector<std::int64_t>& ids,
                                                                             std::int64_t num_nodes,
                                                                             std::vector<std::int64_t>& slot) {
  std::vector<std::int64_t> distinct, position(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::int64_t node = ids[i];
    if (node < 0 || node >= num_nodes) {
      throw std::invalid_argument("sample_neighbors: node " + std::to_string(node) + " is not in the graph");
    }
    if (slot[node] < 0) {
      slot[node] = static_cast<std::int64_t>(distinct.size());
      distinct.push_back(node);
    }
    position[i] = slot[node];
  }
  for (const auto node : distinct) slot[node] = -1;  // ready for the next hop
  return {std::move(distinct), std::move(position)};
}

torch::Tensor to_tensor(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return torch::from_blob(values.data(), {n}, torch::kInt64).clone();
}

}  // namespace

SampledBlocks sample_neighbors(const Adjacency& adjacency, const torch::Tensor& targets,
                               const std::vector<std::int64_t>& fanouts, const SampleKey& key) {
  if (!targets.defined() || targets.dim() != 1) throw std::invalid_argument("sample_neighbors: targets must be 1-D");
  const torch::Tensor t = targets.to(torch::kInt64).contiguous();
  std::vector<std::int64_t> slot(static_cast<std::size_t>(adjacency.num_nodes()), -1);
  auto [current, target_rows] =
      deduplicate(std::vector<std::int64_t>(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + t.numel()),
                  adjacency.num_nodes(), slot);
  SampledBlocks blocks;
  blocks.target_rows = to_tensor(std::move(target_rows));
  for (std::size_t k = 0; k < fanouts.size(); ++k) {
    const std::int64_t fanout = fanouts[k];
    if (fanout < 1) throw std::invalid_argument("sample_neighbors: fan-outs must be >= 1");
    std::vector<std::int64_t> drawn(current.size() * static_cast<std::size_t>(fanout));
    for (std::size_t i = 0; i < current.size(); ++i) {
      const std::int64_t node = current[i];
      const std::int64_t degree = adjacency.degree(node);
      CounterRng rng(key, static_cast<std::uint64_t>(node), kNeighborPurpose + 16 * k);
      for (std::int64_t j = 0; j < fanout; ++j) {
        drawn[i * fanout + j] = degree == 0 ? node : adjacency.neighbors(node)[rng.below(degree)];
      }
    }
    auto [next, position] = deduplicate(drawn, adjacency.num_nodes(), slot);
    const auto rows = static_cast<std::int64_t>(current.size());
    blocks.nodes.push_back(to_tensor(std::move(current)));
    blocks.neighbors.push_back(to_tensor(std::move(position)).view({rows, fanout}));
    current = std::move(next);
  }
  blocks.nodes.push_back(to_tensor(std::move(current)));
  return blocks;
}

torch::Tensor random_walk_pairs(const Adjacency& adjacency, const RandomWalkOptions& options, std::uint64_t seed) {
  if (options.walks_per_node < 1 || options.walk_length < 2 || options.window < 1) {
    throw std::invalid_argument("random_walk_pairs: need walks_per_node >= 1, walk_length >= 2, window >= 1");
  }
  std::vector<std::int64_t> pairs;
  std::vector<std::int64_t> walk;
  for (std::int64_t start = 0; start < adjacency.num_nodes(); ++start) {
    if (adjacency.degree(start) == 0) continue;
    for (std::int64_t w = 0; w < options.walks_per_node; ++w) {
      CounterRng rng(SampleKey{seed, static_cast<std::uint64_t>(w)}, static_cast<std::uint64_t>(start), kWalkPurpose);
      walk.assign(1, start);
      while (static_cast<std::int64_t>(walk.size()) < options.walk_length) {
        const std::int64_t at = walk.back();
        walk.push_back(adjacency.neighbors(at)[rng.below(adjacency.degree(at))]);
      }
      for (std::size_t i = 0; i < walk.size(); ++i) {
        for (std::size_t j = i + 1; j < walk.size() && static_cast<std::int64_t>(j - i) <= options.window; ++j) {
          if (walk[i] == walk[j]) continue;
          pairs.insert(pairs.end(), {walk[i], walk[j], walk[j], walk[i]});
        }
      }
    }
  }
  const auto count = static_cast<std::int64_t>(pairs.size() / 2);
  return torch::from_blob(pairs.data(), {count, 2}, torch::kInt64).clone();
}

NegativeSampler::NegativeSampler(const Adjacency& adjacency, double power) {
  cumulative_.resize(static_cast<std::size_t>(adjacency.num_nodes()));
  double total = 0.0;
  for (std::int64_t i = 0; i < adjacency.num_nodes(); ++i) {
    total += std::pow(static_cast<double>(adjacency.degree(i)), power);
    cumulative_[i] = total;
  }
  if (total <= 0.0) throw std::invalid_argument("NegativeSampler: the graph has no edges");
  for (auto& c : cumulative_) c /= total;
}

torch::Tensor NegativeSampler::sample(std::int64_t count, const SampleKey& key) const {
  torch::Tensor out = torch::empty({count}, torch::kInt64);
  auto* o = out.data_ptr<std::int64_t>();
  CounterRng rng(key, 0, kNegativePurpose);
  for (std::int64_t i = 0; i < count; ++i) {
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), rng.uniform());
    o[i] = std::min<std::int64_t>(it - cumulative_.begin(), static_cast<std::int64_t>(cumulative_.size()) - 1);
  }
  return out;
}

torch::Tensor structural_features(const Adjacency& adjacency, std::int64_t buckets) {
  const std::int64_t n = adjacency.num_nodes();
  torch::Tensor features = torch::zeros({n, 3 + buckets}, torch::kFloat32);
  auto f = features.accessor<float, 2>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t degree = adjacency.degree(i);
    f[i][0] = static_cast<float>(std::log1p(static_cast<double>(degree)));
    double sum = 0.0, max = 0.0;
    for (std::int64_t j = 0; j < degree; ++j) {
      const double d = std::log1p(static_cast<double>(adjacency.degree(adjacency.neighbors(i)[j])));
      sum += d;
      max = std::max(max, d);
    }
    f[i][1] = degree > 0 ? static_cast<float>(sum / static_cast<double>(degree)) : 0.0f;
    f[i][2] = static_cast<float>(max);
    const std::int64_t octave = degree == 0 ? 0 : 1 + static_cast<std::int64_t>(std::log2(static_cast<double>(degree)));
    const std::int64_t bucket = std::min<std::int64_t>(buckets - 1, octave);
    f[i][3 + bucket] = 1.0f;
  }
  const torch::Tensor mean = features.mean(0, true), std = features.std(0, true, true).clamp_min(1e-6);
  return (features - mean) / std;
}

torch::Tensor spectral_features(const Adjacency& adjacency, std::int64_t dimensions, std::int64_t iterations,
                                std::uint64_t seed) {
  const std::int64_t n = adjacency.num_nodes();
  if (dimensions < 1 || dimensions + 1 >= n) {
    throw std::invalid_argument("spectral_features: dimensions must be in [1, " + std::to_string(n - 2) + "]");
  }
  // B = (I + D^-1/2 A D^-1/2) / 2 has the same eigenvectors with eigenvalues
  // in [0, 1], so "largest in magnitude" (what power iteration finds) is
  // "smoothest".
  std::vector<std::int64_t> rows, cols;
  std::vector<double> values;
  for (std::int64_t i = 0; i < n; ++i) {
    const double di = static_cast<double>(std::max<std::int64_t>(1, adjacency.degree(i)));
    rows.push_back(i);
    cols.push_back(i);
    values.push_back(0.5);
    for (std::int64_t j = 0; j < adjacency.degree(i); ++j) {
      const std::int64_t k = adjacency.neighbors(i)[j];
      const double dk = static_cast<double>(std::max<std::int64_t>(1, adjacency.degree(k)));
      rows.push_back(i);
      cols.push_back(k);
      values.push_back(0.5 / std::sqrt(di * dk));
    }
  }
  const torch::Tensor index = torch::stack({torch::tensor(rows, torch::kInt64), torch::tensor(cols, torch::kInt64)});
  const torch::Tensor b = torch::sparse_coo_tensor(index, torch::tensor(values, torch::kFloat64), {n, n}).coalesce();

  const std::int64_t width = std::min(n, dimensions + 1 + std::max<std::int64_t>(16, dimensions / 4));  // oversampled
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({n, width}, generator, torch::kFloat64)));
  for (std::int64_t it = 0; it < iterations; ++it) {
    // Two products per orthonormalization: QR is the expensive part.
    q = std::get<0>(torch::linalg_qr(torch::mm(b, torch::mm(b, q))));
  }
  // Rayleigh-Ritz: the best eigenvector estimates inside the subspace.
  const torch::Tensor projected = torch::mm(q.t(), torch::mm(b, q));
  const auto [eigenvalues, eigenvectors] = torch::linalg_eigh(projected);  // ascending
  const torch::Tensor ritz = torch::mm(q, eigenvectors.flip({1}));      // descending
  const torch::Tensor kept = ritz.slice(1, 1, dimensions + 1);          // skip the trivial D^1/2 1 direction
  const torch::Tensor mean = kept.mean(0, true), std = kept.std(0, true, true).clamp_min(1e-12);
  return ((kept - mean) / std).to(torch::kFloat32);
}

}  // namespace xt::data

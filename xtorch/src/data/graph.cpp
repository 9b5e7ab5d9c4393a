#include "xtorch/data/graph.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "xtorch/data/datasets.h"
#include "xtorch/error.h"
#include "xtorch/util/text_file.h"

namespace xt::data {
namespace fs = std::filesystem;
namespace {

// Calls `on_line(line_number, fields)` for every non-blank line; fields are
// separated by tabs or spaces.
template <class OnLine>
void for_each_line(const std::string& text, OnLine on_line) {
  std::vector<std::string_view> fields;
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fields.clear();
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == '\t' || line[i] == ' ')) ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != '\t' && line[i] != ' ') ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (!fields.empty()) on_line(line_number, fields);
  }
}

bool parse_feature(std::string_view text, float& value) {
  if (text == "0") {
    value = 0.0f;
    return true;
  }
  if (text == "1") {
    value = 1.0f;
    return true;
  }
  const std::string copy(text);
  char* end = nullptr;
  value = std::strtof(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

torch::Tensor to_index_tensor(const std::vector<std::int64_t>& values) {
  return torch::tensor(values, torch::kInt64);
}

}  // namespace

Graph load_linqs(const fs::path& content_file, const fs::path& cites_file, const std::string& name) {
  Graph graph;
  graph.name = name;

  // ---- content: id, features, class name
  const std::string content = read_maybe_gzipped(content_file);
  std::int64_t num_features = -1;
  std::vector<std::int64_t> rows, cols;
  std::vector<float> values;
  std::vector<std::string> label_names;
  std::unordered_map<std::string, std::int64_t> index_of;
  for_each_line(content, [&](std::int64_t line, const std::vector<std::string_view>& fields) {
    if (fields.size() < 3) {
      throw DataError(content_file, line, "expected '<id> <features...> <class>', got " +
                                              std::to_string(fields.size()) + " field(s)");
    }
    const auto features_here = static_cast<std::int64_t>(fields.size()) - 2;
    if (num_features < 0) num_features = features_here;
    if (features_here != num_features) {
      throw DataError(content_file, line, "has " + std::to_string(features_here) + " features, earlier lines have " +
                                              std::to_string(num_features));
    }
    const std::int64_t node = static_cast<std::int64_t>(graph.node_ids.size());
    std::string id(fields.front());
    if (!index_of.emplace(id, node).second) throw DataError(content_file, line, "duplicate node id '" + id + "'");
    graph.node_ids.push_back(std::move(id));
    for (std::int64_t f = 0; f < num_features; ++f) {
      float value = 0.0f;
      if (!parse_feature(fields[static_cast<std::size_t>(f) + 1], value)) {
        throw DataError(content_file, line, "feature " + std::to_string(f) + " is not a number: '" +
                                                std::string(fields[static_cast<std::size_t>(f) + 1]) + "'");
      }
      if (value != 0.0f) {
        rows.push_back(node);
        cols.push_back(f);
        values.push_back(value);
      }
    }
    label_names.emplace_back(fields.back());
  });
  if (graph.node_ids.empty()) throw DataError(content_file, 0, "no nodes (file is empty)");

  // Class index = position in the sorted list of names.
  const std::set<std::string> classes(label_names.begin(), label_names.end());
  graph.class_names.assign(classes.begin(), classes.end());
  std::vector<std::int64_t> labels;
  labels.reserve(label_names.size());
  for (const auto& label : label_names) {
    labels.push_back(std::lower_bound(graph.class_names.begin(), graph.class_names.end(), label) -
                     graph.class_names.begin());
  }
  graph.labels = to_index_tensor(labels);
  const auto n = graph.num_nodes();
  const auto nnz = static_cast<std::int64_t>(values.size());
  torch::Tensor indices = torch::stack({to_index_tensor(rows), to_index_tensor(cols)}).reshape({2, nnz});
  graph.features =
      torch::sparse_coo_tensor(indices, torch::tensor(values, torch::kFloat32), {n, num_features}).coalesce();

  // ---- cites: one edge per line
  const std::string cites = read_maybe_gzipped(cites_file);
  std::vector<std::int64_t> sources, targets;
  for_each_line(cites, [&](std::int64_t line, const std::vector<std::string_view>& fields) {
    if (fields.size() != 2) {
      throw DataError(cites_file, line, "expected '<id> <id>', got " + std::to_string(fields.size()) + " field(s)");
    }
    const auto a = index_of.find(std::string(fields[0]));
    const auto b = index_of.find(std::string(fields[1]));
    if (a == index_of.end() || b == index_of.end()) {
      ++graph.skipped_edges;
      return;
    }
    sources.push_back(a->second);
    targets.push_back(b->second);
  });
  const auto edges = static_cast<std::int64_t>(sources.size());
  graph.edge_index = torch::stack({to_index_tensor(sources), to_index_tensor(targets)}).reshape({2, edges});
  return graph;
}

void apply_split_file(Graph& graph, const fs::path& split_file) {
  const nlohmann::json split = read_json_data(split_file);
  std::unordered_map<std::string, std::int64_t> index_of;
  for (std::size_t i = 0; i < graph.node_ids.size(); ++i) index_of.emplace(graph.node_ids[i], i);

  std::vector<bool> used(static_cast<std::size_t>(graph.num_nodes()), false);
  const auto read_part = [&](const char* part) {
    if (!split.is_object() || !split.contains(part) || !split[part].is_array()) {
      throw DataError(split_file, 0, std::string("has no \"") + part + "\" list of node ids");
    }
    std::vector<std::int64_t> nodes;
    for (const auto& id : split[part]) {
      const std::string key = id.is_string() ? id.get<std::string>() : id.dump();
      const auto it = index_of.find(key);
      if (it == index_of.end()) {
        throw DataError(split_file, 0, std::string("\"") + part + "\" names node '" + key + "', which " +
                                           graph.name + " does not have");
      }
      if (used[static_cast<std::size_t>(it->second)]) {
        throw DataError(split_file, 0, "node '" + key + "' is in more than one part of the split");
      }
      used[static_cast<std::size_t>(it->second)] = true;
      nodes.push_back(it->second);
    }
    return to_index_tensor(nodes);
  };
  graph.train_index = read_part("train");
  graph.val_index = read_part("val");
  graph.test_index = read_part("test");
}

void apply_random_split(Graph& graph, std::uint64_t seed, std::int64_t per_class, std::int64_t val,
                        std::int64_t test) {
  const auto n = graph.num_nodes();
  if (per_class * graph.num_classes() + val + test > n) {
    throw std::invalid_argument(graph.name + ": a split of " + std::to_string(per_class) + " per class + " +
                                std::to_string(val) + " + " + std::to_string(test) + " needs more than its " +
                                std::to_string(n) + " nodes");
  }
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  shuffle_in_place(order, rng);

  const auto labels = graph.labels.accessor<std::int64_t, 1>();
  std::vector<std::int64_t> taken_per_class(static_cast<std::size_t>(graph.num_classes()), 0);
  std::vector<std::int64_t> train, rest;
  for (const auto node : order) {
    auto& taken = taken_per_class[static_cast<std::size_t>(labels[node])];
    if (taken < per_class) {
      ++taken;
      train.push_back(node);
    } else {
      rest.push_back(node);
    }
  }
  graph.train_index = to_index_tensor(train);
  graph.val_index = to_index_tensor({rest.begin(), rest.begin() + val});
  graph.test_index = to_index_tensor({rest.begin() + val, rest.begin() + val + test});
}

std::int64_t count_undirected_edges(const torch::Tensor& edge_index) {
  const auto e = edge_index.accessor<std::int64_t, 2>();
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::int64_t i = 0; i < edge_index.size(1); ++i) {
    const auto u = e[0][i], v = e[1][i];
    if (u != v) pairs.emplace(std::min(u, v), std::max(u, v));
  }
  return static_cast<std::int64_t>(pairs.size());
}

torch::Tensor row_normalize(const torch::Tensor& features) {
  if (!features.is_sparse()) {
    const torch::Tensor sums = features.sum(1, /*keepdim=*/true);
    return features / torch::where(sums == 0, torch::ones_like(sums), sums);
  }
  const torch::Tensor x = features.coalesce();
  const torch::Tensor rows = x.indices()[0];
  torch::Tensor sums = torch::zeros({x.size(0)}, x.values().options()).index_add_(0, rows, x.values());
  sums = torch::where(sums == 0, torch::ones_like(sums), sums);
  return torch::sparse_coo_tensor(x.indices(), x.values() / sums.index_select(0, rows), x.sizes()).coalesce();
}

torch::Tensor normalized_adjacency(const torch::Tensor& edge_index, std::int64_t num_nodes) {
  TORCH_CHECK(edge_index.dim() == 2 && edge_index.size(0) == 2, "normalized_adjacency: edge_index must be [2, E], got ",
              edge_index.sizes());
  if (edge_index.numel() > 0) {
    TORCH_CHECK(edge_index.min().item<std::int64_t>() >= 0 && edge_index.max().item<std::int64_t>() < num_nodes,
                "normalized_adjacency: edge_index names a node outside [0, ", num_nodes, ")");
  }
  const torch::Tensor src = edge_index[0], dst = edge_index[1];
  const torch::Tensor off_diagonal = src != dst;
  const torch::Tensor loops = torch::arange(num_nodes, torch::kInt64);
  // Both directions plus the self-loops; coalesce sums duplicates, so the
  // values are reset to 1 afterwards (binary A).
  const torch::Tensor rows = torch::cat({src.masked_select(off_diagonal), dst.masked_select(off_diagonal), loops});
  const torch::Tensor cols = torch::cat({dst.masked_select(off_diagonal), src.masked_select(off_diagonal), loops});
  torch::Tensor a = torch::sparse_coo_tensor(torch::stack({rows, cols}), torch::ones({rows.size(0)}),
                                             {num_nodes, num_nodes})
                        .coalesce();
  const torch::Tensor index = a.indices();
  const torch::Tensor ones = torch::ones({index.size(1)});
  const torch::Tensor degree = torch::zeros({num_nodes}).index_add_(0, index[0], ones);
  const torch::Tensor inv_sqrt = degree.pow(-0.5);
  const torch::Tensor values = inv_sqrt.index_select(0, index[0]) * inv_sqrt.index_select(0, index[1]);
  return torch::sparse_coo_tensor(index, values, {num_nodes, num_nodes}).coalesce();
}

Graph make_synthetic_citation_graph(std::int64_t nodes, std::int64_t features, std::int64_t classes,
                                    std::uint64_t seed) {
  if (nodes < 2 * classes || features < classes || classes < 2) {
    throw std::invalid_argument("make_synthetic_citation_graph: need classes >= 2, nodes >= 2 * classes and "
                                "features >= classes");
  }
  std::mt19937_64 rng(seed);
  const auto uniform = [&](std::int64_t n) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n)); };
  const auto chance = [&](double p) { return static_cast<double>(rng() >> 11) * 0x1.0p-53 < p; };

  Graph graph;
  graph.name = "synthetic-citation";
  for (std::int64_t c = 0; c < classes; ++c) graph.class_names.push_back("topic_" + std::to_string(c));

  std::vector<std::int64_t> labels(static_cast<std::size_t>(nodes));
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(classes));
  for (std::int64_t i = 0; i < nodes; ++i) {
    labels[static_cast<std::size_t>(i)] = i % classes;
  }
  std::vector<std::int64_t> order(labels.begin(), labels.end());
  shuffle_in_place(order, rng);
  for (std::int64_t i = 0; i < nodes; ++i) {
    labels[static_cast<std::size_t>(i)] = order[static_cast<std::size_t>(i)];
    members[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])].push_back(i);
    graph.node_ids.push_back(std::to_string(i));
  }
  graph.labels = to_index_tensor(labels);

  // ~18 words per node (Cora's mean), 30% of them from the class's share of
  // the vocabulary.
  const std::int64_t vocabulary_per_class = features / classes;
  std::vector<std::int64_t> rows, cols;
  for (std::int64_t i = 0; i < nodes; ++i) {
    std::set<std::int64_t> words;
    const std::int64_t label = labels[static_cast<std::size_t>(i)];
    for (int w = 0; w < 18; ++w) {
      words.insert(chance(0.3) ? label * vocabulary_per_class + uniform(vocabulary_per_class) : uniform(features));
    }
    for (const auto word : words) {
      rows.push_back(i);
      cols.push_back(word);
    }
  }
  const auto nnz = static_cast<std::int64_t>(rows.size());
  graph.features = torch::sparse_coo_tensor(torch::stack({to_index_tensor(rows), to_index_tensor(cols)}),
                                            torch::ones({nnz}), {nodes, features})
                       .coalesce();

  // Two edges per node on average, 60% of them inside the class.
  std::vector<std::int64_t> sources, targets;
  for (std::int64_t i = 0; i < nodes; ++i) {
    for (int k = 0; k < 2; ++k) {
      const auto& same = members[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])];
      const std::int64_t j = chance(0.6) ? same[static_cast<std::size_t>(uniform(static_cast<std::int64_t>(same.size())))]
                                         : uniform(nodes);
      if (j == i) continue;
      sources.push_back(j);
      targets.push_back(i);
    }
  }
  const auto edges = static_cast<std::int64_t>(sources.size());
  graph.edge_index = torch::stack({to_index_tensor(sources), to_index_tensor(targets)}).reshape({2, edges});
  return graph;
}

}  // namespace xt::data

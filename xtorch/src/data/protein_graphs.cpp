#include "xtorch/data/protein_graphs.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "xtorch/error.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/text_file.h"

namespace xt::data {
namespace fs = std::filesystem;
namespace {

// Whitespace-separated fields of one line.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::int64_t parse_id(std::string_view field, const fs::path& file, std::int64_t line) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) {
    throw DataError(file, line, "'" + std::string(field) + "' is not an integer id");
  }
  return value;
}

// Calls f(line_number, fields) for every non-empty, non-comment line.
template <class F>
void for_each_line(const fs::path& file, F&& f) {
  const std::string text = read_maybe_gzipped(file);
  std::int64_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    ++number;
    const std::string_view line(text.data() + at, end - at);
    at = end + 1;
    const auto fields = fields_of(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    f(number, fields);
  }
}

std::string id_text(const nlohmann::json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

torch::Tensor index_tensor(const std::vector<std::int64_t>& rows) {
  return torch::tensor(rows, torch::kInt64);
}

}  // namespace

MultiLabelGraph load_node2vec_graph(const fs::path& edge_file, const fs::path& label_file, const std::string& name) {
  std::vector<std::pair<std::int64_t, std::int64_t>> edges;
  for_each_line(edge_file, [&](std::int64_t line, const std::vector<std::string_view>& f) {
    if (f.size() < 2 || f.size() > 3) throw DataError(edge_file, line, "expected '<u> <v> [weight]'");
    edges.emplace_back(parse_id(f[0], edge_file, line), parse_id(f[1], edge_file, line));
  });
  std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> node_labels;
  for_each_line(label_file, [&](std::int64_t line, const std::vector<std::string_view>& f) {
    if (f.size() < 2) throw DataError(label_file, line, "expected '<node> <label> [<label> ...]'");
    std::vector<std::int64_t> labels;
    for (std::size_t i = 1; i < f.size(); ++i) labels.push_back(parse_id(f[i], label_file, line));
    node_labels.emplace_back(parse_id(f[0], label_file, line), std::move(labels));
  });
  if (edges.empty()) throw DataError(edge_file, 0, "no edges");
  if (node_labels.empty()) throw DataError(label_file, 0, "no labelled nodes");

  std::set<std::int64_t> node_set, label_set;
  for (const auto& [u, v] : edges) node_set.insert({u, v});
  for (const auto& [node, labels] : node_labels) {
    node_set.insert(node);
    label_set.insert(labels.begin(), labels.end());
  }
  std::unordered_map<std::int64_t, std::int64_t> row, column;
  MultiLabelGraph graph;
  graph.name = name;
  for (const auto id : node_set) {
    row.emplace(id, static_cast<std::int64_t>(graph.node_ids.size()));
    graph.node_ids.push_back(std::to_string(id));
  }
  for (const auto id : label_set) column.emplace(id, static_cast<std::int64_t>(column.size()));

  graph.edge_index = torch::empty({2, static_cast<std::int64_t>(edges.size())}, torch::kInt64);
  auto e = graph.edge_index.accessor<std::int64_t, 2>();
  for (std::size_t i = 0; i < edges.size(); ++i) {
    e[0][i] = row.at(edges[i].first);
    e[1][i] = row.at(edges[i].second);
  }
  graph.labels = torch::zeros({static_cast<std::int64_t>(node_set.size()), static_cast<std::int64_t>(label_set.size())},
                              torch::kFloat32);
  auto l = graph.labels.accessor<float, 2>();
  for (const auto& [node, labels] : node_labels) {
    for (const auto label : labels) l[row.at(node)][column.at(label)] = 1.0f;
  }
  return graph;
}

MultiLabelGraph load_graphsage_graph(const fs::path& directory, const std::string& prefix) {
  const fs::path graph_file = directory / (prefix + "-G.json");
  const fs::path id_map_file = directory / (prefix + "-id_map.json");
  const fs::path class_map_file = directory / (prefix + "-class_map.json");
  const fs::path features_file = directory / (prefix + "-feats.npy");
  const nlohmann::json g = read_json_data(graph_file);
  const nlohmann::json id_map = read_json_data(id_map_file);
  const nlohmann::json class_map = read_json_data(class_map_file);
  if (!g.contains("nodes") || !g["nodes"].is_array() || !g.contains("links") || !g["links"].is_array()) {
    throw DataError(graph_file, 0, "expected networkx node-link data with \"nodes\" and \"links\" arrays");
  }
  if (!id_map.is_object()) throw DataError(id_map_file, 0, "expected an object {node id: row}");
  if (!class_map.is_object()) throw DataError(class_map_file, 0, "expected an object {node id: labels}");

  // Rows follow the id map (which also indexes the feature matrix).
  const auto n = static_cast<std::int64_t>(id_map.size());
  MultiLabelGraph graph;
  graph.name = prefix;
  graph.node_ids.assign(static_cast<std::size_t>(n), "");
  std::unordered_map<std::string, std::int64_t> row;
  for (const auto& [id, value] : id_map.items()) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() >= n) {
      throw DataError(id_map_file, 0, "node '" + id + "' maps to " + value.dump() + ", not a row in [0, " +
                                          std::to_string(n) + ")");
    }
    const auto r = value.get<std::int64_t>();
    if (!graph.node_ids[r].empty()) throw DataError(id_map_file, 0, "two nodes map to row " + std::to_string(r));
    graph.node_ids[r] = id;
    row.emplace(id, r);
  }
  const auto row_of = [&](const nlohmann::json& id, const fs::path& file) {
    const auto it = row.find(id_text(id));
    if (it == row.end()) {
      throw DataError(file, 0, "node " + id_text(id) + " is not in " + id_map_file.filename().string());
    }
    return it->second;
  };

  std::vector<std::int64_t> train, val, test;
  for (const auto& node : g["nodes"]) {
    if (!node.contains("id")) throw DataError(graph_file, 0, "a node has no \"id\"");
    const std::int64_t r = row_of(node["id"], graph_file);
    if (node.value("test", false)) {
      test.push_back(r);
    } else if (node.value("val", false)) {
      val.push_back(r);
    } else {
      train.push_back(r);
    }
  }
  const auto& links = g["links"];
  graph.edge_index = torch::empty({2, static_cast<std::int64_t>(links.size())}, torch::kInt64);
  auto e = graph.edge_index.accessor<std::int64_t, 2>();
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (!links[i].contains("source") || !links[i].contains("target")) {
      throw DataError(graph_file, 0, "link " + std::to_string(i) + " lacks \"source\" or \"target\"");
    }
    e[0][i] = row_of(links[i]["source"], graph_file);
    e[1][i] = row_of(links[i]["target"], graph_file);
  }

  // Labels: a list of 0/1 per node (multi-label) or one class index.
  std::int64_t width = 0;
  for (const auto& [id, value] : class_map.items()) {
    width = std::max<std::int64_t>(width, value.is_array() ? static_cast<std::int64_t>(value.size())
                                                           : value.get<std::int64_t>() + 1);
  }
  graph.labels = torch::zeros({n, width}, torch::kFloat32);
  auto l = graph.labels.accessor<float, 2>();
  for (const auto& [id, value] : class_map.items()) {
    const auto it = row.find(id);
    if (it == row.end()) {
      throw DataError(class_map_file, 0, "node " + id + " is not in " + id_map_file.filename().string());
    }
    if (value.is_array()) {
      if (static_cast<std::int64_t>(value.size()) != width) {
        throw DataError(class_map_file, 0, "node " + id + " has " + std::to_string(value.size()) + " labels, others " +
                                               std::to_string(width));
      }
      for (std::int64_t j = 0; j < width; ++j) l[it->second][j] = value[j].get<float>();
    } else if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
      l[it->second][value.get<std::int64_t>()] = 1.0f;
    } else {
      throw DataError(class_map_file, 0, "node " + id + ": labels must be a 0/1 list or a class index");
    }
  }
  if (fs::exists(features_file)) {
    graph.features = read_npy(features_file).to(torch::kFloat32);
    if (graph.features.dim() != 2 || graph.features.size(0) != n) {
      throw DataError(features_file, 0, "expected [" + std::to_string(n) + ", F] features, got " +
                                            c10::str(graph.features.sizes()));
    }
  }
  graph.train_index = index_tensor(train);
  graph.val_index = index_tensor(val);
  graph.test_index = index_tensor(test);
  return graph;
}

MultiLabelGraph make_synthetic_multilabel_graph(std::int64_t nodes, std::int64_t labels, std::int64_t mean_degree,
                                                std::uint64_t seed) {
  if (nodes < 2 || labels < 1 || mean_degree < 1) {
    throw std::invalid_argument("make_synthetic_multilabel_graph: need nodes >= 2, labels >= 1, mean_degree >= 1");
  }
  std::mt19937_64 rng(seed);
  MultiLabelGraph graph;
  graph.name = "synthetic-multilabel";
  graph.labels = torch::zeros({nodes, labels}, torch::kFloat32);
  auto l = graph.labels.accessor<float, 2>();
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(labels));
  std::vector<std::vector<std::int64_t>> communities(static_cast<std::size_t>(nodes));
  std::uniform_int_distribution<std::int64_t> pick_label(0, labels - 1), pick_count(1, 3), pick_node(0, nodes - 1);
  for (std::int64_t i = 0; i < nodes; ++i) {
    graph.node_ids.push_back(std::to_string(i + 1));
    const std::int64_t count = std::min(labels, pick_count(rng));
    while (static_cast<std::int64_t>(communities[i].size()) < count) {
      const std::int64_t c = pick_label(rng);
      if (std::find(communities[i].begin(), communities[i].end(), c) != communities[i].end()) continue;
      communities[i].push_back(c);
      members[c].push_back(i);
      l[i][c] = 1.0f;
    }
  }
  // 80% of each node's edges go to members of one of its communities.
  std::vector<std::int64_t> src, dst;
  std::bernoulli_distribution inside(0.8);
  for (std::int64_t i = 0; i < nodes; ++i) {
    for (std::int64_t k = 0; k < (mean_degree + 1) / 2; ++k) {
      std::int64_t j = pick_node(rng);
      if (inside(rng)) {
        const auto& community = members[communities[i][rng() % communities[i].size()]];
        j = community[rng() % community.size()];
      }
      if (j == i) continue;
      src.insert(src.end(), {i, j});
      dst.insert(dst.end(), {j, i});
    }
  }
  graph.edge_index = torch::stack({torch::tensor(src, torch::kInt64), torch::tensor(dst, torch::kInt64)});
  return graph;
}

}  // namespace xt::data

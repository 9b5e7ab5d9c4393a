#pragma once
// Graphs for node classification: a value type, the LINQS citation format
// (Cora, CiteSeer), node splits, and the normalizations GCNs need.
//
//   auto graph = xt::data::load_linqs("cora.content.gz", "cora.cites", "cora");
//   xt::data::apply_split_file(graph, "cora.planetoid_split.json");
//   torch::Tensor x   = xt::data::row_normalize(graph.features);
//   torch::Tensor adj = xt::data::normalized_adjacency(graph.edge_index, graph.num_nodes());
//
// Bag-of-words features are ~1% non-zero, so they stay sparse from the parser
// on: Cora's dense matrix would be 15 MB and CiteSeer's 49 MB, and every
// dense elementwise op (dropout, normalization) would touch all of it.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

namespace xt::data {

struct Graph {
  std::string name;
  torch::Tensor features;    // [N, F] float32, sparse COO, coalesced
  torch::Tensor labels;      // [N] int64 class index
  torch::Tensor edge_index;  // [2, E] int64, one column per line of the edge file, in file order
  std::vector<std::string> node_ids;     // the file's id of each node (row)
  std::vector<std::string> class_names;  // class index -> name (sorted by name)
  std::int64_t skipped_edges = 0;        // edge lines naming a node the content file lacks

  // Node index lists (int64); undefined until a split is applied.
  torch::Tensor train_index, val_index, test_index;

  std::int64_t num_nodes() const { return labels.defined() ? labels.size(0) : 0; }
  std::int64_t num_features() const { return features.defined() ? features.size(1) : 0; }
  std::int64_t num_classes() const { return static_cast<std::int64_t>(class_names.size()); }
  std::int64_t num_edges() const { return edge_index.defined() ? edge_index.size(1) : 0; }
  bool has_split() const { return train_index.defined() && val_index.defined() && test_index.defined(); }
};

// Reads the LINQS format (plain text or .gz, tab or space separated):
//   content: <node_id> <feature_0> ... <feature_{F-1}> <class_name>   per node
//   cites:   <node_id> <node_id>                                       per edge
// LINQS writes `<cited> <citing>`; the edge is kept in file order. Edge lines
// naming an unknown node are skipped and counted (CiteSeer has some). Throws
// DataError naming file and line for malformed lines or duplicate ids.
Graph load_linqs(const std::filesystem::path& content_file, const std::filesystem::path& cites_file,
                 const std::string& name);

// Applies a split file {"train": [ids], "val": [ids], "test": [ids]} (node ids
// as strings or integers, e.g. the Planetoid split of Kipf & Welling).
void apply_split_file(Graph& graph, const std::filesystem::path& split_file);

// The Planetoid recipe on a random draw: `per_class` training nodes of every
// class, then `val` and `test` nodes from the rest; deterministic in `seed`.
void apply_random_split(Graph& graph, std::uint64_t seed, std::int64_t per_class = 20, std::int64_t val = 500,
                        std::int64_t test = 1000);

// Distinct unordered node pairs {u, v} with u != v.
std::int64_t count_undirected_edges(const torch::Tensor& edge_index);

// Each row divided by its sum (rows summing to 0 stay 0). Keeps the layout:
// sparse in, sparse out.
torch::Tensor row_normalize(const torch::Tensor& features);

// D^-1/2 (A + I) D^-1/2 of Kipf & Welling as a coalesced sparse COO float32
// [N, N] tensor. A is made symmetric and binary (duplicates and both
// directions count once; self-loops in the input are replaced by the I).
torch::Tensor normalized_adjacency(const torch::Tensor& edge_index, std::int64_t num_nodes);

// A citation-like stand-in for a fresh machine: a stochastic block model
// (most edges inside a class) whose nodes carry sparse binary "words" drawn
// more often from their class's vocabulary. Learnable, but not trivially.
Graph make_synthetic_citation_graph(std::int64_t nodes, std::int64_t features, std::int64_t classes,
                                    std::uint64_t seed);

}  // namespace xt::data

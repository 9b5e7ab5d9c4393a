#pragma once
// Multi-label node datasets: the node2vec PPI network (an edge list and a
// label file) and the GraphSAGE format of the 24-graph PPI dataset.
//
//   auto ppi = xt::data::load_node2vec_graph(dir / "ppi.edgelist.gz", dir / "ppi_labels.txt", "ppi");
//   auto big = xt::data::load_graphsage_graph(dir, "ppi");   // ppi-G.json, ppi-feats.npy, ...
//
// Both give a MultiLabelGraph: edges, a multi-hot label matrix, optional
// node features and, for the GraphSAGE format, its train/val/test flags.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

namespace xt::data {

struct MultiLabelGraph {
  std::string name;
  torch::Tensor edge_index;  // [2, E] int64, node rows, in file order
  torch::Tensor labels;      // [N, L] float32, 0/1
  torch::Tensor features;    // [N, F] float32, or undefined when the data has none
  std::vector<std::string> node_ids;  // the file's id of each row
  // GraphSAGE format only: node rows flagged "val" / "test" in G.json (the
  // rest is train); undefined otherwise.
  torch::Tensor train_index, val_index, test_index;

  std::int64_t num_nodes() const { return labels.defined() ? labels.size(0) : 0; }
  std::int64_t num_labels() const { return labels.defined() ? labels.size(1) : 0; }
  std::int64_t num_edges() const { return edge_index.defined() ? edge_index.size(1) : 0; }
};

// node2vec's text format (BlogCatalog, PPI, Wikipedia as converted from the
// .mat files): edge lines "<u> <v> [weight]" (plain or .gz) and label lines
// "<node> <label> [<label> ...]". Nodes are the union of both files' ids,
// ordered by number; labels are their ids in ascending order. Throws
// DataError naming file and line for malformed lines.
MultiLabelGraph load_node2vec_graph(const std::filesystem::path& edge_file, const std::filesystem::path& label_file,
                                    const std::string& name);

// The GraphSAGE format in `directory`: <prefix>-G.json (networkx node-link
// data: nodes with "id", "val", "test"; links with "source", "target" node
// ids), <prefix>-id_map.json (node id -> feature row), <prefix>-class_map.json
// (node id -> label list, or one class index), <prefix>-feats.npy (optional).
MultiLabelGraph load_graphsage_graph(const std::filesystem::path& directory, const std::string& prefix);

// A stand-in for a fresh machine: an overlapping-community graph in which
// each node belongs to 1-3 of `labels` communities, its labels, and edges
// mostly inside shared communities. Deterministic in `seed`.
MultiLabelGraph make_synthetic_multilabel_graph(std::int64_t nodes, std::int64_t labels, std::int64_t mean_degree,
                                                std::uint64_t seed);

}  // namespace xt::data

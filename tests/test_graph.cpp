// Graph loading (LINQS, Planetoid split), splits and normalizations.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/data/datasets.h"
#include "xtorch/data/graph.h"
#include "xtorch/error.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using xt::testing::data_error_of;
using ::testing::HasSubstr;

namespace {

std::int64_t count_of(const xt::data::Graph& g, const std::string& name) {
  const auto it = std::find(g.class_names.begin(), g.class_names.end(), name);
  EXPECT_NE(it, g.class_names.end()) << name;
  return g.labels.eq(it - g.class_names.begin()).sum().item<std::int64_t>();
}

void expect_disjoint_and_in_range(const xt::data::Graph& g) {
  const torch::Tensor all = torch::cat({g.train_index, g.val_index, g.test_index});
  EXPECT_EQ(std::get<0>(torch::_unique(all)).size(0), all.size(0)) << "a node is in two parts of the split";
  EXPECT_GE(all.min().item<std::int64_t>(), 0);
  EXPECT_LT(all.max().item<std::int64_t>(), g.num_nodes());
}

}  // namespace

TEST(GraphRealData, LinqsCoraHasThePublishedStatistics) {
  const fs::path dir = xt::testing::real_data_dir() / "cora";
  if (!fs::exists(dir)) GTEST_SKIP() << "no real data under " << dir;
  const auto g = xt::data::load_linqs(dir / "cora.content.gz", dir / "cora.cites", "cora");
  EXPECT_EQ(g.num_nodes(), 2708);
  EXPECT_EQ(g.num_features(), 1433);
  EXPECT_EQ(g.num_classes(), 7);
  EXPECT_EQ(g.num_edges(), 5429);
  EXPECT_EQ(g.skipped_edges, 0);
  EXPECT_EQ(xt::data::count_undirected_edges(g.edge_index), 5278);
  EXPECT_EQ(g.features._nnz(), 49216);
  EXPECT_EQ(g.node_ids.front(), "31336");
  EXPECT_EQ(count_of(g, "Neural_Networks"), 818);
  EXPECT_EQ(count_of(g, "Rule_Learning"), 180);
  EXPECT_EQ(g.class_names.front(), "Case_Based");  // sorted by name
}

TEST(GraphRealData, PlanetoidCoraSplitIsKipfAndWellings) {
  const auto data = xt::data::load_citation_dataset(xt::testing::real_data_dir(), "cora",
                                                    xt::data::GraphSplit::Planetoid, 0, xt::data::Fallback::Synthetic);
  if (data.source.synthetic) GTEST_SKIP() << "no real data";
  const auto& g = data.graph;
  EXPECT_EQ(g.num_nodes(), 2708);
  EXPECT_EQ(g.num_edges(), 5278);
  EXPECT_EQ(xt::data::count_undirected_edges(g.edge_index), 5278);
  EXPECT_EQ(g.num_features(), 1433);
  EXPECT_EQ(g.num_classes(), 7);
  EXPECT_EQ(g.train_index.size(0), 140);
  EXPECT_EQ(g.val_index.size(0), 500);
  EXPECT_EQ(g.test_index.size(0), 1000);
  expect_disjoint_and_in_range(g);
  // train = nodes 0..139, 20 per class; test ids in 1708..2707.
  EXPECT_TRUE(g.train_index.equal(torch::arange(140)));
  EXPECT_TRUE(torch::bincount(g.labels.index_select(0, g.train_index)).eq(20).all().item<bool>());
  EXPECT_EQ(g.test_index.min().item<std::int64_t>(), 1708);
  EXPECT_EQ(g.test_index.max().item<std::int64_t>(), 2707);
}

TEST(GraphRealData, CiteSeerLoadsWithTheSameLoader) {
  const auto data = xt::data::load_citation_dataset(xt::testing::real_data_dir(), "citeseer",
                                                    xt::data::GraphSplit::Planetoid, 0, xt::data::Fallback::Synthetic);
  if (data.source.synthetic) GTEST_SKIP() << "no real data";
  const auto& g = data.graph;
  EXPECT_EQ(g.num_nodes(), 3312);
  EXPECT_EQ(g.num_features(), 3703);
  EXPECT_EQ(g.num_classes(), 6);
  EXPECT_EQ(g.num_edges(), 4536);
  EXPECT_EQ(g.features._nnz(), 105165);
  EXPECT_EQ(g.train_index.size(0), 120);
  expect_disjoint_and_in_range(g);
  // 48 nodes have no edge: their row of the normalized adjacency is the self-loop alone (value 1).
  const torch::Tensor adj = xt::data::normalized_adjacency(g.edge_index, g.num_nodes());
  const torch::Tensor degree = torch::bincount(adj.indices()[0], {}, g.num_nodes());
  EXPECT_EQ(degree.eq(1).sum().item<std::int64_t>(), 48);
}

TEST(GraphRealData, OriginalCiteSeerSkipsCitationsOfMissingPapers) {
  const fs::path dir = xt::testing::real_data_dir() / "citeseer";
  if (!fs::exists(dir)) GTEST_SKIP() << "no real data under " << dir;
  const auto g = xt::data::load_linqs(dir / "citeseer.content.gz", dir / "citeseer.cites", "citeseer");
  EXPECT_EQ(g.num_nodes(), 3312);
  EXPECT_EQ(g.num_edges() + g.skipped_edges, 4732);
  EXPECT_GT(g.skipped_edges, 0);
}

TEST(GraphNormalization, HandCheckedTinyGraph) {
  // Path 0-1-2, with the edge 0-1 listed twice (once reversed) and a self-loop on 2.
  const torch::Tensor edges = torch::tensor({0, 1, 1, 2, 1, 0, 2, 2}, torch::kInt64).reshape({4, 2}).t();
  const torch::Tensor adj = xt::data::normalized_adjacency(edges, 3);
  ASSERT_TRUE(adj.is_sparse());
  // Degrees with self-loops: 2, 3, 2.
  const double a = 1.0 / 2.0, b = 1.0 / std::sqrt(6.0), c = 1.0 / 3.0;
  const torch::Tensor expected = torch::tensor({a, b, 0.0, b, c, b, 0.0, b, a}, torch::kFloat32).reshape({3, 3});
  EXPECT_TRUE(torch::allclose(adj.to_dense(), expected, 1e-6, 1e-7)) << adj.to_dense();
  EXPECT_EQ(adj._nnz(), 7);

  EXPECT_THROW(xt::data::normalized_adjacency(edges, 2), c10::Error);  // node 2 out of range
}

TEST(GraphNormalization, RowNormalizeSparseEqualsDenseAndKeepsZeroRows) {
  const torch::Tensor dense = torch::tensor({1.f, 0.f, 3.f, 0.f, 0.f, 0.f, 2.f, 2.f, 0.f}).reshape({3, 3});
  const torch::Tensor expected = torch::tensor({.25f, 0.f, .75f, 0.f, 0.f, 0.f, .5f, .5f, 0.f}).reshape({3, 3});
  EXPECT_TRUE(torch::allclose(xt::data::row_normalize(dense), expected));
  const torch::Tensor sparse = xt::data::row_normalize(dense.to_sparse());
  EXPECT_TRUE(sparse.is_sparse());
  EXPECT_TRUE(torch::allclose(sparse.to_dense(), expected));
}

TEST(GraphSplits, RandomSplitHasThePlanetoidShapeAndFollowsTheSeed) {
  auto g = xt::data::make_synthetic_citation_graph(700, 120, 4, 5);
  xt::data::apply_random_split(g, 11, 20, 200, 300);
  EXPECT_EQ(g.train_index.size(0), 80);
  EXPECT_EQ(g.val_index.size(0), 200);
  EXPECT_EQ(g.test_index.size(0), 300);
  EXPECT_TRUE(torch::bincount(g.labels.index_select(0, g.train_index)).eq(20).all().item<bool>());
  expect_disjoint_and_in_range(g);

  auto same = g, other = g;
  xt::data::apply_random_split(same, 11, 20, 200, 300);
  xt::data::apply_random_split(other, 12, 20, 200, 300);
  EXPECT_TRUE(same.test_index.equal(g.test_index));
  EXPECT_FALSE(other.test_index.equal(g.test_index));
  EXPECT_THROW(xt::data::apply_random_split(g, 1, 20, 500, 500), std::invalid_argument);
}

TEST(GraphLoader, ReadsPlainTextAndSplitFiles) {
  TempDir dir;
  xt::testing::write_text(dir / "g.content", "a\t1\t0\tred\nb 0 0.5 blue\nc\t0\t0\tred\n");
  xt::testing::write_text(dir / "g.cites", "a\tb\nb c\nzz a\n\n");
  xt::testing::write_text(dir / "split.json", R"({"train": ["a"], "val": ["b"], "test": ["c"]})");
  auto g = xt::data::load_linqs(dir / "g.content", dir / "g.cites", "tiny");
  EXPECT_EQ(g.num_nodes(), 3);
  EXPECT_EQ(g.class_names, (std::vector<std::string>{"blue", "red"}));
  EXPECT_TRUE(g.labels.equal(torch::tensor({1, 0, 1}, torch::kInt64)));
  EXPECT_TRUE(g.features.to_dense().equal(torch::tensor({1.f, 0.f, 0.f, .5f, 0.f, 0.f}).reshape({3, 2})));
  EXPECT_TRUE(g.edge_index.equal(torch::tensor({0, 1, 1, 2}, torch::kInt64).reshape({2, 2})));
  EXPECT_EQ(g.skipped_edges, 1);  // "zz" is not a node
  xt::data::apply_split_file(g, dir / "split.json");
  EXPECT_TRUE(g.has_split());
  EXPECT_EQ(g.test_index.item<std::int64_t>(), 2);
}

TEST(GraphLoader, MalformedFilesNameTheFileAndLine) {
  TempDir dir;
  xt::testing::write_text(dir / "ok.cites", "a\tb\n");
  xt::testing::write_text(dir / "ok.content", "a\t1\t0\tred\nb\t0\t1\tblue\n");
  const auto load = [&](const std::string& content, const std::string& cites) {
    return data_error_of([&] { xt::data::load_linqs(dir / content, dir / cites, "bad"); });
  };
  xt::testing::write_text(dir / "ragged.content", "a\t1\t0\tred\nb\t0\tblue\n");
  EXPECT_THAT(load("ragged.content", "ok.cites"), HasSubstr("ragged.content:2: has 1 features, earlier lines have 2"));
  xt::testing::write_text(dir / "dup.content", "a\t1\t0\tred\na\t0\t1\tblue\n");
  EXPECT_THAT(load("dup.content", "ok.cites"), HasSubstr("dup.content:2: duplicate node id 'a'"));
  xt::testing::write_text(dir / "nan.content", "a\t1\tx\tred\n");
  EXPECT_THAT(load("nan.content", "ok.cites"), HasSubstr("nan.content:1: feature 1 is not a number: 'x'"));
  xt::testing::write_text(dir / "empty.content", "\n");
  EXPECT_THAT(load("empty.content", "ok.cites"), HasSubstr("no nodes"));
  xt::testing::write_text(dir / "three.cites", "a\tb\na b c\n");
  EXPECT_THAT(load("ok.content", "three.cites"), HasSubstr("three.cites:2: expected '<id> <id>', got 3 field(s)"));
  EXPECT_THAT(load("missing.content", "ok.cites"), HasSubstr("missing.content: file does not exist"));

  auto g = xt::data::load_linqs(dir / "ok.content", dir / "ok.cites", "ok");
  const auto split = [&](const std::string& json) {
    xt::testing::write_text(dir / "split.json", json);
    return data_error_of([&] { xt::data::apply_split_file(g, dir / "split.json"); });
  };
  EXPECT_THAT(split(R"({"train": ["a"], "val": [], "test": ["q"]})"), HasSubstr("names node 'q'"));
  EXPECT_THAT(split(R"({"train": ["a"], "val": ["a"], "test": []})"), HasSubstr("more than one part"));
  EXPECT_THAT(split(R"({"train": ["a"]})"), HasSubstr("no \"val\" list"));
  EXPECT_THAT(split("{not json"), HasSubstr("not valid JSON"));
}

TEST(GraphDatasets, MissingDataFallsBackOrFailsClearly) {
  TempDir empty;
  const auto data = xt::data::load_citation_dataset(empty.path(), "cora", xt::data::GraphSplit::Planetoid, 3);
  EXPECT_TRUE(data.source.synthetic);
  EXPECT_THAT(data.source.description, HasSubstr("SYNTHETIC"));
  EXPECT_TRUE(data.graph.has_split());
  EXPECT_THAT(data_error_of([&] {
                xt::data::load_citation_dataset(empty.path(), "cora", xt::data::GraphSplit::Random, 0,
                                                xt::data::Fallback::Fail);
              }),
              HasSubstr("cora (random split) not found"));
  EXPECT_THROW(xt::data::load_citation_dataset(empty.path(), "pubmed", xt::data::GraphSplit::Random),
               std::invalid_argument);
}

TEST(GraphRealData, PlanetoidConverterReproducesTheSharedFiles) {
  const fs::path raw = xt::testing::real_data_dir() / "cora_planetoid" / "raw";
  if (!fs::exists(raw)) GTEST_SKIP() << "no Planetoid pickles under " << raw;
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import numpy'").exit_code != 0) {
    GTEST_SKIP() << "python3-numpy is not installed (the setup script installs it)";
  }
  TempDir out;
  const auto result = xt::testing::run_command(std::string(xt::testing::kPython) + " " XT_SOURCE_DIR
                                               "/tools/python/planetoid_to_linqs.py " + raw.string() + " " +
                                               (out / "cora_planetoid").string() + " --name cora");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("cora: 2708 nodes, 1433 features, 5278 undirected edges, split 140/500/1000"));

  const auto converted = xt::data::load_citation_dataset(out.path(), "cora", xt::data::GraphSplit::Planetoid, 0,
                                                         xt::data::Fallback::Fail);
  const auto shared = xt::data::load_citation_dataset(xt::testing::real_data_dir(), "cora",
                                                      xt::data::GraphSplit::Planetoid, 0, xt::data::Fallback::Fail);
  const auto& a = converted.graph;
  const auto& b = shared.graph;
  EXPECT_EQ(a.node_ids, b.node_ids);
  EXPECT_TRUE(a.features.to_dense().equal(b.features.to_dense()));
  EXPECT_TRUE(a.labels.equal(b.labels));
  EXPECT_TRUE(a.edge_index.equal(b.edge_index));
  EXPECT_TRUE(a.test_index.equal(b.test_index));
}

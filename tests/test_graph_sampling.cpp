// Neighbour sampling, random walks, negatives, the multi-label loaders,
// multi-label F1 and the linear probe.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "test_util.h"
#include "xtorch/data/datasets.h"
#include "xtorch/data/graph_sampling.h"
#include "xtorch/data/protein_graphs.h"
#include "xtorch/metrics/multilabel.h"
#include "xtorch/nn/graphsage.h"
#include "xtorch/nn/registry.h"
#include "xtorch/train/linear_probe.h"
#include "xtorch/util/npy.h"

namespace {
namespace fs = std::filesystem;
using xt::testing::TempDir;
using xt::testing::write_text;

// 0-1-2-3 path plus the chord 0-2, a duplicate edge and a self-loop; node 4 is isolated.
torch::Tensor small_edges() {
  return torch::tensor({{0, 1, 2, 0, 1, 3}, {1, 2, 3, 2, 0, 3}}, torch::kInt64);
}

std::set<std::int64_t> neighbors_of(const xt::data::Adjacency& a, std::int64_t node) {
  return {a.neighbors(node), a.neighbors(node) + a.degree(node)};
}

TEST(Adjacency, IsSymmetricWithoutDuplicatesOrSelfLoops) {
  const xt::data::Adjacency a(small_edges(), 5);
  EXPECT_EQ(neighbors_of(a, 0), (std::set<std::int64_t>{1, 2}));
  EXPECT_EQ(neighbors_of(a, 2), (std::set<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(neighbors_of(a, 3), (std::set<std::int64_t>{2}));
  EXPECT_EQ(a.degree(4), 0);
  EXPECT_EQ(a.num_edges(), 8);  // 4 undirected edges, both directions
  EXPECT_THROW(xt::data::Adjacency(torch::tensor({{0}, {7}}, torch::kInt64), 5), std::invalid_argument);
}

TEST(NeighborSampling, DrawsRealNeighboursAndDeduplicatesEachHop) {
  const xt::data::Adjacency a(small_edges(), 5);
  const torch::Tensor targets = torch::tensor({2, 0, 2, 4}, torch::kInt64);
  const auto blocks = xt::data::sample_neighbors(a, targets, {6, 3}, {7, 1});
  ASSERT_EQ(blocks.nodes.size(), 3u);
  ASSERT_EQ(blocks.neighbors.size(), 2u);
  // Distinct targets, and each requested target maps back to itself.
  EXPECT_TRUE(torch::equal(blocks.nodes[0], torch::tensor({2, 0, 4}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(blocks.nodes[0].index_select(0, blocks.target_rows), targets));
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& from = blocks.nodes[k];
    const auto& index = blocks.neighbors[k];
    EXPECT_EQ(index.size(0), from.size(0));
    EXPECT_EQ(index.size(1), k == 0 ? 6 : 3);
    const auto to = blocks.nodes[k + 1];
    EXPECT_EQ(std::set<std::int64_t>(to.data_ptr<std::int64_t>(), to.data_ptr<std::int64_t>() + to.numel()).size(),
              static_cast<std::size_t>(to.numel()));
    for (std::int64_t i = 0; i < index.size(0); ++i) {
      const std::int64_t node = from[i].item<std::int64_t>();
      for (std::int64_t j = 0; j < index.size(1); ++j) {
        const std::int64_t drawn = to[index[i][j].item<std::int64_t>()].item<std::int64_t>();
        if (a.degree(node) == 0) {
          EXPECT_EQ(drawn, node);  // isolated: stands in for itself
        } else {
          EXPECT_TRUE(neighbors_of(a, node).count(drawn)) << node << " -> " << drawn;
        }
      }
    }
  }
}

TEST(NeighborSampling, IsAFunctionOfKeyAndNodeOnly) {
  const auto graph = xt::data::make_synthetic_multilabel_graph(300, 5, 12, 3);
  const xt::data::Adjacency a(graph.edge_index, graph.num_nodes());
  // Node 17's draws do not depend on which other nodes share the batch.
  const auto alone = xt::data::sample_neighbors(a, torch::tensor({17}, torch::kInt64), {10}, {5, 9});
  const auto crowd = xt::data::sample_neighbors(a, torch::tensor({3, 99, 17}, torch::kInt64), {10}, {5, 9});
  const auto drawn = [](const xt::data::SampledBlocks& b, std::int64_t row) {
    return b.nodes[1].index_select(0, b.neighbors[0][row]);
  };
  EXPECT_TRUE(torch::equal(drawn(alone, 0), drawn(crowd, 2)));
  // Another step draws differently.
  const auto later = xt::data::sample_neighbors(a, torch::tensor({17}, torch::kInt64), {10}, {5, 10});
  EXPECT_FALSE(torch::equal(drawn(alone, 0), drawn(later, 0)));
}

TEST(RandomWalks, PairsLieOnWalksWithinTheWindow) {
  const xt::data::Adjacency a(small_edges(), 5);
  const torch::Tensor pairs = xt::data::random_walk_pairs(a, {3, 4, 1}, 11);
  ASSERT_EQ(pairs.dim(), 2);
  ASSERT_GT(pairs.size(0), 0);
  // window 1: consecutive walk nodes, so every pair is an edge, in both orders.
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (std::int64_t i = 0; i < pairs.size(0); ++i) {
    const std::int64_t u = pairs[i][0].item<std::int64_t>(), v = pairs[i][1].item<std::int64_t>();
    EXPECT_TRUE(neighbors_of(a, u).count(v)) << u << "," << v;
    seen.insert({u, v});
  }
  for (const auto& [u, v] : seen) EXPECT_TRUE(seen.count({v, u}));
  EXPECT_TRUE(torch::equal(pairs, xt::data::random_walk_pairs(a, {3, 4, 1}, 11)));
  EXPECT_FALSE(torch::equal(pairs, xt::data::random_walk_pairs(a, {3, 4, 1}, 12)));
}

TEST(NegativeSampling, FollowsDegreeToThePowerThreeQuarters) {
  // A star: the hub has degree 4, the leaves 1: P(hub) = 4^0.75 / (4^0.75 + 4).
  const torch::Tensor star = torch::tensor({{0, 0, 0, 0}, {1, 2, 3, 4}}, torch::kInt64);
  const xt::data::Adjacency a(star, 5);
  const xt::data::NegativeSampler sampler(a);
  const torch::Tensor drawn = sampler.sample(40000, {1, 2});
  const double hub_share = drawn.eq(0).to(torch::kFloat64).mean().item<double>();
  const double expected = std::pow(4.0, 0.75) / (std::pow(4.0, 0.75) + 4.0);
  EXPECT_NEAR(hub_share, expected, 0.01);
  EXPECT_TRUE(torch::equal(drawn, sampler.sample(40000, {1, 2})));
}

TEST(StructuralFeatures, AreStandardizedDegreeStatistics) {
  const xt::data::Adjacency a(small_edges(), 5);
  const torch::Tensor f = xt::data::structural_features(a);
  EXPECT_EQ(f.size(0), 5);
  EXPECT_EQ(f.size(1), 11);
  // Node 2 has the highest degree, node 4 the lowest.
  EXPECT_EQ(f.select(1, 0).argmax().item<std::int64_t>(), 2);
  EXPECT_EQ(f.select(1, 0).argmin().item<std::int64_t>(), 4);
  EXPECT_NEAR(f.select(1, 0).mean().item<double>(), 0.0, 1e-5);
}

// ---- the model ----

TEST(GraphSAGE, EmbedsEachTargetOnceWithUnitNorm) {
  const auto graph = xt::data::make_synthetic_multilabel_graph(200, 4, 8, 1);
  const xt::data::Adjacency a(graph.edge_index, graph.num_nodes());
  const torch::Tensor features = xt::data::structural_features(a);
  xt::nn::GraphSAGEConfig config;
  config.feature_dim = features.size(1);
  config.num_nodes = 200;
  config.embedding_dim = 8;
  config.layer_sizes = {16, 12};
  xt::nn::GraphSAGE model(config);
  const torch::Tensor targets = torch::tensor({5, 9, 5}, torch::kInt64);
  const torch::Tensor z = model->forward(xt::data::sample_neighbors(a, targets, {5, 3}, {1, 1}), features);
  ASSERT_EQ(z.sizes(), (std::vector<std::int64_t>{3, 12}));
  EXPECT_TRUE(torch::allclose(z.norm(2, 1), torch::ones({3})));
  EXPECT_TRUE(torch::equal(z[0], z[2]));  // the same node, the same embedding
  // The loss is finite and has gradients for every parameter.
  xt::nn::unsupervised_sage_loss(z.slice(0, 0, 1), z.slice(0, 1, 2), z).backward();
  for (const auto& p : model->named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
  // Two fan-outs for two layers, no fewer.
  EXPECT_THROW(model->forward(xt::data::sample_neighbors(a, targets, {5}, {1, 1}), features), std::invalid_argument);
  // The registry rebuilds it from its config.
  const auto rebuilt = xt::nn::ModelRegistry::builtin().create("GraphSAGE", model->config());
  EXPECT_EQ(rebuilt->config(), model->config());
  EXPECT_THROW(xt::nn::GraphSAGE(xt::nn::GraphSAGEConfig{}), std::invalid_argument);  // no input features
}

TEST(GraphSAGE, EmbedAllIsDeterministicAndLeavesTrainingMode) {
  const auto graph = xt::data::make_synthetic_multilabel_graph(150, 3, 8, 2);
  const xt::data::Adjacency a(graph.edge_index, graph.num_nodes());
  xt::nn::GraphSAGEConfig config;
  config.num_nodes = 150;
  config.embedding_dim = 6;
  config.layer_sizes = {8, 8};
  xt::nn::GraphSAGE model(config);
  model->train();
  const torch::Tensor first = model->embed_all(a, {}, {4, 4}, 3, 64);
  EXPECT_EQ(first.size(0), 150);
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(torch::equal(first, model->embed_all(a, {}, {4, 4}, 3, 17)));  // batching does not matter
}

TEST(SpectralFeatures, SpanTheSmoothestEigenvectors) {
  // Two cliques joined by one edge: the leading non-trivial eigenvector of
  // the normalized adjacency separates them.
  std::vector<std::int64_t> src, dst;
  for (int block = 0; block < 2; ++block) {
    for (int i = 0; i < 10; ++i) {
      for (int j = i + 1; j < 10; ++j) {
        src.push_back(block * 10 + i);
        dst.push_back(block * 10 + j);
      }
    }
  }
  src.push_back(0);
  dst.push_back(10);
  const xt::data::Adjacency a(torch::stack({torch::tensor(src), torch::tensor(dst)}), 20);
  const torch::Tensor f = xt::data::spectral_features(a, 3, 200, 1);
  ASSERT_EQ(f.sizes(), (std::vector<std::int64_t>{20, 3}));
  const torch::Tensor fiedler = f.select(1, 0);
  EXPECT_TRUE(torch::all(fiedler.slice(0, 0, 10).sign() == -fiedler.slice(0, 10, 20).sign()).item<bool>());
  EXPECT_TRUE(torch::equal(f, xt::data::spectral_features(a, 3, 200, 1)));
  EXPECT_THROW(xt::data::spectral_features(a, 19, 10, 1), std::invalid_argument);
}

// ---- loaders ----

TEST(Node2vecFormat, ReadsEdgesAndMultiLabels) {
  TempDir dir;
  write_text(dir.path() / "g.edgelist", "1 2 1.0\n2 1 1.0\n2 5 1\n5 5 1\n");
  write_text(dir.path() / "labels.txt", "1 3\n2 3 7\n5 7\n9 3\n");
  const auto g = xt::data::load_node2vec_graph(dir.path() / "g.edgelist", dir.path() / "labels.txt", "tiny");
  EXPECT_EQ(g.num_nodes(), 4);  // 1, 2, 5 and the label-only node 9
  EXPECT_EQ(g.num_labels(), 2);  // 3, 7
  EXPECT_EQ(g.num_edges(), 4);
  EXPECT_EQ(g.node_ids, (std::vector<std::string>{"1", "2", "5", "9"}));
  EXPECT_TRUE(torch::equal(g.labels, torch::tensor({{1.f, 0.f}, {1.f, 1.f}, {0.f, 1.f}, {1.f, 0.f}})));
  EXPECT_FALSE(g.features.defined());
}

TEST(Node2vecFormat, MalformedLinesNameFileAndLine) {
  TempDir dir;
  write_text(dir.path() / "g.edgelist", "1 2\n2 x\n");
  write_text(dir.path() / "labels.txt", "1 3\n");
  EXPECT_THAT(xt::testing::data_error_of([&] {
                xt::data::load_node2vec_graph(dir.path() / "g.edgelist", dir.path() / "labels.txt", "t");
              }),
              ::testing::AllOf(::testing::HasSubstr("g.edgelist:2"), ::testing::HasSubstr("'x' is not an integer")));
}

// A tiny dataset in the GraphSAGE format (what graphsage/utils.py reads).
void write_graphsage_fixture(const fs::path& dir) {
  write_text(dir / "toy-G.json",
             R"({"directed": false, "graph": {"name": "toy"}, "multigraph": false,
                 "nodes": [{"id": 10, "val": false, "test": false}, {"id": 11, "val": true, "test": false},
                           {"id": 12, "val": false, "test": true}, {"id": 13, "val": false, "test": false}],
                 "links": [{"source": 10, "target": 11}, {"source": 11, "target": 12},
                           {"source": 13, "target": 10}]})");
  write_text(dir / "toy-id_map.json", R"({"10": 0, "11": 1, "12": 2, "13": 3})");
  write_text(dir / "toy-class_map.json", R"({"10": [1, 0, 1], "11": [0, 1, 0], "12": [0, 0, 1], "13": [1, 1, 0]})");
  xt::write_npy(dir / "toy-feats.npy", torch::arange(8, torch::kFloat64).view({4, 2}));
}

TEST(GraphSageFormat, ReadsGraphFeaturesLabelsAndSplit) {
  TempDir dir;
  write_graphsage_fixture(dir.path());
  const auto g = xt::data::load_graphsage_graph(dir.path(), "toy");
  EXPECT_EQ(g.num_nodes(), 4);
  EXPECT_EQ(g.num_labels(), 3);
  EXPECT_TRUE(torch::equal(g.edge_index, torch::tensor({{0, 1, 3}, {1, 2, 0}}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(g.labels.select(0, 3), torch::tensor({1.f, 1.f, 0.f})));
  EXPECT_TRUE(torch::allclose(g.features, torch::arange(8, torch::kFloat32).view({4, 2})));
  EXPECT_TRUE(torch::equal(g.train_index, torch::tensor({0, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(g.val_index, torch::tensor({1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(g.test_index, torch::tensor({2}, torch::kInt64)));
}

TEST(GraphSageFormat, ProblemsNameTheFile) {
  TempDir dir;
  write_graphsage_fixture(dir.path());
  write_text(dir.path() / "toy-class_map.json", R"({"10": [1, 0, 1], "99": [0, 1, 0]})");
  EXPECT_THAT(xt::testing::data_error_of([&] { xt::data::load_graphsage_graph(dir.path(), "toy"); }),
              ::testing::AllOf(::testing::HasSubstr("toy-class_map.json"), ::testing::HasSubstr("node 99")));
  fs::remove(dir.path() / "toy-G.json");
  EXPECT_THAT(xt::testing::data_error_of([&] { xt::data::load_graphsage_graph(dir.path(), "toy"); }),
              ::testing::HasSubstr("toy-G.json"));
}

TEST(ProteinGraphRealData, Node2vecPpiHasThePublishedStatistics) {
  const auto data = xt::data::load_protein_graph(xt::testing::real_data_dir(), 0, xt::data::Fallback::Synthetic);
  if (data.source.synthetic) GTEST_SKIP() << "no PPI under " << xt::testing::real_data_dir();
  const auto& g = data.graph;
  EXPECT_EQ(g.num_nodes(), 3890);
  EXPECT_EQ(g.num_edges(), 76584);
  EXPECT_EQ(g.num_labels(), 50);
  EXPECT_EQ(g.labels.sum().item<double>(), 6640);  // (node, label) pairs, per SOURCE.md
  const xt::data::Adjacency a(g.edge_index, g.num_nodes());
  EXPECT_EQ(a.num_edges(), 2 * 37845);  // self-loops dropped
}

// ---- metrics and the probe ----

TEST(MultiLabelF1, MatchesHandComputedValues) {
  const torch::Tensor truth = torch::tensor({{1.f, 0.f, 1.f}, {0.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});
  const torch::Tensor pred = torch::tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 1.f}, {1.f, 0.f, 0.f}});
  const auto f1 = xt::metrics::multilabel_f1(pred, truth);
  // tp 3, fp 1, fn 1 -> micro 6/8; per label: 1, 1, 0 -> macro 2/3.
  EXPECT_DOUBLE_EQ(f1.micro, 0.75);
  EXPECT_NEAR(f1.macro, 2.0 / 3.0, 1e-12);
  EXPECT_THROW(xt::metrics::multilabel_f1(pred, truth.slice(0, 0, 2)), std::invalid_argument);
}

TEST(MultiLabelF1, TopKPicksEachRowsBestScores) {
  const torch::Tensor scores = torch::tensor({{0.1f, 0.9f, 0.5f}, {0.3f, 0.3f, 0.2f}});
  const torch::Tensor picked = xt::metrics::top_k_per_row(scores, torch::tensor({2, 1}));
  EXPECT_TRUE(torch::equal(picked, torch::tensor({{0.f, 1.f, 1.f}, {1.f, 0.f, 0.f}})));  // tie: lower index
}

TEST(LinearProbe, SeparableEmbeddingsScoreNearOneAndNoiseScoresLow) {
  const auto graph = xt::data::make_synthetic_multilabel_graph(600, 6, 10, 4);
  torch::manual_seed(0);
  const torch::Tensor informative = graph.labels * 3 + 0.3 * torch::randn({600, 6});
  const auto good = xt::train::linear_probe(informative, graph.labels, {});
  EXPECT_GT(good.f1.macro, 0.95);
  EXPECT_GT(good.f1.micro, 0.95);
  EXPECT_EQ(good.train_nodes, 300);
  const auto noise = xt::train::linear_probe(torch::randn({600, 16}), graph.labels, {});
  EXPECT_LT(noise.f1.macro, 0.5);
  // Same seed, same split, same answer.
  EXPECT_DOUBLE_EQ(xt::train::linear_probe(informative, graph.labels, {}).f1.macro, good.f1.macro);
}

}  // namespace

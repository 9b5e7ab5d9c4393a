// xt::export_to_jit: GCN and LSTM through the same mechanism, reload equality,
// freezing, the training flag, verification failures, and Python loading.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/data/graph.h"
#include "xtorch/error.h"
#include "xtorch/metrics/classification.h"
#include "xtorch/nn/gcn.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/serialize/tensor_file.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

namespace {

struct SmallGraph {
  xt::data::Graph graph = xt::data::make_synthetic_citation_graph(60, 40, 3, 7);
  torch::Tensor x = xt::data::row_normalize(graph.features);
  torch::Tensor adj = xt::data::normalized_adjacency(graph.edge_index, graph.num_nodes());
};

xt::nn::GCN make_gcn(const SmallGraph& g, std::uint64_t seed = 1) {
  torch::manual_seed(seed);
  return xt::nn::GCN(xt::nn::GCNConfig{g.graph.num_features(), 8, g.graph.num_classes(), 0.5, true});
}

torch::Tensor run(torch::jit::Module& m, const std::vector<torch::Tensor>& inputs) {
  torch::NoGradGuard no_grad;
  return m.forward(std::vector<torch::jit::IValue>(inputs.begin(), inputs.end())).toTensor();
}

// A model whose TorchScript does not compute what its eager forward does.
class MistranslatedImpl : public xt::nn::ExportableModule {
 public:
  MistranslatedImpl() { weight = register_parameter("weight", torch::randn({4, 2})); }
  std::string model_type() const override { return "Mistranslated"; }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  std::string torchscript_source() const override {
    return "def forward(self, x: Tensor) -> Tensor:\n    return torch.mm(x, self.weight) + 0.001\n";
  }
  std::vector<xt::TensorSpec> input_specs() const override { return {{"x", {-1, 4}, "float32"}}; }
  std::vector<xt::TensorSpec> output_specs() const override { return {{"y", {-1, 2}, "float32"}}; }
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override {
    return torch::mm(inputs[0], weight);
  }
  torch::Tensor weight;
};

}  // namespace

TEST(JitExport, GcnReloadsWithIdenticalLogitsSparseAndDense) {
  TempDir dir;
  SmallGraph g;
  auto model = make_gcn(g);
  xt::JitExportOptions options;
  options.verify_inputs = {g.x, g.adj};
  const auto result = xt::export_to_jit(model, dir / "gcn.pt", options);
  EXPECT_EQ(result.max_abs_diff, 0.0);
  EXPECT_GT(result.file_bytes, 1000u);
  EXPECT_FALSE(result.frozen);

  torch::jit::Module loaded = torch::jit::load((dir / "gcn.pt").string());
  const torch::Tensor expected = model->reference_forward({g.x, g.adj});
  EXPECT_TRUE(run(loaded, {g.x, g.adj}).equal(expected));
  // Dense inputs take the other branch of the script and agree too.
  const torch::Tensor dense = run(loaded, {g.x.to_dense(), g.adj.to_dense()});
  EXPECT_LT(xt::max_abs_diff(dense, expected), 1e-5);
  EXPECT_TRUE(xt::metrics::predicted_classes(dense).equal(xt::metrics::predicted_classes(expected)));
}

TEST(JitExport, FrozenGcnGivesTheSameLogitsAndHasNoParameters) {
  TempDir dir;
  SmallGraph g;
  auto model = make_gcn(g);
  xt::JitExportOptions options;
  options.freeze = true;
  options.verify_inputs = {g.x, g.adj};
  const auto result = xt::export_to_jit(model, dir / "frozen.pt", options);
  EXPECT_TRUE(result.frozen);
  torch::jit::Module frozen = torch::jit::load((dir / "frozen.pt").string());
  EXPECT_EQ(frozen.parameters().size(), 0u);
  EXPECT_FALSE(frozen.hasattr("training") && frozen.attr("training").isBool() && frozen.attr("training").toBool());
  EXPECT_TRUE(run(frozen, {g.x, g.adj}).equal(model->reference_forward({g.x, g.adj})));
}

TEST(JitExport, TrainingFlagOfTheExportedFileSwitchesDropout) {
  TempDir dir;
  SmallGraph g;
  auto model = make_gcn(g);
  xt::export_to_jit(model, dir / "gcn.pt", {});
  torch::jit::Module loaded = torch::jit::load((dir / "gcn.pt").string());
  EXPECT_FALSE(loaded.is_training());  // saved in eval mode
  EXPECT_TRUE(run(loaded, {g.x, g.adj}).equal(run(loaded, {g.x, g.adj})));

  // In training mode the script's sparse dropout draws the same random
  // numbers as the eager model's: same seed, same output, bit for bit.
  loaded.train();
  model->train();
  torch::manual_seed(42);
  const torch::Tensor scripted = run(loaded, {g.x, g.adj});
  torch::manual_seed(42);
  torch::Tensor eager;
  {
    torch::NoGradGuard no_grad;
    eager = model->forward(g.x, g.adj);
  }
  EXPECT_TRUE(scripted.equal(eager));
  EXPECT_FALSE(scripted.equal(run(loaded, {g.x, g.adj})));  // dropout is on
  // Dense features take torch.dropout in both forms.
  torch::manual_seed(43);
  const torch::Tensor scripted_dense = run(loaded, {g.x.to_dense(), g.adj});
  torch::manual_seed(43);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(scripted_dense.equal(model->forward(g.x.to_dense(), g.adj)));
}

TEST(JitExport, LstmForecasterExportsThroughTheSameMechanism) {
  TempDir dir;
  torch::manual_seed(5);
  xt::nn::LSTMForecaster model(xt::nn::LSTMForecasterConfig{5, 12, 2, 0.2, 3});
  const torch::Tensor x = torch::randn({7, 11, 5});
  xt::JitExportOptions options;
  options.verify_inputs = {x};
  EXPECT_EQ(xt::export_to_jit(model, dir / "lstm.pt", options).max_abs_diff, 0.0);
  options.freeze = true;
  EXPECT_EQ(xt::export_to_jit(model, dir / "lstm_frozen.pt", options).max_abs_diff, 0.0);
  // Without verify inputs, example_inputs() from the input spec are used.
  EXPECT_NO_THROW(xt::export_to_jit(model, dir / "lstm_default.pt"));

  torch::jit::Module loaded = torch::jit::load((dir / "lstm.pt").string());
  EXPECT_TRUE(run(loaded, {x}).equal(model->reference_forward({x})));
}

TEST(JitExport, ExportedFileIsPlainTorchScriptWithoutManifest) {
  TempDir dir;
  SmallGraph g;
  auto model = make_gcn(g);
  xt::export_to_jit(model, dir / "gcn.pt");
  try {
    xt::load_model(dir / "gcn.pt");
    FAIL() << "load_model accepted a file without manifest";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no xtorch manifest"));
  }
}

TEST(JitExport, ScriptRejectsWrongInputsWithTheModelsMessage) {
  TempDir dir;
  SmallGraph g;
  auto model = make_gcn(g);
  xt::export_to_jit(model, dir / "gcn.pt");
  torch::jit::Module loaded = torch::jit::load((dir / "gcn.pt").string());
  try {
    run(loaded, {torch::randn({60, 39}), g.adj});
    FAIL() << "wrong feature count accepted";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("GCN: expected features [nodes, 40]"));
  }
  try {
    run(loaded, {g.x, torch::randn({59, 59})});
    FAIL() << "wrong adjacency accepted";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("GCN: expected adjacency [nodes, nodes] with nodes = 60"));
  }
}

TEST(JitExport, FailedVerificationKeepsTheOldFileAndSaysByHowMuch) {
  TempDir dir;
  xt::write_file_atomically(dir / "model.pt", "previous good file");
  auto model = std::make_shared<MistranslatedImpl>();
  try {
    xt::export_to_jit(*model, dir / "model.pt");
    FAIL() << "a mistranslated model was exported";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("model.pt: verification failed: the reloaded Mistranslated differs from the "
                                    "eager model by 0.001"));
  }
  EXPECT_EQ(xt::read_file(dir / "model.pt"), "previous good file");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);  // no temp file left
}

TEST(JitExport, PythonRunsTheExportedGcnAndGetsTheSameAccuracy) {
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import torch'").exit_code != 0) {
    GTEST_SKIP() << "python3-torch is not installed (the setup script installs it)";
  }
  TempDir dir;
  SmallGraph g;
  xt::data::apply_random_split(g.graph, 3, 5, 10, 30);
  auto model = make_gcn(g);
  xt::export_to_jit(model, dir / "gcn.pt");
  const torch::Tensor logits = model->reference_forward({g.x, g.adj});
  xt::save_tensors(dir / "inputs.pt", {{"features", g.x}, {"adjacency", g.adj}, {"labels", g.graph.labels},
                                       {"test_index", g.graph.test_index}, {"expected_logits", logits}});
  const double accuracy =
      xt::metrics::accuracy(logits.index_select(0, g.graph.test_index), g.graph.labels.index_select(0, g.graph.test_index));
  char expected[64];
  std::snprintf(expected, sizeof expected, "test accuracy %.1f%% on 30 nodes, max abs logit diff to C++ 0", 100 * accuracy);

  const auto result = xt::testing::run_command(
      std::string(xt::testing::kPython) + " " XT_SOURCE_DIR
      "/examples/time_series_and_graph_deployment_and_production/model_serialization/torchscript_gcn/predict.py " +
      (dir / "gcn.pt").string() + " " + (dir / "inputs.pt").string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr(expected));
}

TEST(TensorFile, RoundTripsDenseAndSparseTensors) {
  TempDir dir;
  const torch::Tensor sparse = torch::tensor({0.f, 2.f, 0.f, 0.f, 0.f, 3.f}).reshape({2, 3}).to_sparse();
  const torch::Tensor dense = torch::arange(6, torch::kInt64);
  const torch::Tensor named_like_a_part = torch::ones({2});
  xt::save_tensors(dir / "t.pt", {{"s", sparse}, {"d", dense}, {"batch.size", named_like_a_part}});
  const auto loaded = xt::load_tensors(dir / "t.pt");
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_TRUE(loaded.at("s").is_sparse());
  EXPECT_TRUE(loaded.at("s").to_dense().equal(sparse.to_dense()));
  EXPECT_TRUE(loaded.at("d").equal(dense));
  EXPECT_TRUE(loaded.at("batch.size").equal(named_like_a_part));

  xt::write_file_atomically(dir / "junk.pt", "not a pickle");
  EXPECT_THROW(xt::load_tensors(dir / "junk.pt"), xt::SerializationError);
  EXPECT_THROW(xt::load_tensors(dir / "missing.pt"), xt::SerializationError);
}

// Example 2 end to end: a short run on the real Cora, then its artifacts in
// C++ (torch::jit::load) and Python (predict.py).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/script.h>

#include "test_util.h"
#include "xtorch/serialize/tensor_file.h"
#include "xtorch/util/report.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

TEST(ExampleTorchscriptGcn, ShortRunOnCoraExportsFilesThatCppAndPythonAgreeOn) {
  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "cora_planetoid")) GTEST_SKIP() << "no real data under " << data;
  TempDir out;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_TORCHSCRIPT_GCN) + " --data-dir " + data.string() +
                                            " --out-dir " + out.path().string() + " --epochs 60 --seed 2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("graph: 2708 nodes, 5278 undirected edges, 1433 features, 7 classes; "
                                    "train 140, val 500, test 1000"));
  EXPECT_THAT(run.output, HasSubstr("identical predictions: yes, max abs logit diff 0"));

  const auto results = xt::read_json(out / "results.json");
  const auto& m = results["metrics"];
  EXPECT_FALSE(results["data"]["synthetic"].get<bool>());
  EXPECT_GT(m["test_accuracy"].get<double>(), 0.75);  // 60 epochs already get most of the way to ~81%
  EXPECT_EQ(m["torchscript_test_accuracy"], m["test_accuracy"]);
  EXPECT_EQ(m["frozen_test_accuracy"], m["test_accuracy"]);
  EXPECT_GT(m["latency_frozen"]["runs"].get<int>(), 0);
  EXPECT_GT(fs::file_size(out / "training_curves.png"), 10000u);

  // The inputs file holds what the script needs; gcn.pt runs on it in C++ ...
  const auto inputs = xt::load_tensors(out / "inputs.pt");
  torch::jit::Module module = torch::jit::load((out / "gcn.pt").string());
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = module.forward({inputs.at("features"), inputs.at("adjacency")}).toTensor();
  EXPECT_TRUE(logits.equal(inputs.at("expected_logits")));

  // ... and in Python, which prints the same accuracy.
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import torch'").exit_code != 0) {
    GTEST_SKIP() << "python3-torch is not installed";
  }
  char expected[48];
  std::snprintf(expected, sizeof expected, "test accuracy %.1f%% on 1000 nodes", 100 * m["test_accuracy"].get<double>());
  const auto python = xt::testing::run_command(std::string(xt::testing::kPython) + " " XT_SOURCE_DIR
                                               "/examples/time_series_and_graph_deployment_and_production/"
                                               "model_serialization/torchscript_gcn/predict.py " +
                                               (out / "gcn_frozen.pt").string() + " " + (out / "inputs.pt").string());
  EXPECT_EQ(python.exit_code, 0) << python.output;
  EXPECT_THAT(python.output, HasSubstr(expected));
}

TEST(ExampleTorchscriptGcn, CiteSeerRandomSplitAndSyntheticFallbackRun) {
  TempDir out;
  const auto synthetic = xt::testing::run_command(std::string(XT_EXAMPLE_TORCHSCRIPT_GCN) + " --data-dir " +
                                                  (out / "no-data").string() + " --out-dir " +
                                                  (out / "synthetic").string() + " --epochs 20");
  ASSERT_EQ(synthetic.exit_code, 0) << synthetic.output;
  EXPECT_THAT(synthetic.output, HasSubstr("data: SYNTHETIC citation graph"));

  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "citeseer")) GTEST_SKIP() << "no real data under " << data;
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_TORCHSCRIPT_GCN) + " --data-dir " + data.string() +
                                            " --dataset citeseer --split random --epochs 20 --out-dir " +
                                            (out / "citeseer").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: citeseer (random split), 3312 nodes"));
  EXPECT_THAT(run.output, HasSubstr("identical predictions: yes"));
}

TEST(ExampleTorchscriptGcn, UnknownDatasetIsRejected) {
  const auto run = xt::testing::run_command(std::string(XT_EXAMPLE_TORCHSCRIPT_GCN) + " --dataset pubmed");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("--dataset"));
}

// Example 4 end to end: interrupt, resume, bit-exact comparison, the probe;
// Ctrl-C/SIGTERM and --resume; the quality bar on PPI.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_util.h"
#include "xtorch/serialize/checkpoint.h"
#include "xtorch/util/report.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

namespace {

// A small configuration: one epoch over few walks, small spectral features.
const std::string kSmallModel =
    " --spectral-dim 32 --hidden 64 --walks-per-node 2 --probe-splits 2 --checkpoint-every 20";
const std::string kSmall = kSmallModel + " --epochs 1";

bool has_checkpoint(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".xtckpt") return true;
  }
  return false;
}

std::string command(const fs::path& data, const fs::path& out, const std::string& extra) {
  return std::string(XT_EXAMPLE_CHECKPOINT_GRAPHSAGE) + " --data-dir " + data.string() + " --out-dir " +
         out.string() + extra;
}

}  // namespace

TEST(ExampleCheckpointGraphSage, InterruptedRunResumesToExactlyTheUninterruptedWeights) {
  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "ppi_node2vec")) GTEST_SKIP() << "no real data under " << data;
  TempDir out;
  const auto run = xt::testing::run_command(command(data, out.path(), kSmall));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("data: PPI (node2vec, BioGRID + MSigDB), 3890 nodes, 76584 edge lines, 50 labels"));
  EXPECT_THAT(run.output, HasSubstr("-- run 1: interrupted after step 70"));
  EXPECT_THAT(run.output, HasSubstr("resumed from " + (out.path() / "checkpoints" / "step-000000070.xtckpt").string() +
                                    " at step 70"));
  EXPECT_THAT(run.output, HasSubstr("max abs weight diff 0 (bit-exact)"));
  EXPECT_THAT(run.output, HasSubstr("by type and config: embeddings max abs diff 0"));
  const auto results = xt::read_json(out / "results.json");
  const auto& m = results["metrics"];
  EXPECT_EQ(m["resume_max_abs_weight_diff"].get<double>(), 0.0);
  EXPECT_GT(m["macro_f1"].get<double>(), 0.12);  // one short epoch
  EXPECT_EQ(results["training"]["resumed_at_steps"], nlohmann::json::array({70}));
  EXPECT_GT(fs::file_size(out / "loss_curve.png"), 10000u);
  // Keep-last 3 plus the best: at most 4 files, the newest the final step.
  std::vector<fs::path> kept;
  for (const auto& e : fs::directory_iterator(out / "checkpoints")) kept.push_back(e.path());
  EXPECT_LE(kept.size(), 4u);
  EXPECT_TRUE(fs::exists(out / "checkpoints" / "step-000000177.xtckpt"));
  EXPECT_EQ(xt::inspect_checkpoint(out / "checkpoints" / "step-000000177.xtckpt").model_type, "GraphSAGE");
}

TEST(ExampleCheckpointGraphSage, SigtermSavesAndResumeContinues) {
  TempDir out;
  const fs::path log = out / "log";
  // Synthetic data (no data dir): the point is the signal handling.
  const std::string cmd = command(out / "none", out.path(), kSmallModel + " --epochs 10 --stop-after-steps 0");
  const pid_t pid = fork();
  if (pid == 0) {
    // exec: the shell becomes the example, so `pid` is the example's.
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " > " + log.string() + " 2>&1").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first checkpoint, then ask the example to stop.
  for (int i = 0; i < 1200 && !has_checkpoint(out / "checkpoints"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(has_checkpoint(out / "checkpoints")) << xt::testing::run_command("cat " + log.string()).output;
  const auto run_output = [&] { return xt::testing::run_command("cat " + log.string()).output; };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << run_output();
  EXPECT_THAT(run_output(), HasSubstr("interrupted by a signal at step"));
  EXPECT_THAT(run_output(), HasSubstr("run again with --resume"));

  const auto resumed = xt::testing::run_command(cmd + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("resumed from"));
  EXPECT_THAT(resumed.output, HasSubstr("data: SYNTHETIC multi-label graph"));
}

// The bar is macro-F1 >= 0.175 as a mean over 5 seeds (README:
// 0.1776); one seed at the default settings must clear 0.17.
TEST(ExampleCheckpointGraphSage, DefaultSettingsOnPpiReachNode2vecLevelMacroF1) {
  const auto data = xt::testing::real_data_dir();
  if (!fs::exists(data / "ppi_node2vec")) GTEST_SKIP() << "no real data under " << data;
  TempDir out;
  const auto run = xt::testing::run_command(command(data, out.path(), " --seed 1 --stop-after-steps 0"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = xt::read_json(out / "results.json")["metrics"];
  EXPECT_GE(m["macro_f1"].get<double>(), 0.17) << run.output;
  EXPECT_GE(m["micro_f1"].get<double>(), 0.18) << run.output;
}

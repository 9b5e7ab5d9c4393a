// What checkpoints cost, measured on example 4's training (GraphSAGE on PPI,
// the example's default model and batch size).
//
// 1. Overhead as a share of training time at the default interval (every
//    100 steps): the same steps trained with and without checkpoints, side by
//    side, and per-save time / (interval x per-step time).
// 2. Write and read throughput of a checkpoint next to a plain copy (with
//    fsync) and a plain read of the same bytes.
//
//   build/bench/bench_checkpoint [--data-dir DIR] [--steps N] [--interval K]

#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "bench_util.h"
#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::bench::copy_with_fsync;
using xt::bench::median_seconds;
using xt::format_fixed;

namespace {

struct Setup {
  xt::data::MultiLabelGraph graph;
  std::unique_ptr<xt::data::Adjacency> adjacency;
  std::unique_ptr<xt::data::NegativeSampler> negatives;
  torch::Tensor features, pairs;
  xt::nn::GraphSAGEConfig config;
};

// Trains `steps` steps of example 4's model; with a directory, checkpoints
// every `interval` steps. Returns the wall time.
double train(const Setup& s, std::int64_t steps, std::int64_t interval, const fs::path& checkpoint_dir) {
  xt::set_seed(1);
  xt::nn::GraphSAGE model(s.config);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.001));
  const std::vector<std::int64_t> fanouts = {25, 10};
  const auto forward = [&](const torch::Tensor& batch, const xt::train::BatchInfo& where) {
    return xt::nn::pair_batch_loss(*model, *s.adjacency, *s.negatives, s.features, fanouts, batch, 20,
                                   {1, static_cast<std::uint64_t>(where.step)});
  };
  xt::train::TrainerOptions options;
  options.epochs = 100;
  options.batch_size = 1024;
  options.max_steps = steps;
  options.progress = false;
  xt::train::Trainer trainer(*model, forward, optimizer,
                             [](const torch::Tensor& loss, const torch::Tensor&) { return loss; }, options);
  if (!checkpoint_dir.empty()) {
    xt::train::CheckpointPolicy policy;
    policy.directory = checkpoint_dir;
    policy.every_steps = interval;
    policy.every_epochs = 0;
    policy.resume = false;
    trainer.enable_checkpoints(policy);
  }
  xt::Stopwatch clock;
  trainer.fit({s.pairs, torch::zeros({s.pairs.size(0)})});
  return clock.seconds();
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  std::int64_t steps = 200, interval = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--data-dir") data_dir = argv[i + 1];
    if (flag == "--steps") steps = std::stoll(argv[i + 1]);
    if (flag == "--interval") interval = std::stoll(argv[i + 1]);
  }
  xt::TempDir dir;
  Setup s;
  const auto data = xt::data::load_protein_graph(xt::data::resolve_data_dir(data_dir), 1);
  std::cout << data.source.description << "\n";
  s.graph = data.graph;
  s.adjacency = std::make_unique<xt::data::Adjacency>(s.graph.edge_index, s.graph.num_nodes());
  s.negatives = std::make_unique<xt::data::NegativeSampler>(*s.adjacency);
  s.features = xt::data::spectral_features(*s.adjacency, 256, 100, 1);
  s.pairs = xt::data::random_walk_pairs(*s.adjacency, {5, 6, 3}, 1);
  s.config.feature_dim = s.features.size(1);
  s.config.layer_sizes = {256, 256};

  // ---- 1. Overhead at the interval -------------------------------------
  // Interleaved twice so a drifting machine affects both sides alike.
  double plain = 0.0, checkpointed = 0.0;
  for (int round = 0; round < 2; ++round) {
    plain += train(s, steps, interval, {});
    checkpointed += train(s, steps, interval, dir.path() / ("run" + std::to_string(round)));
  }
  const auto files = xt::train::CheckpointDirectory(dir.path() / "run0").list();
  const fs::path checkpoint = files.back();
  const double step_seconds = plain / static_cast<double>(2 * steps);

  // ---- 2. Throughput ----------------------------------------------------
  xt::nn::GraphSAGE model(s.config);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.001));
  xt::CheckpointParts parts(*model);
  parts.optimizer = &optimizer;
  xt::load_checkpoint(checkpoint, parts);  // the optimizer now has its moments, as in training
  const auto bytes = static_cast<double>(fs::file_size(checkpoint));
  const int repeats = 9;
  const double save = median_seconds(repeats, [&] { xt::save_checkpoint(dir.path() / "c.xtckpt", parts, {}); });
  const double copy = median_seconds(repeats, [&] { copy_with_fsync(checkpoint, dir.path() / "copy.bin"); });
  const double load = median_seconds(repeats, [&] { xt::load_checkpoint(checkpoint, parts); });
  const double read = median_seconds(repeats, [&] { xt::read_file(dir.path() / "copy.bin"); });
  const double verify = median_seconds(repeats, [&] { xt::inspect_checkpoint(checkpoint); });

  const double measured = (checkpointed - plain) / plain;
  const double modelled = save / (static_cast<double>(interval) * step_seconds);
  std::cout << "\n== checkpoint overhead (" << steps << " steps x 2 rounds, a checkpoint every " << interval
            << " steps, " << xt::format_bytes(static_cast<std::uint64_t>(bytes)) << " each) ==\n";
  xt::TextTable overhead({"measure", "value"});
  overhead
      .add_row({"training step (mean over the runs without checkpoints)",
                format_fixed(1000 * step_seconds, 1) + " ms"})
      .add_row({"one checkpoint save", format_fixed(1000 * save, 1) + " ms"})
      .add_row({"share measured: (with - without) / without (noisy: machine drift)",
                format_fixed(100 * measured, 2) + " %"})
      .add_row({"share of training time, save / (interval x step)", format_fixed(100 * modelled, 2) + " %"})
      .print(std::cout);
  const auto rate = [&](double seconds) { return format_fixed(bytes / seconds / 1e6, 0) + " MB/s"; };
  std::cout << "\n== throughput ==\n";
  xt::TextTable table({"operation", "time", "throughput", "vs plain"});
  table.add_row({"save_checkpoint (atomic, fsync)", format_fixed(1000 * save, 1) + " ms", rate(save),
                 format_fixed(save / copy, 2) + "x copy"})
      .add_row({"plain copy + fsync", format_fixed(1000 * copy, 1) + " ms", rate(copy), "1.00x"})
      .add_row({"load_checkpoint (verify + restore)", format_fixed(1000 * load, 1) + " ms", rate(load),
                format_fixed(load / read, 2) + "x read"})
      .add_row({"inspect_checkpoint (size + SHA-256)", format_fixed(1000 * verify, 1) + " ms", rate(verify),
                format_fixed(verify / read, 2) + "x read"})
      .add_row({"plain read", format_fixed(1000 * read, 1) + " ms", rate(read), "1.00x"})
      .print(std::cout);
  return 0;
}

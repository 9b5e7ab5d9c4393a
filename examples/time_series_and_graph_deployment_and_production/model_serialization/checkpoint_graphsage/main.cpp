// Example 4: checkpoint and resume GraphSAGE training, bit for bit.
//
// We learn unsupervised node embeddings of the human protein-protein
// interaction network (node2vec's PPI: 3,890 proteins, 50 biological-state
// labels, no node features) with GraphSAGE (Hamilton et al. 2017): a node
// should look like the nodes it meets on short random walks and unlike
// random ones. Training checkpoints itself; the run interrupts itself part
// way (as a preemption would), a fresh start resumes from the newest valid
// checkpoint, and the result is compared with an uninterrupted run: the
// weights must be identical. Finally a linear probe scores the embeddings.
//
//   ./checkpoint_graphsage --data-dir ../shared/data --out-dir out/checkpoint_graphsage
//   # two processes, one machine (torchrun's variables):
//   WORLD_SIZE=2 RANK=1 ./checkpoint_graphsage & WORLD_SIZE=2 RANK=0 ./checkpoint_graphsage

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

int main(int argc, char** argv) {
  // ---- 1. Options ---------------------------------------------------------
  // Model defaults are the paper's: mean aggregator, 2 layers, fan-out 25 then
  // 10, 20 shared negatives per batch, Adam.
  CLI::App app{"Train GraphSAGE on PPI with checkpoints; interrupt, resume, and check it is bit-exact."};
  std::string data_dir;
  std::vector<std::string> feature_kinds = {"spectral"};
  std::int64_t spectral_dim = 256;
  fs::path out_dir = "out/checkpoint_graphsage";
  int epochs = 2;
  std::int64_t batch_size = 1024, embedding_dim = 64, hidden = 256, negatives = 20, checkpoint_every = 100;
  std::int64_t stop_after_steps = -1;  // -1: 40% of the run
  std::vector<std::int64_t> fanouts = {25, 10};
  xt::data::RandomWalkOptions walks{5, 6, 3};  // per node, nodes per walk, window
  double learning_rate = 0.001;
  std::uint64_t seed = 1;
  int probe_splits = 10;
  bool raw_output = false;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--out-dir", out_dir, "Checkpoints, plot and results.json go here");
  app.add_option("--epochs", epochs, "Passes over the random-walk pairs")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", batch_size, "Positive pairs per step");
  app.add_option("--fanouts", fanouts, "Neighbours sampled per layer (one layer per fan-out)")->delimiter(',');
  app.add_option("--features", feature_kinds,
                 "Input features, any of: spectral (eigenvectors of the normalized adjacency), degree (degree "
                 "statistics), embedding (a learnable row per node)")
      ->delimiter(',')
      ->check(CLI::IsMember({"spectral", "degree", "embedding"}));
  app.add_option("--spectral-dim", spectral_dim, "Eigenvectors in the spectral features");
  app.add_option("--embedding-dim", embedding_dim, "Size of the learnable per-node input");
  app.add_option("--hidden", hidden, "Units per GraphSAGE layer (the output embedding size too)");
  app.add_option("--walks-per-node", walks.walks_per_node, "Random walks started at every node");
  app.add_option("--walk-length", walks.walk_length, "Nodes per walk");
  app.add_option("--window", walks.window, "Pairs co-occur at most this many steps apart");
  app.add_option("--negatives", negatives, "Negative samples per step, shared by the batch");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--checkpoint-every", checkpoint_every, "Steps between checkpoints");
  app.add_option("--stop-after-steps", stop_after_steps,
                 "Interrupt the first run here (-1: at 40% of the steps, mid-epoch; 0: never)");
  bool resume = false;
  app.add_flag("--resume", resume,
               "Continue from the newest valid checkpoint in <out-dir>/checkpoints (after Ctrl-C, SIGTERM or a "
               "crash) instead of starting over; no self-interruption");
  app.add_flag("--raw-output", raw_output, "Do not L2-normalize the output embeddings (the paper does)");
  app.add_option("--probe-splits", probe_splits, "Random 50/50 splits the linear probe is averaged over");
  app.add_option("--seed", seed, "Seed for walks, sampling, initialization and the probe splits");
  CLI11_PARSE(app, argc, argv);

  try {
    // torchrun-style variables, if set, make this one rank of a process group.
    const auto distributed = xt::train::DistributedConfig::from_environment();
    std::unique_ptr<xt::train::ProcessGroup> group;
    if (distributed) group = std::make_unique<xt::train::ProcessGroup>(*distributed);
    const bool lead = !group || group->rank() == 0;  // rank 0 talks and writes files
    std::ostream silent(nullptr);
    std::ostream& out = lead ? std::cout : silent;
    xt::Stopwatch total_time;

    // ---- 2. Data ----------------------------------------------------------
    const auto data = xt::data::load_protein_graph(xt::data::resolve_data_dir(data_dir), seed);
    const xt::data::MultiLabelGraph& graph = data.graph;
    out << data.source.description << "\n";
    const xt::data::Adjacency adjacency(graph.edge_index, graph.num_nodes());
    // The graph has no node features: GraphSAGE needs something to
    // aggregate. Options: the smoothest eigenvectors of the graph (spectral
    // positional encodings), degree statistics, and/or a learnable row per
    // node (which, unlike the others, only works for nodes seen in training).
    const auto wants = [&](const std::string& kind) {
      return std::find(feature_kinds.begin(), feature_kinds.end(), kind) != feature_kinds.end();
    };
    std::vector<torch::Tensor> fixed_features;
    if (graph.features.defined()) fixed_features.push_back(graph.features);
    if (wants("spectral")) fixed_features.push_back(xt::data::spectral_features(adjacency, spectral_dim, 100, seed));
    if (wants("degree")) fixed_features.push_back(xt::data::structural_features(adjacency));
    const torch::Tensor features = fixed_features.empty() ? torch::Tensor() : torch::cat(fixed_features, 1);

    // Positives: node pairs that co-occur within --window steps on short
    // random walks.
    // Negatives: drawn by degree^0.75. Both are keyed by (seed, step), so
    // sampling needs no state in the checkpoint and does not change when the
    // batch is split across processes.
    const torch::Tensor pairs = xt::data::random_walk_pairs(adjacency, walks, seed);
    const xt::data::NegativeSampler negative_sampler(adjacency);
    const std::int64_t steps_per_epoch = (pairs.size(0) + batch_size - 1) / batch_size;
    const std::int64_t total_steps = steps_per_epoch * epochs;
    out << "graph: " << graph.num_nodes() << " nodes, " << adjacency.num_edges() / 2 << " undirected edges, "
        << graph.num_labels() << " labels; " << pairs.size(0) << " walk pairs, " << total_steps << " steps\n";

    // ---- 3. One training run, as a fresh process would start it -----------
    // Everything is built anew each time: model, optimizer, trainer. Only the
    // checkpoint directory connects an interrupted run to its resumption.
    xt::nn::GraphSAGEConfig config;
    config.feature_dim = features.defined() ? features.size(1) : 0;
    config.num_nodes = graph.num_nodes();
    config.embedding_dim = wants("embedding") ? embedding_dim : 0;
    config.layer_sizes.assign(fanouts.size(), hidden);
    config.normalize = !raw_output;
    struct RunResult {
      xt::nn::GraphSAGE model{nullptr};
      xt::train::History history;
      fs::path last_checkpoint;
      bool signalled = false;
    };
    const auto train_run = [&](const fs::path& checkpoint_dir, std::int64_t max_steps) {
      xt::set_seed(seed);
      RunResult run;
      run.model = xt::nn::GraphSAGE(config);
      torch::optim::Adam optimizer(run.model->parameters(), torch::optim::AdamOptions(learning_rate));
      // A batch of positive pairs in, the unsupervised loss out (the
      // Trainer's "prediction" is already the loss): draw the negatives,
      // sample the neighbourhoods of both ends and the negatives, embed,
      // score. Keyed by the step, so a resumed run draws the same.
      const auto forward = [&](const torch::Tensor& batch, const xt::train::BatchInfo& where) {
        const xt::data::SampleKey key{seed, static_cast<std::uint64_t>(where.step)};
        return xt::nn::pair_batch_loss(*run.model, adjacency, negative_sampler, features, fanouts, batch, negatives,
                                       key);
      };
      xt::train::TrainerOptions options;
      options.epochs = epochs;
      options.batch_size = batch_size;
      options.seed = seed;
      options.max_steps = max_steps;
      options.progress = lead;
      xt::train::Trainer trainer(*run.model, forward, optimizer,
                                 [](const torch::Tensor& loss, const torch::Tensor&) { return loss; }, options);
      xt::train::CheckpointPolicy policy;
      policy.directory = checkpoint_dir;
      policy.every_steps = checkpoint_every;
      trainer.enable_checkpoints(policy).set_config(config.to_json());
      if (group) trainer.set_process_group(*group);
      if (lead) trainer.add_callback(std::make_shared<xt::train::LogEpochs>(std::cout));
      run.history = trainer.fit({pairs, torch::zeros({pairs.size(0)})});
      run.last_checkpoint = trainer.last_checkpoint();
      // Interrupted without a step limit: Ctrl-C or SIGTERM. The step
      // finished and a checkpoint was written.
      run.signalled = run.history.interrupted && max_steps == 0;
      if (run.signalled) {
        out << "interrupted by a signal at step " << trainer.step() << "; checkpoint " << run.last_checkpoint.string()
            << "\nrun again with --resume to continue\n";
      }
      return run;
    };

    // ---- 4. Interrupt, resume, compare ------------------------------------
    // The first run stops itself (as SIGTERM or a preemption would stop it:
    // finish the step, write a checkpoint, exit). The second starts from
    // nothing but the checkpoint directory and finishes the job.
    if (stop_after_steps < 0) stop_after_steps = resume ? 0 : total_steps * 2 / 5;
    const fs::path checkpoint_dir = out_dir / "checkpoints";
    if (lead && !resume) fs::remove_all(checkpoint_dir);
    if (group) group->barrier();
    if (stop_after_steps > 0 && stop_after_steps < total_steps) {
      out << "\n-- run 1: interrupted after step " << stop_after_steps << "\n";
      if (train_run(checkpoint_dir, stop_after_steps).signalled) return 0;
      out << "\n-- run 2: a fresh start resumes from " << checkpoint_dir.string() << "\n";
    }
    RunResult resumed = train_run(checkpoint_dir, 0);
    if (resumed.signalled) return 0;

    // The reference: the same training without interruption.
    double max_abs_diff = -1.0;
    if (stop_after_steps > 0 && stop_after_steps < total_steps) {
      out << "\n-- run 3: the same training, uninterrupted (reference)\n";
      const fs::path reference_dir = out_dir / "reference_checkpoints";
      if (lead) fs::remove_all(reference_dir);
      if (group) group->barrier();
      RunResult reference = train_run(reference_dir, 0);
      if (reference.signalled) return 0;
      max_abs_diff = 0.0;
      const auto a = resumed.model->parameters(), b = reference.model->parameters();
      for (std::size_t i = 0; i < a.size(); ++i) {
        max_abs_diff = std::max(max_abs_diff, (a[i] - b[i]).abs().max().item<double>());
      }
      out << "resumed vs uninterrupted: max abs weight diff " << max_abs_diff
          << (max_abs_diff == 0.0 ? " (bit-exact)" : " (NOT bit-exact)") << "\n";
    }

    // ---- 5. The checkpoint alone rebuilds the model -----------------------
    // The header names the model type and config; the registry builds the
    // C++ module from them, then the weights are loaded.
    auto rebuilt = std::dynamic_pointer_cast<xt::nn::GraphSAGEImpl>(
        xt::nn::load_checkpoint_model(resumed.last_checkpoint));
    const torch::Tensor embeddings = resumed.model->embed_all(adjacency, features, fanouts, seed);
    const double rebuilt_diff =
        (rebuilt->embed_all(adjacency, features, fanouts, seed) - embeddings).abs().max().item<double>();
    out << "model rebuilt from " << resumed.last_checkpoint.filename().string()
        << " by type and config: embeddings max abs diff " << rebuilt_diff << "\n";

    // ---- 6. Linear probe ---------------------------------------------------
    // node2vec's protocol: one-vs-rest logistic regression on the frozen
    // embeddings, 50% of the nodes labelled, each test node gets as many
    // labels as it truly has; averaged over random splits.
    std::vector<double> macro, micro;
    for (int split = 0; split < probe_splits; ++split) {
      xt::train::LinearProbeOptions probe;
      probe.seed = seed * 1000 + static_cast<std::uint64_t>(split);
      const auto result = xt::train::linear_probe(embeddings, graph.labels, probe);
      macro.push_back(result.f1.macro);
      micro.push_back(result.f1.micro);
    }
    const auto macro_stats = xt::metrics::summarize(macro), micro_stats = xt::metrics::summarize(micro);

    // ---- 7. Results ----------------------------------------------------------
    if (lead) {
      xt::LinePlot plot("GraphSAGE unsupervised loss (PPI)", "step", "loss");
      std::vector<double> x, y;
      for (const auto& s : resumed.history.steps) {
        x.push_back(static_cast<double>(s.step));
        y.push_back(s.loss);
      }
      plot.add("train loss per step", x, y);
      for (const auto step : resumed.history.resumed_at_steps) plot.marker(static_cast<double>(step), "resumed");
      plot.save_png(out_dir / "loss_curve.png");
      xt::write_json(out_dir / "results.json",
                     {{"example", "checkpoint_graphsage"},
                      {"data", {{"synthetic", data.source.synthetic}, {"nodes", graph.num_nodes()},
                                {"labels", graph.num_labels()}, {"walk_pairs", pairs.size(0)}}},
                      {"seed", seed},
                      {"model", config.to_json()},
                      {"training", resumed.history.to_json()},
                      {"metrics", {{"macro_f1", macro_stats.mean}, {"macro_f1_std", macro_stats.std},
                                   {"micro_f1", micro_stats.mean}, {"micro_f1_std", micro_stats.std},
                                   {"final_loss", resumed.history.epochs.back().train_loss},
                                   {"resume_max_abs_weight_diff", max_abs_diff},
                                   {"rebuilt_embedding_max_abs_diff", rebuilt_diff}}},
                      {"files",
                       {{"checkpoints", checkpoint_dir.string()}, {"plot", (out_dir / "loss_curve.png").string()}}},
                      {"seconds", total_time.seconds()}});
      std::cout << "\n== checkpoint_graphsage results (" << (data.source.synthetic ? "SYNTHETIC data" : "PPI")
                << ", seed " << seed << ") ==\n"
                << "linear probe (50% labelled, " << probe_splits << " splits): macro-F1 "
                << format_fixed(macro_stats.mean, 4) << " +- " << format_fixed(macro_stats.std, 4) << ", micro-F1 "
                << format_fixed(micro_stats.mean, 4) << " +- " << format_fixed(micro_stats.std, 4) << "\n"
                << "resume: " << (max_abs_diff == 0.0 ? "bit-exact" : max_abs_diff < 0 ? "not tested" : "DIFFERS")
                << "; checkpoints in " << checkpoint_dir.string() << "\n"
                << "wrote " << (out_dir / "loss_curve.png").string() << ", " << (out_dir / "results.json").string()
                << " in " << xt::format_duration(total_time.seconds()) << "\n";
    }
    return max_abs_diff > 0.0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

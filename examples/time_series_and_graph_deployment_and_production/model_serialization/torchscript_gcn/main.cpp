// Example 2: export a GCN to TorchScript and load it without its class.
//
// We train the graph convolutional network of Kipf & Welling (2017) on the
// Cora citation graph, export it with xt::export_to_jit to a plain TorchScript
// file, and load that file back with torch::jit::load: no GCN class, no
// xtorch, just LibTorch. The same file runs in Python (predict.py, next to
// this file) and gives the same predictions.
//
//   ./torchscript_gcn --data-dir ../shared/data --out-dir out/torchscript_gcn
//   /usr/bin/python3 predict.py out/torchscript_gcn/gcn.pt out/torchscript_gcn/inputs.pt

#include <CLI/CLI.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

int main(int argc, char** argv) {
  // ---- 1. Options ---------------------------------------------------------
  // The defaults are the paper's: 16 hidden units, dropout 0.5, Adam with
  // lr 0.01, weight decay 5e-4 on the first layer, 200 epochs.
  CLI::App app{"Train a GCN on Cora, export it to TorchScript, load it back in C++ without its class."};
  std::string data_dir, dataset = "cora", split_name = "planetoid";
  fs::path out_dir = "out/torchscript_gcn";
  int epochs = 200;
  std::int64_t hidden = 16;
  double dropout = 0.5, learning_rate = 0.01, weight_decay = 5e-4;
  std::uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--dataset", dataset, "cora or citeseer")->check(CLI::IsMember({"cora", "citeseer"}));
  app.add_option("--split", split_name, "planetoid (fixed, Kipf & Welling) or random (20 per class, 500, 1000)")
      ->check(CLI::IsMember({"planetoid", "random"}));
  app.add_option("--out-dir", out_dir, "Where the TorchScript files, inputs, plot and results.json go");
  app.add_option("--epochs", epochs, "Training epochs (full batch: one step per epoch)");
  app.add_option("--hidden", hidden, "Hidden units");
  app.add_option("--dropout", dropout, "Dropout on the input features and the hidden layer");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--weight-decay", weight_decay, "L2 penalty on the first layer");
  app.add_option("--seed", seed, "Seed for initialization, dropout and the random split");
  CLI11_PARSE(app, argc, argv);

  try {
    xt::set_seed(seed);
    xt::Stopwatch total_time;

    // ---- 2. Data ----------------------------------------------------------
    // Sparse bag-of-words features, row-normalized, and the renormalized
    // adjacency D^-1/2 (A + I) D^-1/2; both stay sparse.
    const auto split = split_name == "planetoid" ? xt::data::GraphSplit::Planetoid : xt::data::GraphSplit::Random;
    const auto data = xt::data::load_citation_dataset(xt::data::resolve_data_dir(data_dir), dataset, split, seed);
    std::cout << data.source.description << "\n";
    const xt::data::Graph& graph = data.graph;
    const torch::Tensor x = xt::data::row_normalize(graph.features);
    const torch::Tensor adj = xt::data::normalized_adjacency(graph.edge_index, graph.num_nodes());
    const torch::Tensor& labels = graph.labels;
    std::cout << "graph: " << graph.num_nodes() << " nodes, " << xt::data::count_undirected_edges(graph.edge_index)
              << " undirected edges, " << graph.num_features() << " features, " << graph.num_classes()
              << " classes; train " << graph.train_index.size(0) << ", val " << graph.val_index.size(0) << ", test "
              << graph.test_index.size(0) << "\n";

    // ---- 3. Model and training --------------------------------------------
    xt::nn::GCNConfig config;
    config.in_features = graph.num_features();
    config.hidden = hidden;
    config.num_classes = graph.num_classes();
    config.dropout = dropout;
    xt::nn::GCN model(config);

    // Weight decay on the first layer only, as in the paper: two parameter
    // groups with their own options.
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(model->first_layer_parameters(),
                        std::make_unique<torch::optim::AdamOptions>(
                            torch::optim::AdamOptions(learning_rate).weight_decay(weight_decay)));
    groups.emplace_back(model->other_parameters(),
                        std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(learning_rate)));
    torch::optim::Adam optimizer(std::move(groups), torch::optim::AdamOptions(learning_rate));

    // Full-batch training fits the generic Trainer: the "inputs" are node
    // indices, and one batch holds all training nodes. Every step runs the
    // GCN over the whole graph and scores the nodes of the batch.
    const auto logits_of = [&](const torch::Tensor& nodes) { return model->forward(x, adj).index_select(0, nodes); };
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = graph.train_index.size(0);
    options.shuffle = false;
    options.seed = seed;
    xt::train::Trainer trainer(
        *model, logits_of, optimizer,
        [](const torch::Tensor& logits, const torch::Tensor& y) { return torch::cross_entropy_loss(logits, y); },
        options);
    // Keep the weights of the epoch with the lowest validation loss.
    trainer.add_callback(std::make_shared<xt::train::RestoreBestWeights>());
    const auto history = trainer.fit({graph.train_index, labels.index_select(0, graph.train_index)},
                                     xt::train::TensorData{graph.val_index, labels.index_select(0, graph.val_index)});
    std::cout << "trained " << history.epochs.size() << " epochs in " << xt::format_duration(total_time.seconds())
              << "; best validation loss " << format_fixed(history.best_val_loss, 4) << " at epoch "
              << history.best_epoch << "\n";

    // ---- 4. Evaluate the eager model ----------------------------------------
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor eager_logits = model->forward(x, adj);
    const torch::Tensor test_labels = labels.index_select(0, graph.test_index);
    const double eager_accuracy =
        xt::metrics::accuracy(eager_logits.index_select(0, graph.test_index), test_labels);

    // ---- 5. Export to TorchScript -------------------------------------------
    // export_to_jit builds a torch::jit::Module from the GCN's parameters and
    // its TorchScript forward, saves it, loads the file back and checks it
    // against the eager model on these inputs (max abs diff <= 1e-5).
    // Freezing turns weights into constants and folds the dropout branches
    // away: faster, but inference only.
    xt::JitExportOptions export_options;
    export_options.verify_inputs = {x, adj};
    const fs::path script_path = out_dir / "gcn.pt";
    const fs::path frozen_path = out_dir / "gcn_frozen.pt";
    const xt::JitExport exported = xt::export_to_jit(model, script_path, export_options);
    export_options.freeze = true;
    const xt::JitExport frozen = xt::export_to_jit(model, frozen_path, export_options);
    std::cout << "exported " << script_path.string() << " (" << xt::format_bytes(exported.file_bytes) << ") and "
              << frozen_path.string() << " (" << xt::format_bytes(frozen.file_bytes) << ")\n";

    // ---- 6. Load it back with plain LibTorch --------------------------------
    // torch::jit::load needs only the file: this is what a C++ service that
    // has never seen the GCN class would do.
    torch::jit::Module scripted = torch::jit::load(script_path.string());
    torch::jit::Module scripted_frozen = torch::jit::load(frozen_path.string());
    scripted.eval();
    const auto run = [&](torch::jit::Module& module) { return module.forward({x, adj}).toTensor(); };
    const torch::Tensor script_logits = run(scripted);
    const torch::Tensor frozen_logits = run(scripted_frozen);
    const auto test_accuracy = [&](const torch::Tensor& logits) {
      return xt::metrics::accuracy(logits.index_select(0, graph.test_index), test_labels);
    };
    const double script_accuracy = test_accuracy(script_logits);
    const double frozen_accuracy = test_accuracy(frozen_logits);
    const double logit_diff =
        std::max(xt::max_abs_diff(eager_logits, script_logits), xt::max_abs_diff(eager_logits, frozen_logits));
    const torch::Tensor eager_classes = xt::metrics::predicted_classes(eager_logits);
    const bool same_predictions = eager_classes.equal(xt::metrics::predicted_classes(script_logits)) &&
                                  eager_classes.equal(xt::metrics::predicted_classes(frozen_logits));

    // ---- 7. Inference latency: one forward over the whole graph ------------
    const auto eager_latency = xt::metrics::measure_latency([&] { model->forward(x, adj); });
    const auto script_latency = xt::metrics::measure_latency([&] { run(scripted); });
    const auto frozen_latency = xt::metrics::measure_latency([&] { run(scripted_frozen); });

    // ---- 8. Hand the same inputs to Python -------------------------------------
    // predict.py loads gcn.pt with torch.jit.load and these tensors with
    // torch.load, and prints the accuracy it gets.
    const fs::path inputs_path = out_dir / "inputs.pt";
    xt::save_tensors(inputs_path, {{"features", x}, {"adjacency", adj}, {"labels", labels},
                                   {"test_index", graph.test_index}, {"expected_logits", eager_logits}});

    // ---- 9. Training curves -----------------------------------------------------
    std::vector<double> epoch_axis, train_loss, val_loss;
    for (const auto& log : history.epochs) {
      epoch_axis.push_back(log.epoch);
      train_loss.push_back(log.train_loss);
      val_loss.push_back(log.val_loss.value_or(0.0));
    }
    const fs::path plot_path = out_dir / "training_curves.png";
    xt::LinePlot("GCN on " + graph.name + ": cross-entropy per epoch", "epoch", "loss")
        .add("train", epoch_axis, train_loss)
        .add("validation", epoch_axis, val_loss)
        .marker(history.best_epoch, "best val")
        .save_png(plot_path);

    // ---- 10. Results ---------------------------------------------------------------
    xt::write_json(out_dir / "results.json",
                   {{"example", "torchscript_gcn"},
                    {"data", {{"synthetic", data.source.synthetic}, {"dataset", graph.name}, {"split", split_name},
                              {"nodes", graph.num_nodes()}}},
                    {"seed", seed},
                    {"model", config.to_json()},
                    {"training", history.to_json()},
                    {"metrics", {{"test_accuracy", eager_accuracy}, {"torchscript_test_accuracy", script_accuracy},
                                 {"frozen_test_accuracy", frozen_accuracy},
                                 {"identical_predictions", same_predictions}, {"max_abs_logit_diff", logit_diff},
                                 {"latency_eager", eager_latency.to_json()},
                                 {"latency_torchscript", script_latency.to_json()},
                                 {"latency_frozen", frozen_latency.to_json()}}},
                    {"files", {{"torchscript", script_path.string()}, {"frozen", frozen_path.string()},
                               {"inputs", inputs_path.string()}, {"plot", plot_path.string()}}},
                    {"seconds", total_time.seconds()}});

    std::cout << "\n== torchscript_gcn results (" << (data.source.synthetic ? "SYNTHETIC data" : graph.name)
              << ", " << split_name << " split, seed " << seed << ") ==\n";
    xt::TextTable results({"model", "test accuracy", "latency median (ms)", "p95 (ms)"});
    const auto row = [&](const std::string& name, double accuracy, const xt::metrics::LatencyStats& latency) {
      results.add_row({name, format_fixed(100.0 * accuracy, 1) + "%",
                       format_fixed(latency.median_ms, 3), format_fixed(latency.p95_ms, 3)});
    };
    row("C++ eager", eager_accuracy, eager_latency);
    row("TorchScript (torch::jit::load)", script_accuracy, script_latency);
    row("TorchScript, frozen", frozen_accuracy, frozen_latency);
    results.print(std::cout);
    std::cout << "identical predictions: " << (same_predictions ? "yes" : "NO") << ", max abs logit diff "
              << logit_diff << "\n"
              << "files: " << script_path.string() << ", " << frozen_path.string() << ", " << inputs_path.string()
              << ", " << plot_path.string() << ", " << (out_dir / "results.json").string() << "\n";
    return same_predictions ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

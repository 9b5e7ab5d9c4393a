// GCN benchmarks: C++ training against plain PyTorch, and inference of the
// eager model against its TorchScript exports.
//
// 1. 200 training epochs of the same GCN on the same Cora tensors, in C++
//    (xt::nn::GCN with xt::train::Trainer, as example 2 trains it) and in
//    Python (bench/python/train_gcn.py, run by Debian's /usr/bin/python3 with
//    the same number of threads and one OpenBLAS thread, as libxtorch sets).
//    Each side: per epoch one training step, the validation loss and a copy
//    of the best weights. Median of 3 runs; the ratio is printed.
// 2. Full-graph inference latency: eager, TorchScript, frozen TorchScript.
//
//   build/bench/bench_gcn [--data-dir DIR]   (default: $XT_DATA_DIR, else ./data)

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <torch/script.h>
#include <torch/torch.h>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

namespace {

constexpr int kEpochs = 200;
constexpr int kRepeats = 3;

struct Run {
  double seconds = 0.0;
  double test_accuracy = 0.0;
};

Run train_cpp(const xt::data::Graph& graph, const torch::Tensor& x, const torch::Tensor& adj, std::uint64_t seed) {
  xt::set_seed(seed);
  xt::nn::GCN model(xt::nn::GCNConfig{graph.num_features(), 16, graph.num_classes(), 0.5, true});
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model->first_layer_parameters(),
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(0.01).weight_decay(5e-4)));
  groups.emplace_back(model->other_parameters(), std::make_unique<torch::optim::AdamOptions>(0.01));
  torch::optim::Adam optimizer(std::move(groups), torch::optim::AdamOptions(0.01));
  xt::train::TrainerOptions options;
  options.epochs = kEpochs;
  options.batch_size = graph.train_index.size(0);
  options.shuffle = false;
  options.progress = false;
  xt::train::Trainer trainer(
      *model, [&](const torch::Tensor& nodes) { return model->forward(x, adj).index_select(0, nodes); }, optimizer,
      [](const torch::Tensor& logits, const torch::Tensor& y) { return torch::cross_entropy_loss(logits, y); },
      options);
  trainer.add_callback(std::make_shared<xt::train::RestoreBestWeights>());
  const torch::Tensor& y = graph.labels;
  xt::Stopwatch clock;
  trainer.fit({graph.train_index, y.index_select(0, graph.train_index)},
              xt::train::TensorData{graph.val_index, y.index_select(0, graph.val_index)});
  Run run{clock.seconds(), 0.0};
  model->eval();
  torch::NoGradGuard no_grad;
  run.test_accuracy = xt::metrics::accuracy(model->forward(x, adj).index_select(0, graph.test_index),
                                            y.index_select(0, graph.test_index));
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data_flag = argc == 3 && std::string(argv[1]) == "--data-dir" ? argv[2] : "";
  const auto blas = xt::blas_info();
  const int threads = torch::get_num_threads();
  std::cout << "LibTorch " << TORCH_VERSION << ", " << threads << " intra-op thread(s); BLAS: " << blas.library
            << " (" << blas.threads << " thread(s))\n";
  const xt::TempDir scratch("xtorch-bench-gcn");  // removed on every exit path
  const fs::path& dir = scratch.path();
  try {
    const auto data = xt::data::load_citation_dataset(xt::data::resolve_data_dir(data_flag), "cora",
                                                      xt::data::GraphSplit::Planetoid);
    std::cout << data.source.description << "\n\n";
    const auto& graph = data.graph;
    const torch::Tensor x = xt::data::row_normalize(graph.features);
    const torch::Tensor adj = xt::data::normalized_adjacency(graph.edge_index, graph.num_nodes());

    // ---- 1. Training time, C++ vs Python -------------------------------------
    std::vector<double> cpp_seconds;
    double cpp_accuracy = 0.0;
    for (int r = 0; r < kRepeats; ++r) {
      const Run run = train_cpp(graph, x, adj, 1 + static_cast<std::uint64_t>(r));
      cpp_seconds.push_back(run.seconds);
      cpp_accuracy += run.test_accuracy / kRepeats;
    }
    std::sort(cpp_seconds.begin(), cpp_seconds.end());
    const double cpp = cpp_seconds[kRepeats / 2];

    const auto scalar = [](double v) { return torch::tensor(v, torch::kFloat64); };
    xt::save_tensors(dir / "inputs.pt", {{"features", x}, {"adjacency", adj}, {"labels", graph.labels},
                                         {"train_index", graph.train_index}, {"val_index", graph.val_index},
                                         {"test_index", graph.test_index}, {"hidden", scalar(16)},
                                         {"dropout", scalar(0.5)}, {"lr", scalar(0.01)},
                                         {"weight_decay", scalar(5e-4)}});
    // One OpenBLAS thread, as libxtorch sets it for the C++ side.
    const xt::ProcessResult python_run = xt::run_process(
        {"env", "OPENBLAS_NUM_THREADS=1", xt::python_interpreter().string(), XT_SOURCE_DIR "/bench/python/train_gcn.py",
         (dir / "inputs.pt").string(), "--epochs", std::to_string(kEpochs), "--repeats", std::to_string(kRepeats),
         "--threads", std::to_string(threads)});
    std::cout << "== GCN training, " << kEpochs << " epochs on " << graph.name << " (median of " << kRepeats
              << " runs, " << threads << " thread(s)) ==\n";
    xt::TextTable table({"implementation", "seconds", "ms/epoch", "test accuracy", "time vs C++"});
    table.add_row({"C++ (xt::nn::GCN + Trainer)", format_fixed(cpp, 3), format_fixed(cpp * 1e3 / kEpochs, 2),
                   format_fixed(100 * cpp_accuracy, 1) + "%", "1.00x"});
    try {
      const auto python = nlohmann::json::parse(python_run.out);
      const double seconds = python.at("seconds").get<double>();
      table.add_row({"Python (PyTorch " + python.at("torch").get<std::string>() + ")", format_fixed(seconds, 3),
                     format_fixed(seconds * 1e3 / kEpochs, 2),
                     format_fixed(100 * python.at("test_accuracy").get<double>(), 1) + "%",
                     format_fixed(seconds / cpp, 2) + "x"});
    } catch (const std::exception&) {
      const std::string why = python_run.err.substr(python_run.err.rfind('\n') + 1);
      table.add_row({"Python: not run (" + why + ")", "-", "-", "-", "-"});
    }
    table.print(std::cout);

    // ---- 2. Inference latency: eager vs TorchScript vs frozen -----------------
    xt::set_seed(1);
    xt::nn::GCN model(xt::nn::GCNConfig{graph.num_features(), 16, graph.num_classes(), 0.5, true});
    model->eval();
    xt::JitExportOptions options;
    options.verify_inputs = {x, adj};
    xt::export_to_jit(model, dir / "gcn.pt", options);
    options.freeze = true;
    xt::export_to_jit(model, dir / "gcn_frozen.pt", options);
    torch::jit::Module script = torch::jit::load((dir / "gcn.pt").string());
    torch::jit::Module frozen = torch::jit::load((dir / "gcn_frozen.pt").string());
    torch::NoGradGuard no_grad;
    xt::metrics::LatencyOptions latency_options;
    latency_options.min_seconds = 2.0;
    const auto eager = xt::metrics::measure_latency([&] { model->forward(x, adj); }, latency_options);
    const auto scripted = xt::metrics::measure_latency([&] { script.forward({x, adj}); }, latency_options);
    const auto frozen_latency = xt::metrics::measure_latency([&] { frozen.forward({x, adj}); }, latency_options);
    std::cout << "\n== GCN inference over the whole graph (" << graph.num_nodes() << " nodes) ==\n";
    xt::TextTable latency({"model", "median ms", "p95 ms", "runs", "median vs eager"});
    for (const auto& [name, stats] : {std::pair{"C++ eager", eager}, std::pair{"TorchScript", scripted},
                                      std::pair{"TorchScript, frozen", frozen_latency}}) {
      latency.add_row({name, format_fixed(stats.median_ms, 3), format_fixed(stats.p95_ms, 3),
                       std::to_string(stats.runs), format_fixed(stats.median_ms / eager.median_ms, 2) + "x"});
    }
    latency.print(std::cout);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

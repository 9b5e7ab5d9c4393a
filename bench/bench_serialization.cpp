// Benchmarks for save_model / load_model and for the loaded model's speed.
//
// 1. Throughput of save_model and load_model for LSTM models of about 1, 10
//    and 100 MB, next to a plain file copy (and read) of the same bytes with
//    the same durability (fsync). The ratio is the price of the archive,
//    manifest and checksum.
// 2. Inference latency of the eager LSTMForecaster vs the loaded TorchScript
//    module at batch 1 and 64 (median of repeated runs).
//
// Everything is measured side by side in one run; numbers depend on the
// machine, ratios much less so.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <torch/torch.h>

#include "bench_util.h"
#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::bench::copy_with_fsync;
using xt::bench::median_seconds;

namespace {

// Hidden size giving about `megabytes` of float32 weights with 30 inputs and
// 2 layers: 4H(30 + H) + 8H^2 (+ small biases) floats.
std::int64_t hidden_for(double megabytes) {
  const double floats = megabytes * 1e6 / 4.0;
  return static_cast<std::int64_t>((-120.0 + std::sqrt(120.0 * 120.0 + 48.0 * floats)) / 24.0);
}

void bench_throughput(const fs::path& dir) {
  std::cout << "== save_model / load_model throughput vs a plain copy of the same bytes (median) ==\n";
  xt::TextTable table({"model", "file", "save_model", "plain copy", "save/copy", "load_model", "plain read",
                       "load/read", "SHA-256 alone", "jit save alone"});
  for (const double megabytes : {1.0, 10.0, 100.0}) {
    const int repeats = megabytes >= 100 ? 3 : 7;
    torch::manual_seed(0);
    xt::nn::LSTMForecaster model(xt::nn::LSTMForecasterConfig{30, hidden_for(megabytes), 2, 0.0, 1});
    const fs::path path = dir / "model.pt";
    const double save = median_seconds(repeats, [&] { xt::save_model(model, path); });
    const auto bytes = fs::file_size(path);
    const double copy = median_seconds(repeats, [&] { copy_with_fsync(path, dir / "copy.bin"); });
    const double load = median_seconds(repeats, [&] { xt::load_model(path); });
    const double read = median_seconds(repeats, [&] { xt::read_file(dir / "copy.bin"); });
    const double hash = median_seconds(repeats, [&] { xt::weights_sha256(*model); });
    const torch::jit::Module script = xt::to_torchscript(*model);
    const double jit_save = median_seconds(repeats, [&] { script.save((dir / "plain.pt").string()); });
    const auto rate = [&](double seconds) {
      return xt::format_fixed(static_cast<double>(bytes) / 1e6 / seconds, 0) + " MB/s";
    };
    table.add_row({"LSTM hidden " + std::to_string(model->options().hidden_size), xt::format_bytes(bytes), rate(save),
                   rate(copy), xt::format_fixed(save / copy, 2) + "x", rate(load), rate(read),
                   xt::format_fixed(load / read, 2) + "x", rate(hash), rate(jit_save)});
  }
  table.print(std::cout);
  std::cout << "(save_model includes scripting, checksum, fsync and rename; load_model includes the checksum)\n\n";
}

void bench_latency(const fs::path& dir) {
  std::cout << "== LSTM inference latency: eager C++ module vs loaded TorchScript (median) ==\n";
  torch::manual_seed(0);
  xt::nn::LSTMForecaster model(xt::nn::LSTMForecasterConfig{30, 64, 2, 0.1, 1});  // example 1's model
  model->eval();
  xt::save_model(model, dir / "lstm.pt");
  xt::LoadedModel loaded = xt::load_model(dir / "lstm.pt");
  torch::NoGradGuard no_grad;
  xt::TextTable table({"batch", "eager", "TorchScript", "TorchScript/eager"});
  for (const std::int64_t batch : {1, 64}) {
    const torch::Tensor x = torch::randn({batch, 36, 30});
    const int repeats = batch == 1 ? 300 : 60;
    for (int i = 0; i < 10; ++i) {  // warm-up (TorchScript profiles and optimizes its first runs)
      model->forward(x);
      loaded.module.forward({x});
    }
    const double eager = median_seconds(repeats, [&] { model->forward(x); });
    const double script = median_seconds(repeats, [&] { loaded.module.forward({x}); });
    table.add_row({std::to_string(batch), xt::format_fixed(eager * 1e3, 3) + " ms",
                   xt::format_fixed(script * 1e3, 3) + " ms", xt::format_fixed(script / eager, 2) + "x"});
  }
  table.print(std::cout);
}

}  // namespace

int main() {
  const auto blas = xt::blas_info();
  std::cout << "LibTorch " << TORCH_VERSION << ", " << torch::get_num_threads() << " intra-op thread(s); BLAS: "
            << blas.library << " (" << blas.threads << " thread(s))\n\n";
  const xt::TempDir scratch("xtorch-bench");  // removed on every exit path
  const fs::path& dir = scratch.path();
  try {
    bench_throughput(dir);
    bench_latency(dir);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

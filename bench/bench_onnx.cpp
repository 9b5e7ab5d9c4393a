// Per-beat inference latency of the ECG LSTM autoencoder (example 3's model:
// hidden 64, 140-sample beats) at batch 1 and 256, side by side:
//   LibTorch eager (C++), TorchScript (export_to_jit, torch::jit::load), and
//   ONNX Runtime (export_to_onnx, onnxruntime-node, timed inside Node so the
//   process start is not counted).
// One intra-op thread everywhere. Median of repeated runs.
//
//   build/bench/bench_onnx

#include <filesystem>
#include <iostream>

#include <torch/script.h>
#include <torch/torch.h>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

int main() {
  if (const std::string why = xt::onnxruntime_unavailable_reason(); !why.empty()) {
    std::cerr << "bench_onnx needs ONNX Runtime: " << why << "\n";
    return 1;
  }
  torch::set_num_threads(1);
  std::cout << "LibTorch " << TORCH_VERSION << ", 1 intra-op thread; BLAS: " << xt::blas_info().library << "\n";
  const xt::TempDir scratch("xtorch-bench-onnx");  // removed on every exit path
  const fs::path& dir = scratch.path();
  try {
    torch::manual_seed(0);
    xt::nn::LSTMAutoencoder model(xt::nn::LSTMAutoencoderConfig{1, 64, 1, 0.0});
    model->eval();
    xt::export_to_jit(model, dir / "ae.pt");
    const auto onnx = xt::export_to_onnx(model, dir / "ae.onnx");
    torch::jit::Module script = torch::jit::load((dir / "ae.pt").string());
    std::cout << "model: LSTMAutoencoder hidden 64, " << xt::format_bytes(onnx.file_bytes) << " ONNX\n\n";

    xt::TextTable table({"batch", "runtime", "median ms/batch", "ms/beat", "p95 ms/batch", "vs eager"});
    torch::NoGradGuard no_grad;
    for (const std::int64_t batch : {1, 256}) {
      const torch::Tensor x = torch::randn({batch, 140, 1});
      xt::metrics::LatencyOptions options;
      options.min_seconds = 1.5;
      options.min_runs = batch == 1 ? 200 : 20;
      const auto eager = xt::metrics::measure_latency([&] { model->forward(x); }, options);
      const auto scripted = xt::metrics::measure_latency([&] { script.forward({x}); }, options);
      const auto ort = xt::run_onnxruntime(dir / "ae.onnx", {{"x", x}}, {5, options.min_runs, 1}).latency;
      for (const auto& [name, stats] : {std::pair{"LibTorch eager", eager}, std::pair{"TorchScript", scripted},
                                        std::pair{"ONNX Runtime (Node)", ort}}) {
        table.add_row({std::to_string(batch), name, format_fixed(stats.median_ms, 3),
                       format_fixed(stats.median_ms / static_cast<double>(batch), 4), format_fixed(stats.p95_ms, 3),
                       format_fixed(stats.median_ms / eager.median_ms, 2) + "x"});
      }
    }
    table.print(std::cout);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

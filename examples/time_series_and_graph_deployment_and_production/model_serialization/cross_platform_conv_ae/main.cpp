// Example 7: one model, four runtimes, the same numbers.
//
// We train a 1-D convolutional autoencoder to denoise windows of a house's
// temperature and humidity sensors (UCI Appliances Energy), export the same
// trained model twice, with xt::export_to_jit (TorchScript) and
// xt::export_to_onnx (ONNX), and run one fixed test batch through C++ eager,
// C++ torch::jit::load, Python torch.jit.load and ONNX Runtime (Node.js).
// The program fails (exit code 1) if any runtime is more than 1e-5 away from
// C++ eager, so it can gate CI: `ctest -L parity`.
//
//   ./cross_platform_conv_ae --data-dir ../shared/data --out-dir out/cross_platform_conv_ae

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
  CLI::App app{"Denoise sensor windows with a conv autoencoder; check it gives the same outputs in four runtimes."};
  std::string data_dir;
  fs::path out_dir = "out/cross_platform_conv_ae";
  int epochs = 40;
  std::int64_t window = 64, batch_size = 32;
  double learning_rate = 2e-3, tolerance = 1e-5;
  xt::data::NoiseSpec noise;
  std::uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--out-dir", out_dir, "Where the model files, plot and results.json go");
  app.add_option("--epochs", epochs, "Maximum training epochs (early stopping may end sooner)");
  app.add_option("--window", window, "Window length in 10-minute steps (a multiple of 4)");
  app.add_option("--batch-size", batch_size, "Training batch size");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--noise-std", noise.gaussian_std, "Standard deviation of the Gaussian noise (standardized units)");
  app.add_option("--tolerance", tolerance, "Max abs difference to C++ eager allowed for every runtime");
  app.add_option("--seed", seed, "Seed for noise, initialization and batch order");
  CLI11_PARSE(app, argc, argv);
  // Two stride-2 levels halve the time axis twice, and the decoder doubles it back.
  if (window < 4 || window % 4 != 0) {
    std::cerr << "error: --window must be a positive multiple of 4 (the autoencoder halves the time axis twice), got "
              << window << "\n";
    return 1;
  }

  try {
    xt::set_seed(seed);
    xt::Stopwatch total_time;

    // ---- 2. Data: clean windows and their corrupted copies ------------------
    const auto data = xt::data::load_appliances_energy(xt::data::resolve_data_dir(data_dir),
                                                       xt::data::Fallback::Synthetic, seed);
    std::cout << data.source.description << "\n";
    const std::vector<std::string> channels = {"T1", "T2", "T3", "T_out", "RH_1", "RH_2", "RH_3", "RH_out"};
    const torch::Tensor raw = data.table.to_tensor(channels);  // [rows, 8]
    const auto split = xt::data::chronological_split(data.table.rows(), 0.70, 0.15);
    xt::data::Scaler scaler = xt::data::Scaler::standard();
    scaler.fit(raw.slice(0, split.train.begin, split.train.end));
    const torch::Tensor series = scaler.transform(raw);
    // Windows as [N, channels, time], the layout Conv1d wants. Overlapping
    // (stride window/4) for more training examples.
    const auto windows_in = [&](xt::data::RowRange rows, std::uint64_t noise_seed) {
      const auto w = xt::data::make_windows(series, series.select(1, 0), {window, 1, window / 4}, rows);
      const torch::Tensor clean = w.inputs.permute({0, 2, 1}).contiguous();
      return std::pair{clean, xt::data::corrupt(clean, noise, noise_seed)};
    };
    const auto [train_clean, train_noisy] = windows_in(split.train, seed);
    const auto [val_clean, val_noisy] = windows_in(split.val, seed + 1000);
    const auto [test_clean, test_noisy] = windows_in(split.test, seed + 2000);
    std::cout << "windows of " << window << " steps x " << channels.size() << " sensors: train "
              << train_clean.size(0) << ", val " << val_clean.size(0) << ", test " << test_clean.size(0) << "\n";

    // ---- 3. Model and training: noisy in, clean out ---------------------------
    xt::nn::ConvAutoencoderConfig config;
    config.channels = static_cast<std::int64_t>(channels.size());
    xt::nn::ConvAutoencoder model(config);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(learning_rate));
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.seed = seed;
    xt::train::Trainer trainer(
        *model, [&](const torch::Tensor& x) { return model->forward(x); }, optimizer,
        [](const torch::Tensor& denoised, const torch::Tensor& clean) { return torch::mse_loss(denoised, clean); },
        options);
    trainer.add_callback(std::make_shared<xt::train::EarlyStopping>(/*patience=*/6))
        .add_callback(std::make_shared<xt::train::RestoreBestWeights>());
    const auto history = trainer.fit({train_noisy, train_clean}, xt::train::TensorData{val_noisy, val_clean});
    std::cout << "trained " << history.epochs.size() << " epochs in " << xt::format_duration(total_time.seconds())
              << "; best validation MSE " << format_fixed(history.best_val_loss, 4) << " at epoch "
              << history.best_epoch << "\n";

    // ---- 4. Export the same model twice ----------------------------------------
    // Both exports reload what they wrote and compare it with the eager model
    // before replacing anything.
    const fs::path script_path = out_dir / "conv_ae.pt";
    const fs::path onnx_path = out_dir / "conv_ae.onnx";
    xt::JitExportOptions jit_options;
    jit_options.verify_inputs = {test_noisy.slice(0, 0, 16)};
    xt::export_to_jit(model, script_path, jit_options);
    xt::OnnxExportOptions onnx_options;
    onnx_options.verify_inputs = {test_noisy.slice(0, 0, 16)};
    xt::export_to_onnx(model, onnx_path, onnx_options);
    std::cout << "exported " << script_path.string() << " (" << xt::format_bytes(fs::file_size(script_path))
              << ") and " << onnx_path.string() << " (" << xt::format_bytes(fs::file_size(onnx_path)) << ")\n";

    // ---- 5. One fixed test batch through every runtime ---------------------------
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor& batch = test_noisy;
    const double windows = static_cast<double>(batch.size(0));
    const torch::Tensor eager = model->forward(batch);
    torch::jit::Module scripted = torch::jit::load(script_path.string());  // no ConvAutoencoder class needed
    const torch::Tensor cpp_jit = scripted.forward({batch}).toTensor();
    const auto python = xt::run_torchscript_in_python(script_path, {batch});
    const auto ort = xt::run_onnxruntime(onnx_path, {{"x", batch}}, {3, 20, 1});

    struct Row {
      std::string runtime;
      torch::Tensor output;
      xt::metrics::LatencyStats latency;
    };
    const std::vector<Row> rows = {
        {"C++ eager (LibTorch)", eager, xt::metrics::measure_latency([&] { model->forward(batch); })},
        {"C++ torch::jit::load", cpp_jit, xt::metrics::measure_latency([&] { scripted.forward({batch}); })},
        {"Python torch.jit.load (PyTorch " + python.torch_version + ")", python.output, python.latency},
        {"ONNX Runtime " + ort.version + " (Node.js)", ort.outputs.at("reconstruction"), ort.latency}};

    const double noisy_mse = torch::mse_loss(batch, test_clean).item<double>();
    xt::TextTable table({"runtime", "max abs diff to C++ eager", "denoised MSE", "ms per window"});
    nlohmann::json runtimes = nlohmann::json::array();
    bool all_within = true;
    for (const auto& row : rows) {
      const double diff = xt::max_abs_diff(row.output, eager);
      const double mse = torch::mse_loss(row.output, test_clean).item<double>();
      all_within = all_within && diff <= tolerance;
      table.add_row({row.runtime, xt::format_fixed(diff, 9), format_fixed(mse, 5),
                     format_fixed(row.latency.median_ms / windows, 4)});
      runtimes.push_back({{"runtime", row.runtime}, {"max_abs_diff", diff}, {"denoised_mse", mse},
                          {"ms_per_window", row.latency.median_ms / windows}});
    }
    const double denoised_mse = torch::mse_loss(eager, test_clean).item<double>();

    // ---- 6. Plot: clean, noisy and denoised -------------------------------------
    std::vector<double> steps;
    for (std::int64_t t = 0; t < window; ++t) steps.push_back(static_cast<double>(t));
    const auto series_of = [](const torch::Tensor& t) {
      const torch::Tensor d = t.to(torch::kFloat64).contiguous();
      return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    };
    std::vector<xt::LinePlot> plots;
    for (const std::int64_t i : {std::int64_t{0}, batch.size(0) / 2, batch.size(0) - 1}) {
      for (const std::int64_t c : {std::int64_t{0}, std::int64_t{4}}) {  // T1 and RH_1
        plots.push_back(xt::LinePlot("test window " + std::to_string(i) + ", " + channels[c], "10-min step", "std")
                            .add("noisy", steps, series_of(batch[i][c]), {180, 180, 180})
                            .add("clean", steps, series_of(test_clean[i][c]), {40, 40, 40})
                            .add("denoised", steps, series_of(eager[i][c]), {214, 39, 40}));
      }
    }
    const fs::path plot_path = out_dir / "denoising.png";
    xt::save_png_grid(plots, plot_path, 2, 620, 300);

    // ---- 7. Results -------------------------------------------------------------
    xt::write_json(out_dir / "results.json",
                   {{"example", "cross_platform_conv_ae"},
                    {"data", {{"synthetic", data.source.synthetic}, {"channels", channels}, {"window", window}}},
                    {"seed", seed},
                    {"model", config.to_json()},
                    {"training", history.to_json()},
                    {"metrics", {{"noisy_mse", noisy_mse}, {"denoised_mse", denoised_mse},
                                 {"denoised_to_noisy", denoised_mse / noisy_mse}, {"tolerance", tolerance},
                                 {"all_runtimes_within_tolerance", all_within}}},
                    {"runtimes", runtimes},
                    {"files", {{"torchscript", script_path.string()}, {"onnx", onnx_path.string()},
                               {"plot", plot_path.string()}}},
                    {"seconds", total_time.seconds()}});

    std::cout << "\n== cross_platform_conv_ae results (" << (data.source.synthetic ? "SYNTHETIC data" : "UCI Appliances")
              << ", seed " << seed << ", one batch of " << batch.size(0) << " test windows) ==\n";
    table.print(std::cout);
    std::cout << "noisy input MSE " << format_fixed(noisy_mse, 5) << " -> denoised " << format_fixed(denoised_mse, 5)
              << " (" << format_fixed(100.0 * denoised_mse / noisy_mse, 1) << "% of the noise)\n"
              << "every runtime within " << tolerance << " of C++ eager: " << (all_within ? "yes" : "NO") << "\n"
              << "files: " << script_path.string() << ", " << onnx_path.string() << ", " << plot_path.string() << ", "
              << (out_dir / "results.json").string() << "\n";
    return all_within ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

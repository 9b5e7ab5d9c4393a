// Example 5: a small 1D CNN for activity recognition, packaged for phones.
//
// We train a CNN on 2.56-second windows of a waist-worn phone's accelerometer
// (UCI HAPT) to tell six activities apart, test it on people it never saw,
// and export it with xt::export_to_mobile to a PyTorch Mobile lite-interpreter
// file (.ptl): frozen, optimized for mobile (batch norm folded into the
// convolutions, XNNPACK kernels), with the per-channel normalization in its
// manifest. Then we load the .ptl with the lite interpreter, exactly as an
// Android or iOS app would, and compare predictions and latency.
//
//   ./mobile_cnn --data-dir ../shared/data --out-dir out/mobile_cnn

#include <CLI/CLI.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

namespace {

// [N, channels, time] -> per-channel standardized, with a scaler fitted on
// rows of channels.
torch::Tensor normalize(const xt::data::Scaler& scaler, const torch::Tensor& windows) {
  const torch::Tensor rows = windows.permute({0, 2, 1}).reshape({-1, windows.size(1)});
  return scaler.transform(rows).reshape({windows.size(0), windows.size(2), windows.size(1)}).permute({0, 2, 1})
      .contiguous();
}

std::vector<std::vector<std::int64_t>> to_rows(const torch::Tensor& matrix) {
  std::vector<std::vector<std::int64_t>> rows;
  for (std::int64_t r = 0; r < matrix.size(0); ++r) {
    const torch::Tensor row = matrix[r].contiguous();
    rows.emplace_back(row.data_ptr<std::int64_t>(), row.data_ptr<std::int64_t>() + row.numel());
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  // ---- 1. Options ---------------------------------------------------------
  CLI::App app{"Train a 1D CNN on accelerometer windows, export it for PyTorch Mobile, run it in the lite interpreter."};
  std::string data_dir;
  fs::path out_dir = "out/mobile_cnn";
  int epochs = 30;
  std::int64_t batch_size = 64;
  double learning_rate = 2e-3, test_fraction = 0.3;
  std::uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--out-dir", out_dir, "Where the .ptl, .pt, plot and results.json go");
  app.add_option("--epochs", epochs, "Training epochs");
  app.add_option("--batch-size", batch_size, "Training batch size");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--test-fraction", test_fraction, "Share of the subjects held out for testing");
  app.add_option("--seed", seed, "Seed for the subject split, initialization and batch order");
  CLI11_PARSE(app, argc, argv);

  try {
    xt::set_seed(seed);
    xt::Stopwatch total_time;

    // ---- 2. Data: windows of six activities, split by person -----------------
    // 128 samples (2.56 s at 50 Hz) every 64: the classic HAR windowing.
    // Transitions (stand-to-sit, ...) are dropped. Nobody is in both train
    // and test, so the accuracy is that of a new user's phone.
    const auto data = xt::data::load_hapt(xt::data::resolve_data_dir(data_dir), xt::data::Fallback::Synthetic, seed);
    std::cout << data.source.description << "\n";
    const std::vector<std::int64_t> activities = {1, 2, 3, 4, 5, 6};
    const std::vector<std::string> class_names(data.activity_names.begin(), data.activity_names.begin() + 6);
    const auto windows = xt::data::make_activity_windows(data, /*length=*/128, /*step=*/64, activities);
    const auto split = xt::data::split_by_subject(windows.subjects, test_fraction, seed);
    const torch::Tensor train_raw = windows.inputs.index_select(0, split.train);
    const torch::Tensor test_raw = windows.inputs.index_select(0, split.test);
    const torch::Tensor train_labels = windows.labels.index_select(0, split.train);
    const torch::Tensor test_labels = windows.labels.index_select(0, split.test);
    std::cout << "windows: train " << train_raw.size(0) << " (" << split.train_subjects.size() << " subjects), test "
              << test_raw.size(0) << " (subjects " << nlohmann::json(split.test_subjects).dump() << ")\n";

    // Per-channel normalization from the training windows only; it travels
    // in the model's manifest, so the app applies exactly the same.
    xt::data::Scaler scaler = xt::data::Scaler::standard();
    scaler.fit(train_raw.permute({0, 2, 1}).reshape({-1, train_raw.size(1)}));
    const torch::Tensor train_x = normalize(scaler, train_raw);
    const torch::Tensor test_x = normalize(scaler, test_raw);

    // ---- 3. Model and training --------------------------------------------
    xt::nn::CNN1dConfig config;
    config.in_channels = train_x.size(1);
    config.num_classes = static_cast<std::int64_t>(activities.size());
    xt::nn::CNN1d model(config);
    std::cout << "CNN1d: " << model->parameter_count() << " parameters\n";
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(learning_rate).weight_decay(1e-4));
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.seed = seed;
    xt::train::Trainer trainer(
        *model, [&](const torch::Tensor& x) { return model->forward(x); }, optimizer,
        [](const torch::Tensor& logits, const torch::Tensor& y) { return torch::cross_entropy_loss(logits, y); },
        options);
    // A fixed number of epochs: no validation subjects to spare, and the test
    // subjects must not choose the model.
    const auto history = trainer.fit({train_x, train_labels});
    std::cout << "trained " << history.epochs.size() << " epochs in " << xt::format_duration(total_time.seconds())
              << ", final training loss " << format_fixed(history.epochs.back().train_loss, 4) << "\n";

    // ---- 4. Evaluate the eager model on the held-out subjects -------------------
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor eager_classes = xt::metrics::predicted_classes(model->forward(test_x));
    const torch::Tensor confusion = xt::metrics::confusion_matrix(eager_classes, test_labels, config.num_classes);
    const double accuracy = xt::metrics::accuracy(eager_classes, test_labels);
    const double macro_f1 = xt::metrics::macro_f1(confusion);

    // ---- 5. Export: TorchScript (.pt) and the lite interpreter (.ptl) ------------
    const fs::path pt_path = out_dir / "har_cnn.pt";
    const fs::path ptl_path = out_dir / "har_cnn.ptl";
    xt::JitExportOptions jit_options;
    jit_options.verify_inputs = {test_x.slice(0, 0, 32)};
    xt::export_to_jit(model, pt_path, jit_options);
    xt::MobileExportOptions mobile_options;
    mobile_options.verify_inputs = {test_x.slice(0, 0, 32)};
    mobile_options.preprocessing = {{"channel_scaler", scaler.to_json()},
                                    {"window_samples", 128},
                                    {"sampling_hz", data.sampling_hz},
                                    {"channels", {"acc_x", "acc_y", "acc_z"}},
                                    {"units", "g"},
                                    {"classes", class_names}};
    mobile_options.metrics = {{"test_accuracy", accuracy}, {"test_macro_f1", macro_f1}};
    const xt::MobileExport mobile = xt::export_to_mobile(model, ptl_path, mobile_options);
    std::cout << "exported " << pt_path.string() << " (" << xt::format_bytes(fs::file_size(pt_path)) << ") and "
              << ptl_path.string() << " (" << xt::format_bytes(mobile.file_bytes) << "), lite vs eager max abs diff "
              << mobile.max_abs_diff << "\n";
    std::cout << "operators in forward, TorchScript as exported -> .ptl (frozen, optimizeForMobile):\n";
    std::map<std::string, std::pair<int, int>> ops;
    for (const auto& [op, n] : mobile.ops_before) ops[op].first = n;
    for (const auto& [op, n] : mobile.ops_after) ops[op].second = n;
    for (const auto& [op, n] : ops) std::cout << "  " << op << ": " << n.first << " -> " << n.second << "\n";

    // ---- 6. Load the .ptl like an app: lite interpreter + manifest -------------
    // Raw accelerometer windows in, normalization from the manifest.
    xt::MobileModel lite = xt::load_mobile(ptl_path);
    const auto app_scaler = xt::data::Scaler::from_json(lite.manifest.preprocessing.at("channel_scaler"));
    const torch::Tensor lite_classes =
        xt::metrics::predicted_classes(lite.forward({normalize(app_scaler, test_raw)}));
    const double lite_accuracy = xt::metrics::accuracy(lite_classes, test_labels);
    const bool identical = lite_classes.equal(eager_classes);

    // ---- 7. Latency per prediction: batch 1, one thread --------------------------
    torch::set_num_threads(1);
    const torch::Tensor one = test_x.slice(0, 0, 1);
    torch::jit::Module scripted = torch::jit::load(pt_path.string());
    xt::metrics::LatencyOptions latency_options;
    latency_options.min_runs = 300;
    const auto eager_latency = xt::metrics::measure_latency([&] { model->forward(one); }, latency_options);
    const auto script_latency = xt::metrics::measure_latency([&] { scripted.forward({one}); }, latency_options);
    const auto lite_latency = xt::metrics::measure_latency([&] { lite.module.forward({one}); }, latency_options);

    // ---- 8. Confusion matrix and results ------------------------------------------
    const fs::path plot_path = out_dir / "confusion_matrix.png";
    xt::save_confusion_matrix_png(to_rows(confusion), class_names,
                                  "held-out subjects: accuracy " + format_fixed(100 * accuracy, 1) + "%, macro-F1 " +
                                      format_fixed(macro_f1, 3),
                                  plot_path);
    xt::write_json(out_dir / "results.json",
                   {{"example", "mobile_cnn"},
                    {"data", {{"synthetic", data.source.synthetic}, {"test_subjects", split.test_subjects},
                              {"train_windows", train_raw.size(0)}, {"test_windows", test_raw.size(0)}}},
                    {"seed", seed},
                    {"model", config.to_json()},
                    {"training", history.to_json()},
                    {"metrics", {{"test_accuracy", accuracy}, {"test_macro_f1", macro_f1},
                                 {"lite_test_accuracy", lite_accuracy}, {"identical_predictions", identical},
                                 {"lite_max_abs_diff", mobile.max_abs_diff},
                                 {"pt_bytes", fs::file_size(pt_path)}, {"ptl_bytes", mobile.file_bytes},
                                 {"latency_eager", eager_latency.to_json()},
                                 {"latency_torchscript", script_latency.to_json()},
                                 {"latency_lite", lite_latency.to_json()},
                                 {"lite_vs_eager_median", lite_latency.median_ms / eager_latency.median_ms}}},
                    {"files", {{"ptl", ptl_path.string()}, {"pt", pt_path.string()}, {"plot", plot_path.string()}}},
                    {"seconds", total_time.seconds()}});

    std::cout << "\n== mobile_cnn results (" << (data.source.synthetic ? "SYNTHETIC data" : "UCI HAPT") << ", seed "
              << seed << ", " << test_raw.size(0) << " test windows) ==\n";
    xt::TextTable table({"runtime", "test accuracy", "file", "batch-1 median ms", "p95 ms"});
    table.add_row({"C++ eager", format_fixed(100 * accuracy, 1) + "%", "-", format_fixed(eager_latency.median_ms, 3),
                   format_fixed(eager_latency.p95_ms, 3)})
        .add_row({"TorchScript (.pt)", "-", xt::format_bytes(fs::file_size(pt_path)),
                  format_fixed(script_latency.median_ms, 3), format_fixed(script_latency.p95_ms, 3)})
        .add_row({"lite interpreter (.ptl)", format_fixed(100 * lite_accuracy, 1) + "%",
                  xt::format_bytes(mobile.file_bytes), format_fixed(lite_latency.median_ms, 3),
                  format_fixed(lite_latency.p95_ms, 3)})
        .print(std::cout);
    std::cout << "macro-F1 " << format_fixed(macro_f1, 3) << "; identical predictions eager vs .ptl: "
              << (identical ? "yes" : "NO") << "\n"
              << "files: " << ptl_path.string() << ", " << pt_path.string() << ", " << plot_path.string() << ", "
              << (out_dir / "results.json").string() << "\n";
    return identical ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

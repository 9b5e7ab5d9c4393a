// Example 3: export an LSTM ECG anomaly detector to ONNX, run it in ONNX Runtime.
//
// We train an LSTM autoencoder on normal heartbeats only (ECG5000, or MIT-BIH
// record 100). It learns to reconstruct normal beats; anomalous beats come
// out worse, so the reconstruction error is the anomaly score. Then we export
// it from C++ to ONNX with xt::export_to_onnx, run the test beats through ONNX
// Runtime (Node.js) and check that both runtimes rank the beats the same way.
//
//   ./onnx_lstm_ecg --data-dir ../shared/data --out-dir out/onnx_lstm_ecg
//   node tools/onnxruntime/run.js out/onnx_lstm_ecg/lstm_autoencoder.onnx --input x=beats.npy

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

namespace {

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kFloat64).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

}  // namespace

int main(int argc, char** argv) {
  // ---- 1. Options ---------------------------------------------------------
  CLI::App app{"Train an LSTM autoencoder on normal heartbeats, export it to ONNX, score beats in ONNX Runtime."};
  std::string data_dir, dataset = "ecg5000";
  fs::path out_dir = "out/onnx_lstm_ecg";
  int epochs = 150, patience = 20;
  std::int64_t hidden = 64, batch_size = 16;
  double learning_rate = 2e-3;
  std::uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--dataset", dataset, "ecg5000 or mitbih (record 100)")
      ->check(CLI::IsMember({"ecg5000", "mitbih"}));
  app.add_option("--out-dir", out_dir, "Where the ONNX file, plot and results.json go");
  app.add_option("--epochs", epochs, "Maximum training epochs");
  app.add_option("--patience", patience, "Stop after this many epochs without a better validation loss");
  app.add_option("--hidden", hidden, "LSTM hidden size (the size of the code)");
  app.add_option("--batch-size", batch_size, "Training batch size");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--seed", seed, "Seed for the split, initialization and batch order");
  CLI11_PARSE(app, argc, argv);

  try {
    xt::set_seed(seed);
    xt::Stopwatch total_time;

    // ---- 2. Data ----------------------------------------------------------
    // Each beat is one z-normalized sequence. Train on normal beats only;
    // validation (normal + anomalous) picks the threshold; test reports.
    const fs::path root = xt::data::resolve_data_dir(data_dir);
    // MIT-BIH's anomalous beats in record 100 are mostly atrial premature
    // beats: normal in shape, early in time. A window reaching back 0.9 s
    // holds the previous beat too, so "early" becomes visible.
    const xt::data::BeatWindow mitbih_window{0.9, 0.5, 4};
    const auto data = dataset == "ecg5000"
                          ? xt::data::load_ecg5000(root, xt::data::Fallback::Synthetic, seed)
                          : xt::data::load_mitbih_record(root, "100", mitbih_window, xt::data::Fallback::Synthetic, seed);
    std::cout << data.source.description << "\n";
    const auto split = xt::data::anomaly_split(data.anomalous, seed, /*train_normal_fraction=*/0.6);
    const torch::Tensor beats = data.beats.unsqueeze(2);  // [N, time, 1]
    const auto part = [&](const torch::Tensor& index) { return beats.index_select(0, index); };
    const torch::Tensor val_labels = data.anomalous.index_select(0, split.val);
    const torch::Tensor test_labels = data.anomalous.index_select(0, split.test);
    const torch::Tensor val_normal = split.val.masked_select(~val_labels);
    std::cout << "beats of " << beats.size(1) << " samples: train " << split.train.size(0) << " (normal), val "
              << split.val.size(0) << " (" << val_labels.sum().item<std::int64_t>() << " anomalous), test "
              << split.test.size(0) << " (" << test_labels.sum().item<std::int64_t>() << " anomalous)\n";

    // ---- 3. Model and training --------------------------------------------
    // The target is the input itself. Early stopping watches the loss on the
    // normal validation beats: that is what the model should reconstruct.
    xt::nn::LSTMAutoencoderConfig config;
    config.hidden_size = hidden;
    xt::nn::LSTMAutoencoder model(config);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(learning_rate));
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.grad_clip_norm = 1.0;
    options.seed = seed;
    xt::train::Trainer trainer(
        *model, [&](const torch::Tensor& x) { return model->forward(x); }, optimizer,
        [](const torch::Tensor& reconstruction, const torch::Tensor& x) { return torch::mse_loss(reconstruction, x); },
        options);
    trainer.add_callback(std::make_shared<xt::train::EarlyStopping>(patience))
        .add_callback(std::make_shared<xt::train::RestoreBestWeights>());
    const auto history = trainer.fit({part(split.train), part(split.train)},
                                     xt::train::TensorData{part(val_normal), part(val_normal)});
    std::cout << "trained " << history.epochs.size() << " epochs in " << xt::format_duration(total_time.seconds())
              << "; best validation loss " << format_fixed(history.best_val_loss, 4) << " at epoch "
              << history.best_epoch << "\n";

    // ---- 4. Scores, threshold and test metrics in LibTorch --------------------
    model->eval();
    torch::NoGradGuard no_grad;
    const auto score = [](const torch::Tensor& reconstruction, const torch::Tensor& x) {
      return (reconstruction - x).pow(2).mean({1, 2});  // per-beat MSE
    };
    const torch::Tensor test_beats = part(split.test);
    const torch::Tensor test_reconstruction = model->forward(test_beats);
    const torch::Tensor test_scores = score(test_reconstruction, test_beats);
    const double threshold =
        xt::metrics::best_f1_threshold(score(model->forward(part(split.val)), part(split.val)), val_labels);
    const double auc = xt::metrics::roc_auc(test_scores, test_labels);
    const double ap = xt::metrics::average_precision(test_scores, test_labels);
    const auto counts = xt::metrics::counts_at(test_scores, test_labels, threshold);

    // ---- 5. Export to ONNX ------------------------------------------------------
    // The graph is built from the model's own layers (LSTM gates reordered to
    // ONNX's i,o,f,c), checked by onnx::checker, and run once in ONNX Runtime
    // against the eager model before the file is written.
    const fs::path onnx_path = out_dir / "lstm_autoencoder.onnx";
    xt::OnnxExportOptions export_options;
    export_options.verify_inputs = {test_beats.slice(0, 0, 32)};
    const xt::OnnxExport exported = xt::export_to_onnx(model, onnx_path, export_options);
    std::cout << "exported " << onnx_path.string() << " (" << xt::format_bytes(exported.file_bytes)
              << ", opset 17), verified in ONNX Runtime: max abs diff " << exported.max_abs_diff << "\n";

    // ---- 6. Score the test beats in ONNX Runtime --------------------------------
    // A different runtime, a different process: only the .onnx file is shared.
    const auto ort = xt::run_onnxruntime(onnx_path, {{"x", test_beats}});
    const torch::Tensor ort_reconstruction = ort.outputs.at("reconstruction");
    const torch::Tensor ort_scores = score(ort_reconstruction, test_beats);
    const double ort_auc = xt::metrics::roc_auc(ort_scores, test_labels);
    const double output_diff = xt::max_abs_diff(test_reconstruction, ort_reconstruction);
    const bool agree = std::abs(auc - ort_auc) < 5e-4 && output_diff <= 1e-4;

    // For score_beats.js (the Node.js snippet next to this file): the test
    // beats as raw float32, and the scores LibTorch gave them.
    const torch::Tensor raw_beats = test_beats.contiguous();
    xt::write_file_atomically(out_dir / "test_beats.f32",
                              std::string_view(static_cast<const char*>(raw_beats.data_ptr()),
                                               static_cast<std::size_t>(raw_beats.numel()) * sizeof(float)));
    xt::write_npy(out_dir / "test_scores.npy", test_scores);

    // ---- 7. Plots: beats and reconstructions, ROC curve ---------------------------
    const auto first_with = [&](bool anomalous) {
      return test_labels.to(torch::kInt64).eq(anomalous ? 1 : 0).nonzero()[0][0].item<std::int64_t>();
    };
    std::vector<double> steps;
    for (std::int64_t t = 0; t < beats.size(1); ++t) steps.push_back(static_cast<double>(t));
    const auto beat_plot = [&](const std::string& title, std::int64_t i) {
      return xt::LinePlot(title + format_fixed(test_scores[i].item<double>(), 3) + ")", "sample", "z-score")
          .add("beat", steps, to_vector(test_beats[i]), {90, 90, 90})
          .add("reconstruction", steps, to_vector(test_reconstruction[i]), {214, 39, 40});
    };
    const auto roc = xt::metrics::roc_curve(test_scores, test_labels);
    const fs::path plot_path = out_dir / "beats_and_roc.png";
    xt::save_png_grid({beat_plot("normal test beat (score ", first_with(false)),
                       beat_plot("anomalous test beat (score ", first_with(true)),
                       xt::LinePlot("ROC of the test beats, AUC " + format_fixed(auc, 3), "false positive rate",
                                    "TPR")
                           .add("LSTM autoencoder", roc.false_positive_rate, roc.true_positive_rate)
                           .add("chance", {0.0, 1.0}, {0.0, 1.0}, {180, 180, 180})},
                      plot_path, 3, 560, 420);

    // ---- 8. Results ---------------------------------------------------------------
    xt::write_json(out_dir / "results.json",
                   {{"example", "onnx_lstm_ecg"},
                    {"data", {{"synthetic", data.source.synthetic}, {"dataset", dataset},
                              {"beats", data.beats.size(0)}}},
                    {"seed", seed},
                    {"model", config.to_json()},
                    {"training", history.to_json()},
                    {"metrics", {{"test_auc_libtorch", auc}, {"test_auc_onnxruntime", ort_auc},
                                 {"test_average_precision", ap}, {"test_precision", counts.precision()},
                                 {"test_recall", counts.recall()}, {"test_f1", counts.f1()},
                                 {"threshold", threshold}, {"max_abs_output_diff", output_diff},
                                 {"runtimes_agree", agree}, {"onnx_export_diff", exported.max_abs_diff}}},
                    {"files", {{"onnx", onnx_path.string()}, {"plot", plot_path.string()},
                               {"test_beats", (out_dir / "test_beats.f32").string()},
                               {"test_scores", (out_dir / "test_scores.npy").string()}}},
                    {"seconds", total_time.seconds()}});

    std::cout << "\n== onnx_lstm_ecg results (" << (data.source.synthetic ? "SYNTHETIC data" : dataset) << ", seed "
              << seed << ", " << test_scores.size(0) << " test beats) ==\n";
    xt::TextTable results({"runtime", "AUC-ROC", "max abs diff to LibTorch"});
    results.add_row({"LibTorch (C++ eager)", format_fixed(auc, 4), "-"})
        .add_row({"ONNX Runtime " + ort.version + " (Node.js)", format_fixed(ort_auc, 4), xt::format_fixed(output_diff, 8)})
        .print(std::cout);
    std::cout << "average precision " << format_fixed(ap, 4) << "; at the validation threshold "
              << format_fixed(threshold, 4) << ": precision " << format_fixed(counts.precision(), 3) << ", recall "
              << format_fixed(counts.recall(), 3) << ", F1 " << format_fixed(counts.f1(), 3) << "\n"
              << "runtimes agree (AUC to 3 decimals, outputs within 1e-4): " << (agree ? "yes" : "NO") << "\n"
              << "files: " << onnx_path.string() << ", " << plot_path.string() << ", "
              << (out_dir / "results.json").string() << "\n";
    return agree ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

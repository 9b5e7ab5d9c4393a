// Example 1: save and load an LSTM forecaster.
//
// We train an LSTM to forecast a house's appliance energy use 10 minutes
// ahead (UCI Appliances Energy Prediction), save the *whole* model with
// xt::save_model, and load it back with xt::load_model in a scope that knows
// nothing about the LSTMForecaster class. The file carries everything needed to
// use it: the TorchScript program, the weights, and a manifest with the scaler
// parameters, the input shape and the test metrics.
//
//   ./save_load_lstm --data-dir ../shared/data --epochs 20 --out-dir out/save_load_lstm

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "xtorch/xtorch.h"

namespace fs = std::filesystem;
using xt::format_fixed;

int main(int argc, char** argv) {
  // ---- 1. Options ---------------------------------------------------------
  CLI::App app{"Train an LSTM energy forecaster, save it, load it back without its class."};
  std::string data_dir;
  fs::path out_dir = "out/save_load_lstm";
  int epochs = 20;
  std::int64_t lookback = 36;  // six hours of 10-minute steps
  std::int64_t hidden = 64, layers = 2, batch_size = 128;
  double learning_rate = 1e-3;
  std::uint64_t seed = 1;
  app.add_option("--data-dir", data_dir, "Dataset root (default: $XT_DATA_DIR, else ./data)");
  app.add_option("--out-dir", out_dir, "Where the model, plot and results.json go");
  app.add_option("--epochs", epochs, "Maximum training epochs (early stopping may end sooner)");
  app.add_option("--lookback", lookback, "Input window length in 10-minute steps");
  app.add_option("--hidden", hidden, "LSTM hidden size");
  app.add_option("--layers", layers, "Stacked LSTM layers");
  app.add_option("--batch-size", batch_size, "Training batch size");
  app.add_option("--lr", learning_rate, "Adam learning rate");
  app.add_option("--seed", seed, "Seed for initialization, dropout and batch order");
  CLI11_PARSE(app, argc, argv);

  try {
    xt::set_seed(seed);
    xt::Stopwatch total_time;

    // ---- 2. Data ----------------------------------------------------------
    // Real data if it is on disk, else a synthetic series with the same
    // columns (and a line saying so).
    const auto data = xt::data::load_appliances_energy(xt::data::resolve_data_dir(data_dir),
                                                       xt::data::Fallback::Synthetic, seed);
    std::cout << data.source.description << "\n";
    const auto& table = data.table;

    // Inputs: every numeric column except rv1/rv2 (random noise, added by the
    // dataset's authors to test feature selection), plus time-of-day and
    // day-of-week. "Appliances" comes first, which the target scaler uses.
    std::vector<std::string> columns;
    for (const auto& name : xt::data::appliances_numeric_columns()) {
      if (name != "rv1" && name != "rv2") columns.push_back(name);
    }
    const torch::Tensor raw = table.to_tensor(columns);                      // [T, 26]
    const torch::Tensor calendar = xt::data::calendar_features(table.datetime("date"));  // [T, 4]
    const torch::Tensor appliances = raw.select(1, 0);                       // [T] in Wh

    // Chronological 70/15/15 split. Scalers see the training rows only: the
    // validation and test periods must stay in the unseen future.
    const auto split = xt::data::chronological_split(table.rows(), 0.70, 0.15);
    xt::data::Scaler feature_scaler = xt::data::Scaler::standard();
    feature_scaler.fit(raw.slice(0, split.train.begin, split.train.end));
    const xt::data::Scaler target_scaler = feature_scaler.column(0);
    const torch::Tensor features = torch::cat({feature_scaler.transform(raw), calendar}, 1);
    const torch::Tensor target = features.select(1, 0).contiguous();  // scaled Appliances

    // Each window: `lookback` past steps in, the next step's value out.
    const xt::data::WindowSpec spec{lookback, /*horizon=*/1, /*stride=*/1};
    const auto train = xt::data::make_windows(features, target, spec, split.train);
    const auto val = xt::data::make_windows(features, target, spec, split.val);
    const auto test = xt::data::make_windows(features, target, spec, split.test);
    std::cout << "windows: train " << train.inputs.size(0) << ", val " << val.inputs.size(0) << ", test "
              << test.inputs.size(0) << " (lookback " << lookback << ", " << features.size(1) << " features)\n";

    // ---- 3. Model and training --------------------------------------------
    xt::nn::LSTMForecasterConfig config;
    config.input_features = features.size(1);
    config.hidden_size = hidden;
    config.num_layers = layers;
    config.dropout = 0.1;
    config.horizon = 1;
    xt::nn::LSTMForecaster model(config);

    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(learning_rate));
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.grad_clip_norm = 1.0;  // LSTMs occasionally spike on the load peaks
    options.seed = seed;
    xt::train::Trainer trainer(
        *model, [&](const torch::Tensor& x) { return model->forward(x); }, optimizer,
        [](const torch::Tensor& prediction, const torch::Tensor& y) { return torch::mse_loss(prediction, y); },
        options);
    trainer.add_callback(std::make_shared<xt::train::LogEpochs>(std::cout))
        .add_callback(std::make_shared<xt::train::EarlyStopping>(/*patience=*/5))
        .add_callback(std::make_shared<xt::train::RestoreBestWeights>());
    const auto history = trainer.fit({train.inputs, train.targets}, xt::train::TensorData{val.inputs, val.targets});
    std::cout << "best epoch " << history.best_epoch << " of " << history.epochs.size() << "\n";

    // ---- 4. Evaluate in Wh against the persistence baseline ---------------
    // Persistence says "the next 10 minutes use what the last 10 did": a
    // forecaster is only useful if it beats that.
    const auto to_wh = [&](const torch::Tensor& scaled) {
      return target_scaler.inverse_transform(scaled.reshape({-1, 1})).reshape({-1});
    };
    // One batch in eval mode: the reloaded model below runs the same batch, so
    // the two can be compared bit for bit.
    model->eval();
    torch::Tensor predicted_wh;
    {
      torch::NoGradGuard no_grad;
      predicted_wh = to_wh(model->forward(test.inputs));
    }
    const torch::Tensor rows = torch::tensor(test.target_rows, torch::kInt64);
    const torch::Tensor truth_wh = appliances.index_select(0, rows);
    const torch::Tensor persistence_wh = appliances.index_select(0, rows - 1);
    const double rmse = xt::metrics::rmse(predicted_wh, truth_wh);
    const double mae = xt::metrics::mae(predicted_wh, truth_wh);
    const double persistence_rmse = xt::metrics::rmse(persistence_wh, truth_wh);
    const double persistence_mae = xt::metrics::mae(persistence_wh, truth_wh);

    // ---- 5. Save the whole model -------------------------------------------
    // The manifest gets what a user of the file needs besides the weights:
    // how to scale inputs and un-scale outputs, and how good the model is.
    // verify_inputs makes save_model reload the file and compare outputs.
    const fs::path model_path = out_dir / "lstm_forecaster.pt";
    xt::ModelInfo info;
    info.description = "10-minute-ahead forecast of appliance energy use (Wh), UCI Appliances Energy";
    info.inputs = {{"x", {-1, lookback, features.size(1)}, "float32"}};
    info.preprocessing = {{"feature_columns", columns},
                          {"calendar_features", {"hour_sin", "hour_cos", "weekday_sin", "weekday_cos"}},
                          {"feature_scaler", feature_scaler.to_json()},
                          {"target_scaler", target_scaler.to_json()},
                          {"lookback", lookback}};
    info.metrics = {{"test_rmse_wh", rmse}, {"test_mae_wh", mae}, {"persistence_rmse_wh", persistence_rmse}};
    info.verify_inputs = {test.inputs.slice(0, 0, 256)};
    xt::save_model(model, model_path, info);
    std::cout << "saved " << model_path.string() << " (" << xt::format_bytes(fs::file_size(model_path)) << ")\n";

    // ---- 6. Load it back, knowing nothing of LSTMForecaster ---------------
    // A fresh scope: only the file. The scaler comes from the manifest.
    torch::Tensor reloaded_wh;
    {
      xt::LoadedModel loaded = xt::load_model(model_path);
      const auto scaler = xt::data::Scaler::from_json(loaded.manifest.preprocessing.at("target_scaler"));
      std::cout << "loaded " << loaded.manifest.model_type << " (LibTorch " << loaded.manifest.libtorch_version
                << ", weights sha256 " << loaded.manifest.weights_sha256.substr(0, 12) << "...)\n";
      reloaded_wh = scaler.inverse_transform(loaded.forward(test.inputs).reshape({-1, 1})).reshape({-1});
    }
    const double reload_diff = xt::max_abs_diff(predicted_wh, reloaded_wh);

    // ---- 7. Plot one test week ---------------------------------------------
    const std::int64_t week = std::min<std::int64_t>(6 * 24 * 7, truth_wh.size(0));
    const auto& dates = table.datetime("date");
    std::vector<double> x(static_cast<std::size_t>(week));
    for (std::int64_t i = 0; i < week; ++i) x[static_cast<std::size_t>(i)] = static_cast<double>(dates[test.target_rows[i]]);
    const auto first_week = [&](const torch::Tensor& t) {
      const torch::Tensor w = t.slice(0, 0, week).to(torch::kFloat64).contiguous();
      return std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + week);
    };
    std::vector<double> midnights;
    for (double day = std::ceil(x.front() / 86400.0) * 86400.0; day <= x.back(); day += 86400.0) midnights.push_back(day);
    const fs::path plot_path = out_dir / "forecast_vs_truth.png";
    xt::LinePlot("Appliances energy, first test week: 10-minute-ahead LSTM forecast", "date", "Wh")
        .add("truth", x, first_week(truth_wh), {120, 120, 120})
        .add("LSTM forecast", x, first_week(predicted_wh), {214, 39, 40})
        .x_ticks(midnights)
        .x_tick_format([](double t) { return xt::data::format_datetime(static_cast<std::int64_t>(t)).substr(0, 10); })
        .save_png(plot_path);

    // ---- 8. Results ---------------------------------------------------------
    xt::write_json(out_dir / "results.json",
                   {{"example", "save_load_lstm"},
                    {"data", {{"synthetic", data.source.synthetic}, {"file", data.source.file.string()},
                              {"rows", table.rows()}}},
                    {"seed", seed},
                    {"model", config.to_json()},
                    {"training", history.to_json()},
                    {"metrics", {{"test_rmse_wh", rmse}, {"test_mae_wh", mae},
                                 {"persistence_rmse_wh", persistence_rmse}, {"persistence_mae_wh", persistence_mae},
                                 {"reload_max_abs_diff_wh", reload_diff}}},
                    {"files", {{"model", model_path.string()}, {"plot", plot_path.string()}}},
                    {"seconds", total_time.seconds()}});

    std::cout << "\n== save_load_lstm results (" << (data.source.synthetic ? "SYNTHETIC data" : "UCI Appliances")
              << ", seed " << seed << ") ==\n";
    xt::TextTable results({"model", "test RMSE (Wh)", "test MAE (Wh)"});
    results.add_row({"LSTM", format_fixed(rmse, 2), format_fixed(mae, 2)})
        .add_row({"persistence", format_fixed(persistence_rmse, 2), format_fixed(persistence_mae, 2)})
        .print(std::cout);
    std::cout << "reloaded model vs trained model: max abs diff " << reload_diff << " Wh\n"
              << "files: " << model_path.string() << ", " << plot_path.string() << ", "
              << (out_dir / "results.json").string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

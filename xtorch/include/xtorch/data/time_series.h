#pragma once
// Time-series preparation: chronological splits, sliding windows for
// forecasting, and calendar features.

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace xt::data {

// Half-open range of row indices [begin, end).
struct RowRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

// Consecutive blocks in time order: train, then validation, then test. No
// shuffling, so the model is always evaluated on a future it has not seen.
struct ChronologicalSplit {
  RowRange train, val, test;
};
ChronologicalSplit chronological_split(std::int64_t rows, double train_fraction, double val_fraction);

struct WindowSpec {
  std::int64_t lookback = 1;  // input steps
  std::int64_t horizon = 1;   // steps predicted
  std::int64_t stride = 1;    // steps between window starts
};

struct Windows {
  torch::Tensor inputs;   // [N, lookback, features]
  torch::Tensor targets;  // [N, horizon] (1-D target series) or [N, horizon, C]
  std::vector<std::int64_t> target_rows;  // row of each window's first target
};

// Windows whose first target row t lies in `targets_in` (and whose horizon
// ends inside it); the inputs are rows [t - lookback, t). Inputs may reach
// back before targets_in.begin: that is the past, available at forecast time,
// so validation and test windows start right at their split boundary.
Windows make_windows(const torch::Tensor& features, const torch::Tensor& targets, const WindowSpec& spec,
                     RowRange targets_in);

// Cyclic encodings of time of day and day of week for Unix-epoch seconds:
// [rows, 4] = sin/cos(2 pi hour_of_day / 24), sin/cos(2 pi day_of_week / 7).
torch::Tensor calendar_features(const std::vector<std::int64_t>& epoch_seconds);

// Sensor faults for denoising: Gaussian noise on every value, plus dropouts
// (the value lost: replaced by 0, the mean of standardized data) and spikes
// (+/- spike_size added), each at its own rate.
struct NoiseSpec {
  double gaussian_std = 0.3;
  double dropout_rate = 0.05;
  double spike_rate = 0.01;
  double spike_size = 4.0;
};

// A corrupted copy of `clean`, deterministic in `seed` (a private generator:
// the global RNG is not touched).
torch::Tensor corrupt(const torch::Tensor& clean, const NoiseSpec& noise, std::uint64_t seed);

}  // namespace xt::data

#include "xtorch/data/time_series.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace xt::data {

ChronologicalSplit chronological_split(std::int64_t rows, double train_fraction, double val_fraction) {
  if (rows < 3) throw std::invalid_argument("chronological_split: need at least 3 rows, got " + std::to_string(rows));
  if (train_fraction <= 0 || val_fraction < 0 || train_fraction + val_fraction >= 1.0) {
    throw std::invalid_argument("chronological_split: need 0 < train, 0 <= val, train + val < 1");
  }
  const auto train_end = static_cast<std::int64_t>(std::floor(rows * train_fraction));
  const auto val_end = static_cast<std::int64_t>(std::floor(rows * (train_fraction + val_fraction)));
  return {{0, train_end}, {train_end, val_end}, {val_end, rows}};
}

Windows make_windows(const torch::Tensor& features, const torch::Tensor& targets, const WindowSpec& spec,
                     RowRange targets_in) {
  if (features.dim() != 2) throw std::invalid_argument("make_windows: features must be [rows, features]");
  if (targets.dim() < 1 || targets.size(0) != features.size(0)) {
    throw std::invalid_argument("make_windows: targets must have as many rows as features");
  }
  if (spec.lookback < 1 || spec.horizon < 1 || spec.stride < 1) {
    throw std::invalid_argument("make_windows: lookback, horizon and stride must be >= 1");
  }
  const std::int64_t rows = features.size(0);
  if (targets_in.begin < 0 || targets_in.end > rows || targets_in.begin > targets_in.end) {
    throw std::out_of_range("make_windows: target range [" + std::to_string(targets_in.begin) + ", " +
                            std::to_string(targets_in.end) + ") outside [0, " + std::to_string(rows) + ")");
  }
  Windows w;
  for (std::int64_t t = std::max(targets_in.begin, spec.lookback); t + spec.horizon <= targets_in.end;
       t += spec.stride) {
    w.target_rows.push_back(t);
  }
  const auto n = static_cast<std::int64_t>(w.target_rows.size());
  if (n == 0) {
    w.inputs = torch::empty({0, spec.lookback, features.size(1)}, features.options());
    w.targets = targets.dim() == 1 ? torch::empty({0, spec.horizon}, targets.options())
                                   : torch::empty({0, spec.horizon, targets.size(1)}, targets.options());
    return w;
  }
  // unfold gives every window of `lookback` rows as a view; pick the ones we need.
  const torch::Tensor starts = torch::tensor(w.target_rows, torch::kInt64) - spec.lookback;
  w.inputs = features.unfold(0, spec.lookback, 1).index_select(0, starts).transpose(1, 2).contiguous();
  const torch::Tensor target_windows = targets.unfold(0, spec.horizon, 1).index_select(0, starts + spec.lookback);
  w.targets = targets.dim() == 1 ? target_windows.contiguous() : target_windows.transpose(1, 2).contiguous();
  return w;
}

torch::Tensor calendar_features(const std::vector<std::int64_t>& epoch_seconds) {
  constexpr double kTwoPi = 6.283185307179586;
  const auto n = static_cast<std::int64_t>(epoch_seconds.size());
  torch::Tensor out = torch::empty({n, 4}, torch::kFloat32);
  auto acc = out.accessor<float, 2>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t s = epoch_seconds[static_cast<std::size_t>(i)];
    std::int64_t day = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    const double hour = static_cast<double>(s - day * 86400) / 3600.0;
    const double weekday = static_cast<double>(((day + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday; Monday = 0
    acc[i][0] = static_cast<float>(std::sin(kTwoPi * hour / 24.0));
    acc[i][1] = static_cast<float>(std::cos(kTwoPi * hour / 24.0));
    acc[i][2] = static_cast<float>(std::sin(kTwoPi * weekday / 7.0));
    acc[i][3] = static_cast<float>(std::cos(kTwoPi * weekday / 7.0));
  }
  return out;
}

torch::Tensor corrupt(const torch::Tensor& clean, const NoiseSpec& noise, std::uint64_t seed) {
  if (noise.gaussian_std < 0 || noise.dropout_rate < 0 || noise.dropout_rate > 1 || noise.spike_rate < 0 ||
      noise.spike_rate > 1) {
    throw std::invalid_argument("corrupt: std must be >= 0 and rates in [0, 1]");
  }
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto options = clean.options();
  torch::Tensor noisy = clean + noise.gaussian_std * torch::randn(clean.sizes(), generator, options);
  const torch::Tensor spikes = torch::rand(clean.sizes(), generator, options) < noise.spike_rate;
  const torch::Tensor signs = torch::where(torch::rand(clean.sizes(), generator, options) < 0.5, -1.0, 1.0);
  noisy = noisy + spikes.to(options.dtype()) * signs.to(options.dtype()) * noise.spike_size;
  const torch::Tensor dropped = torch::rand(clean.sizes(), generator, options) < noise.dropout_rate;
  return noisy.masked_fill(dropped, 0.0);
}

}  // namespace xt::data

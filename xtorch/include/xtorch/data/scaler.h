#pragma once
// Per-column feature scaling whose state travels with the model.
//
// Both kinds are affine, x' = (x - offset) / scale, so one value type covers
// them: standard scaling (offset = mean, scale = std) and min-max scaling to
// [lo, hi]. Fit on training data only; save to_json() in the model manifest so
// inference applies exactly the same transform.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

namespace xt::data {

class Scaler {
 public:
  enum class Kind { Standard, MinMax };

  static Scaler standard();
  static Scaler min_max(double lo = 0.0, double hi = 1.0);

  // Learns per-column statistics from x [rows, columns]. A constant column
  // gets scale 1 so it maps to 0 (standard) or lo (min-max) instead of NaN.
  Scaler& fit(const torch::Tensor& x);

  // x [..., columns] -> scaled, same shape and dtype.
  torch::Tensor transform(const torch::Tensor& x) const;
  torch::Tensor inverse_transform(const torch::Tensor& x) const;

  // The scaler of a single column, e.g. to un-scale a predicted target.
  Scaler column(std::int64_t index) const;

  bool fitted() const { return !offset_.empty(); }
  std::int64_t columns() const { return static_cast<std::int64_t>(offset_.size()); }
  Kind kind() const { return kind_; }
  const std::vector<double>& offset() const { return offset_; }
  const std::vector<double>& scale() const { return scale_; }

  nlohmann::json to_json() const;
  static Scaler from_json(const nlohmann::json& j);

 private:
  Scaler(Kind kind, double lo, double hi) : kind_(kind), lo_(lo), hi_(hi) {}
  void require_fitted(const torch::Tensor& x) const;

  Kind kind_;
  double lo_ = 0.0, hi_ = 1.0;  // min-max target range
  std::vector<double> offset_, scale_;
};

}  // namespace xt::data

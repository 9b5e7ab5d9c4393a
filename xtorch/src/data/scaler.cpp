#include "xtorch/data/scaler.h"

#include <stdexcept>

namespace xt::data {

Scaler Scaler::standard() { return Scaler(Kind::Standard, 0.0, 1.0); }

Scaler Scaler::min_max(double lo, double hi) {
  if (!(lo < hi)) throw std::invalid_argument("Scaler::min_max: lo must be below hi");
  return Scaler(Kind::MinMax, lo, hi);
}

Scaler& Scaler::fit(const torch::Tensor& x) {
  if (x.dim() != 2 || x.size(0) < 1) {
    throw std::invalid_argument("Scaler::fit: expected a [rows, columns] tensor with at least one row");
  }
  const torch::Tensor v = x.to(torch::kFloat64);
  torch::Tensor offset, scale;
  if (kind_ == Kind::Standard) {
    offset = v.mean(0);
    scale = v.std(0, /*unbiased=*/false);
  } else {
    const torch::Tensor lo = std::get<0>(v.min(0));
    const torch::Tensor range = std::get<0>(v.max(0)) - lo;
    // x' = lo_ + (x - min) / range * (hi_ - lo_)  <=>  (x - offset) / scale
    scale = range / (hi_ - lo_);
    offset = lo - lo_ * scale;
  }
  const torch::Tensor constant = scale <= 0;
  scale = torch::where(constant, torch::ones_like(scale), scale);
  if (kind_ == Kind::MinMax) offset = torch::where(constant, std::get<0>(v.min(0)) - lo_, offset);
  offset_.assign(offset.data_ptr<double>(), offset.data_ptr<double>() + offset.numel());
  scale_.assign(scale.data_ptr<double>(), scale.data_ptr<double>() + scale.numel());
  return *this;
}

void Scaler::require_fitted(const torch::Tensor& x) const {
  if (!fitted()) throw std::logic_error("Scaler: transform called before fit");
  if (x.dim() < 1 || x.size(-1) != columns()) {
    throw std::invalid_argument("Scaler: expected " + std::to_string(columns()) + " columns in the last dimension, got " +
                                (x.dim() < 1 ? std::string("a scalar") : std::to_string(x.size(-1))));
  }
}

torch::Tensor Scaler::transform(const torch::Tensor& x) const {
  require_fitted(x);
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor offset = torch::tensor(offset_, options), scale = torch::tensor(scale_, options);
  return ((x.to(torch::kFloat64) - offset) / scale).to(x.scalar_type());
}

torch::Tensor Scaler::inverse_transform(const torch::Tensor& x) const {
  require_fitted(x);
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor offset = torch::tensor(offset_, options), scale = torch::tensor(scale_, options);
  return (x.to(torch::kFloat64) * scale + offset).to(x.scalar_type());
}

Scaler Scaler::column(std::int64_t index) const {
  if (index < 0 || index >= columns()) throw std::out_of_range("Scaler::column: no column " + std::to_string(index));
  Scaler one = *this;
  one.offset_ = {offset_[static_cast<std::size_t>(index)]};
  one.scale_ = {scale_[static_cast<std::size_t>(index)]};
  return one;
}

nlohmann::json Scaler::to_json() const {
  nlohmann::json j{{"kind", kind_ == Kind::Standard ? "standard" : "min_max"},
                   {"offset", offset_},
                   {"scale", scale_},
                   {"formula", "x_scaled = (x - offset) / scale"}};
  if (kind_ == Kind::MinMax) j["range"] = {lo_, hi_};
  return j;
}

Scaler Scaler::from_json(const nlohmann::json& j) {
  const std::string kind = j.at("kind").get<std::string>();
  Scaler s = kind == "standard" ? standard()
             : kind == "min_max" ? min_max(j.at("range").at(0).get<double>(), j.at("range").at(1).get<double>())
                                 : throw std::invalid_argument("Scaler::from_json: unknown kind '" + kind + "'");
  s.offset_ = j.at("offset").get<std::vector<double>>();
  s.scale_ = j.at("scale").get<std::vector<double>>();
  if (s.offset_.size() != s.scale_.size()) throw std::invalid_argument("Scaler::from_json: offset/scale size mismatch");
  for (double v : s.scale_) {
    if (!(v > 0)) throw std::invalid_argument("Scaler::from_json: scale must be positive");
  }
  return s;
}

}  // namespace xt::data

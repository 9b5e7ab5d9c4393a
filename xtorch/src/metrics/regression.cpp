#include "xtorch/metrics/regression.h"

#include <sstream>
#include <stdexcept>

namespace xt::metrics {
namespace {

torch::Tensor error(const torch::Tensor& prediction, const torch::Tensor& target, const char* metric) {
  if (prediction.sizes() != target.sizes()) {
    std::ostringstream out;
    out << metric << ": prediction " << prediction.sizes() << " and target " << target.sizes() << " differ in shape";
    throw std::invalid_argument(out.str());
  }
  if (prediction.numel() == 0) throw std::invalid_argument(std::string(metric) + ": empty input");
  return prediction.to(torch::kFloat64) - target.to(torch::kFloat64);
}

}  // namespace

double rmse(const torch::Tensor& prediction, const torch::Tensor& target) {
  return error(prediction, target, "rmse").square().mean().sqrt().item<double>();
}

double mae(const torch::Tensor& prediction, const torch::Tensor& target) {
  return error(prediction, target, "mae").abs().mean().item<double>();
}

double mape(const torch::Tensor& prediction, const torch::Tensor& target, double epsilon) {
  const torch::Tensor e = error(prediction, target, "mape");
  const torch::Tensor y = target.to(torch::kFloat64);
  const torch::Tensor valid = y.abs() > epsilon;
  if (valid.sum().item<std::int64_t>() == 0) throw std::invalid_argument("mape: every target is zero");
  return 100.0 * (e.masked_select(valid).abs() / y.masked_select(valid).abs()).mean().item<double>();
}

}  // namespace xt::metrics

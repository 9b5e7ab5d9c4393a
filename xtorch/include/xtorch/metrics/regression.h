#pragma once
// Regression metrics over tensors of equal shape (computed in float64).

#include <torch/types.h>

namespace xt::metrics {

double rmse(const torch::Tensor& prediction, const torch::Tensor& target);
double mae(const torch::Tensor& prediction, const torch::Tensor& target);
// Mean absolute percentage error in percent, over targets with |y| > epsilon
// (the rest are undefined for MAPE and skipped); throws if none qualify.
double mape(const torch::Tensor& prediction, const torch::Tensor& target, double epsilon = 1e-8);

}  // namespace xt::metrics

#include "xtorch/metrics/multilabel.h"

#include <stdexcept>

namespace xt::metrics {

MultiLabelF1 multilabel_f1(const torch::Tensor& predicted, const torch::Tensor& truth) {
  if (!predicted.defined() || !truth.defined() || predicted.dim() != 2 || predicted.sizes() != truth.sizes()) {
    throw std::invalid_argument("multilabel_f1: predicted and truth must both be [N, L]");
  }
  const torch::Tensor p = predicted.to(torch::kFloat64).gt(0.5).to(torch::kFloat64);
  const torch::Tensor t = truth.to(torch::kFloat64).gt(0.5).to(torch::kFloat64);
  const torch::Tensor tp = (p * t).sum(0), fp = (p * (1 - t)).sum(0), fn = ((1 - p) * t).sum(0);
  const double tp_all = tp.sum().item<double>(), fp_all = fp.sum().item<double>(), fn_all = fn.sum().item<double>();
  MultiLabelF1 f1;
  const double denominator = 2 * tp_all + fp_all + fn_all;
  f1.micro = denominator > 0 ? 2 * tp_all / denominator : 0.0;
  const torch::Tensor per_label_denominator = 2 * tp + fp + fn;
  const torch::Tensor per_label =
      torch::where(per_label_denominator > 0, 2 * tp / per_label_denominator.clamp_min(1), torch::zeros_like(tp));
  f1.macro = per_label.mean().item<double>();
  return f1;
}

torch::Tensor top_k_per_row(const torch::Tensor& scores, const torch::Tensor& counts) {
  if (scores.dim() != 2 || counts.dim() != 1 || counts.size(0) != scores.size(0)) {
    throw std::invalid_argument("top_k_per_row: expected scores [N, L] and counts [N]");
  }
  // A stable descending sort keeps lower label indices first among ties.
  const torch::Tensor order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  const torch::Tensor rank = torch::empty_like(order).scatter_(
      1, order, torch::arange(scores.size(1), torch::kInt64).expand_as(order).contiguous());
  return rank.lt(counts.to(torch::kInt64).unsqueeze(1)).to(torch::kFloat32);
}

}  // namespace xt::metrics

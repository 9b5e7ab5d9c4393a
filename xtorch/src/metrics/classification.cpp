#include "xtorch/metrics/classification.h"

#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace xt::metrics {
namespace {

torch::Tensor checked_classes(const torch::Tensor& predictions, const torch::Tensor& labels) {
  const torch::Tensor classes = predicted_classes(predictions);
  if (labels.dim() != 1 || classes.size(0) != labels.size(0)) {
    throw std::invalid_argument("classification metric: " + std::to_string(classes.size(0)) +
                                " predictions for labels of shape " + c10::str(labels.sizes()));
  }
  if (labels.size(0) == 0) throw std::invalid_argument("classification metric: no samples");
  return classes;
}

}  // namespace

torch::Tensor predicted_classes(const torch::Tensor& predictions) {
  if (predictions.dim() == 2) return predictions.argmax(1);
  if (predictions.dim() == 1) return predictions.to(torch::kInt64);
  throw std::invalid_argument("classification metric: predictions must be [N] classes or [N, C] scores, got " +
                              c10::str(predictions.sizes()));
}

double accuracy(const torch::Tensor& predictions, const torch::Tensor& labels) {
  const torch::Tensor classes = checked_classes(predictions, labels);
  return classes.eq(labels.to(torch::kInt64)).to(torch::kFloat64).mean().item<double>();
}

torch::Tensor confusion_matrix(const torch::Tensor& predictions, const torch::Tensor& labels,
                               std::int64_t num_classes) {
  const torch::Tensor classes = checked_classes(predictions, labels);
  const torch::Tensor truth = labels.to(torch::kInt64);
  if (truth.min().item<std::int64_t>() < 0 || truth.max().item<std::int64_t>() >= num_classes ||
      classes.min().item<std::int64_t>() < 0 || classes.max().item<std::int64_t>() >= num_classes) {
    throw std::invalid_argument("confusion_matrix: a class index is outside [0, " + std::to_string(num_classes) + ")");
  }
  return torch::bincount(truth * num_classes + classes, /*weights=*/{}, num_classes * num_classes)
      .reshape({num_classes, num_classes});
}

double macro_f1(const torch::Tensor& confusion) {
  if (confusion.dim() != 2 || confusion.size(0) != confusion.size(1)) {
    throw std::invalid_argument("macro_f1: confusion matrix must be square, got " + c10::str(confusion.sizes()));
  }
  const torch::Tensor m = confusion.to(torch::kFloat64);
  const torch::Tensor tp = m.diagonal();
  const torch::Tensor denominator = m.sum(0) + m.sum(1);  // 2 TP + FP + FN
  const torch::Tensor present = denominator > 0;
  if (!present.any().item<bool>()) throw std::invalid_argument("macro_f1: empty confusion matrix");
  return (2 * tp.masked_select(present) / denominator.masked_select(present)).mean().item<double>();
}

}  // namespace xt::metrics

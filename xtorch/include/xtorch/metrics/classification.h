#pragma once
// Classification metrics. `predictions` is either class indices [N] or
// scores/logits [N, C] (argmax taken); `labels` are class indices [N].

#include <cstdint>

#include <torch/types.h>

namespace xt::metrics {

// Class indices from logits [N, C]; class indices [N] pass through.
torch::Tensor predicted_classes(const torch::Tensor& predictions);

// Fraction of correct predictions, in [0, 1]. Throws on empty or mismatched input.
double accuracy(const torch::Tensor& predictions, const torch::Tensor& labels);

// [C, C] int64 counts, rows = true class, columns = predicted class.
torch::Tensor confusion_matrix(const torch::Tensor& predictions, const torch::Tensor& labels,
                               std::int64_t num_classes);

// Mean over classes of F1 = 2 TP / (2 TP + FP + FN), from a confusion matrix
// (rows true, columns predicted). Classes absent from both truth and
// predictions are left out of the mean.
double macro_f1(const torch::Tensor& confusion);

}  // namespace xt::metrics

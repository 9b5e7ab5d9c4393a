#include "xtorch/train/linear_probe.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/lbfgs.h>

#include <cmath>
#include <stdexcept>

namespace xt::train {

LinearProbeResult linear_probe(const torch::Tensor& embeddings, const torch::Tensor& labels,
                               const LinearProbeOptions& options) {
  if (!embeddings.defined() || !labels.defined() || embeddings.dim() != 2 || labels.dim() != 2 ||
      embeddings.size(0) != labels.size(0)) {
    throw std::invalid_argument("linear_probe: expected embeddings [N, D] and labels [N, L] with the same N");
  }
  if (!(options.train_fraction > 0.0 && options.train_fraction < 1.0) || options.inverse_l2 <= 0.0) {
    throw std::invalid_argument("linear_probe: train_fraction must be in (0, 1) and inverse_l2 > 0");
  }
  const std::int64_t n = embeddings.size(0);
  const auto n_train = static_cast<std::int64_t>(std::llround(options.train_fraction * static_cast<double>(n)));
  if (n_train < 1 || n_train >= n) throw std::invalid_argument("linear_probe: too few nodes to split");
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const torch::Tensor order = torch::randperm(n, generator, torch::kInt64);
  const torch::Tensor train = order.slice(0, 0, n_train), test = order.slice(0, n_train);

  const torch::Tensor x_all = embeddings.detach().to(torch::kFloat64);
  const torch::Tensor y_all = labels.detach().to(torch::kFloat64);
  const torch::Tensor mean = x_all.index_select(0, train).mean(0, true);
  const torch::Tensor std = x_all.index_select(0, train).std(0, true, true).clamp_min(1e-8);
  const torch::Tensor x = (x_all - mean) / std;
  const torch::Tensor x_train = x.index_select(0, train), y_train = y_all.index_select(0, train);

  // One weight column per label: the L binary problems are independent, so
  // one joint L-BFGS over their summed objectives solves each of them.
  torch::Tensor weight = torch::zeros({x.size(1), labels.size(1)}, torch::dtype(torch::kFloat64).requires_grad(true));
  torch::Tensor bias = torch::zeros({labels.size(1)}, torch::dtype(torch::kFloat64).requires_grad(true));
  torch::optim::LBFGS solver({weight, bias}, torch::optim::LBFGSOptions(1.0)
                                                 .max_iter(options.max_iterations)
                                                 .history_size(20)
                                                 .line_search_fn("strong_wolfe"));
  // scikit-learn's objective per label: C * sum(log loss) + 0.5 |w|^2,
  // divided here by C * n_train to keep the scale of a mean.
  const double l2 = 0.5 / (options.inverse_l2 * static_cast<double>(n_train));
  solver.step([&] {
    solver.zero_grad();
    const torch::Tensor logits = torch::addmm(bias, x_train, weight);
    const torch::Tensor loss =
        torch::binary_cross_entropy_with_logits(logits, y_train, {}, {}, at::Reduction::Sum) /
            static_cast<double>(n_train) +
        l2 * weight.pow(2).sum();
    loss.backward();
    return loss;
  });

  torch::NoGradGuard no_grad;
  const torch::Tensor scores = torch::addmm(bias, x.index_select(0, test), weight);
  const torch::Tensor truth = y_all.index_select(0, test);
  const torch::Tensor predicted = options.known_label_count ? metrics::top_k_per_row(scores, truth.sum(1).round())
                                                            : scores.gt(0).to(torch::kFloat32);
  LinearProbeResult result;
  result.f1 = metrics::multilabel_f1(predicted, truth);
  result.train_nodes = n_train;
  result.test_nodes = n - n_train;
  return result;
}

}  // namespace xt::train

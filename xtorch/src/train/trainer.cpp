#include "xtorch/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>

#include <ostream>
#include <stdexcept>

#include "xtorch/util/format.h"
#include "xtorch/util/progress.h"
#include "xtorch/util/runtime.h"

namespace xt::train {
namespace {

double current_learning_rate(torch::optim::Optimizer& optimizer) {
  if (optimizer.param_groups().empty()) return 0.0;
  return optimizer.param_groups().front().options().get_lr();
}

std::vector<torch::Tensor> state_tensors(torch::nn::Module& model) {
  std::vector<torch::Tensor> out = model.parameters();
  for (auto& b : model.buffers()) out.push_back(b);
  return out;
}

void check_data(const TensorData& data, const char* what) {
  if (!data.inputs.defined() || !data.targets.defined() || data.inputs.dim() == 0 ||
      data.inputs.size(0) != data.targets.size(0)) {
    throw std::invalid_argument(std::string("Trainer: ") + what +
                                " data needs inputs and targets with the same first dimension");
  }
}

}  // namespace

nlohmann::json History::to_json() const {
  nlohmann::json epochs_json = nlohmann::json::array();
  for (const auto& e : epochs) {
    epochs_json.push_back({{"epoch", e.epoch},
                           {"train_loss", e.train_loss},
                           {"val_loss", e.val_loss ? nlohmann::json(*e.val_loss) : nlohmann::json()},
                           {"seconds", e.seconds},
                           {"learning_rate", e.learning_rate}});
  }
  return {{"epochs", epochs_json},
          {"best_epoch", best_epoch},
          {"best_val_loss", best_epoch > 0 ? nlohmann::json(best_val_loss) : nlohmann::json()},
          {"stopped_early", stopped_early}};
}

Trainer::Trainer(torch::nn::Module& model, ForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
                 TrainerOptions options)
    : model_(model), forward_(std::move(forward)), optimizer_(optimizer), loss_(std::move(loss)),
      options_(options) {
  if (options_.epochs < 0 || options_.batch_size < 1 || options_.eval_batch_size < 1) {
    throw std::invalid_argument("Trainer: epochs must be >= 0 and batch sizes >= 1");
  }
}

Trainer& Trainer::add_callback(std::shared_ptr<Callback> callback) {
  callbacks_.push_back(std::move(callback));
  return *this;
}

double Trainer::train_epoch(const TensorData& train, int epoch) {
  model_.train();
  const std::int64_t n = train.size();
  // One generator per epoch, derived from the seed: the order of epoch k does
  // not depend on how many random numbers anything else drew.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options_.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
  const torch::Tensor order = options_.shuffle ? torch::randperm(n, generator, torch::kInt64)
                                               : torch::arange(n, torch::kInt64);
  const std::int64_t batches = (n + options_.batch_size - 1) / options_.batch_size;
  ProgressLine progress("epoch " + std::to_string(epoch) + "/" + std::to_string(options_.epochs), batches,
                        options_.progress);
  double loss_sum = 0.0;
  for (std::int64_t b = 0; b < batches; ++b) {
    const torch::Tensor index = order.slice(0, b * options_.batch_size, std::min(n, (b + 1) * options_.batch_size));
    const torch::Tensor input = train.inputs.index_select(0, index);
    const torch::Tensor target = train.targets.index_select(0, index);
    optimizer_.zero_grad();
    const torch::Tensor loss = loss_(forward_(input), target);
    loss.backward();
    if (options_.grad_clip_norm > 0.0) clip_gradients(model_, options_.grad_clip_norm);
    optimizer_.step();
    loss_sum += loss.item<double>() * static_cast<double>(index.size(0));
    if (progress.enabled()) {
      const auto seen = static_cast<double>(std::min(n, (b + 1) * options_.batch_size));
      progress.update(b + 1, "loss " + format_fixed(loss_sum / seen, 4));
    }
  }
  return loss_sum / static_cast<double>(n);
}

History Trainer::fit(const TensorData& train, const std::optional<TensorData>& val) {
  check_data(train, "training");
  if (train.size() == 0) throw std::invalid_argument("Trainer: the training data is empty");
  if (val) check_data(*val, "validation");
  history_ = History{};
  stop_requested_ = false;
  for (auto& c : callbacks_) c->on_train_begin(*this);
  for (int epoch = 1; epoch <= options_.epochs && !stop_requested_; ++epoch) {
    Stopwatch clock;
    EpochLog log;
    log.epoch = epoch;
    log.learning_rate = current_learning_rate(optimizer_);
    log.train_loss = train_epoch(train, epoch);
    if (val && val->size() > 0) {
      log.val_loss = evaluate(*val);
      if (*log.val_loss < history_.best_val_loss) {
        history_.best_val_loss = *log.val_loss;
        history_.best_epoch = epoch;
      }
    }
    log.seconds = clock.seconds();
    history_.epochs.push_back(log);
    for (auto& c : callbacks_) c->on_epoch_end(*this, log);
  }
  history_.stopped_early = stop_requested_ && static_cast<int>(history_.epochs.size()) < options_.epochs;
  for (auto& c : callbacks_) c->on_train_end(*this);
  return history_;
}

double Trainer::evaluate(const TensorData& data) {
  check_data(data, "evaluation");
  if (data.size() == 0) throw std::invalid_argument("Trainer::evaluate: empty data");
  const bool was_training = model_.is_training();
  model_.eval();
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  for (std::int64_t start = 0; start < data.size(); start += options_.eval_batch_size) {
    const std::int64_t end = std::min(data.size(), start + options_.eval_batch_size);
    const torch::Tensor loss = loss_(forward_(data.inputs.slice(0, start, end)), data.targets.slice(0, start, end));
    sum += loss.item<double>() * static_cast<double>(end - start);
  }
  model_.train(was_training);
  return sum / static_cast<double>(data.size());
}

torch::Tensor Trainer::predict(const torch::Tensor& inputs) {
  const bool was_training = model_.is_training();
  model_.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> outputs;
  for (std::int64_t start = 0; start < inputs.size(0); start += options_.eval_batch_size) {
    outputs.push_back(forward_(inputs.slice(0, start, std::min(inputs.size(0), start + options_.eval_batch_size))));
  }
  model_.train(was_training);
  if (outputs.empty()) throw std::invalid_argument("Trainer::predict: no inputs");
  return torch::cat(outputs);
}

void LogEpochs::on_epoch_end(Trainer& trainer, const EpochLog& log) {
  out_ << "epoch " << log.epoch << "  train loss " << format_fixed(log.train_loss, 5);
  if (log.val_loss) out_ << "  val loss " << format_fixed(*log.val_loss, 5);
  if (trainer.history().best_epoch == log.epoch) out_ << " *";
  out_ << "  (" << format_duration(log.seconds) << ")\n" << std::flush;
}

void EarlyStopping::on_train_begin(Trainer&) {
  best_ = std::numeric_limits<double>::infinity();
  bad_epochs_ = 0;
}

void EarlyStopping::on_epoch_end(Trainer& trainer, const EpochLog& log) {
  if (!log.val_loss) return;
  if (*log.val_loss < best_ - min_delta_) {
    best_ = *log.val_loss;
    bad_epochs_ = 0;
  } else if (++bad_epochs_ >= patience_) {
    trainer.request_stop();
  }
}

void RestoreBestWeights::on_train_begin(Trainer&) {
  best_ = std::numeric_limits<double>::infinity();
  best_state_.clear();
}

void RestoreBestWeights::on_epoch_end(Trainer& trainer, const EpochLog& log) {
  if (!log.val_loss || !(*log.val_loss < best_)) return;
  best_ = *log.val_loss;
  best_state_.clear();
  for (const auto& t : state_tensors(trainer.model())) best_state_.push_back(t.detach().clone());
}

void RestoreBestWeights::on_train_end(Trainer& trainer) {
  if (best_state_.empty()) return;
  torch::NoGradGuard no_grad;
  auto current = state_tensors(trainer.model());
  for (std::size_t i = 0; i < current.size(); ++i) current[i].copy_(best_state_[i]);
}

double clip_gradients(torch::nn::Module& model, double max_norm) {
  return torch::nn::utils::clip_grad_norm_(model.parameters(), max_norm);
}

}  // namespace xt::train

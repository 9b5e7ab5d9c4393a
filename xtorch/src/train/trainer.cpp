#include "xtorch/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "xtorch/train/checkpointing.h"
#include "xtorch/train/distributed.h"

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
  nlohmann::json steps_json = nlohmann::json::array();
  for (const auto& s : steps) steps_json.push_back({s.step, s.loss});
  return {{"epochs", epochs_json},
          {"steps", steps_json},
          {"resumed_at_steps", resumed_at_steps},
          {"best_epoch", best_epoch},
          {"best_val_loss", best_epoch > 0 ? nlohmann::json(best_val_loss) : nlohmann::json()},
          {"stopped_early", stopped_early},
          {"interrupted", interrupted}};
}

History History::from_json(const nlohmann::json& j) {
  History h;
  for (const auto& e : j.at("epochs")) {
    EpochLog log;
    log.epoch = e.at("epoch").get<int>();
    log.train_loss = e.at("train_loss").get<double>();
    if (!e.at("val_loss").is_null()) log.val_loss = e.at("val_loss").get<double>();
    log.seconds = e.at("seconds").get<double>();
    log.learning_rate = e.at("learning_rate").get<double>();
    h.epochs.push_back(log);
  }
  for (const auto& s : j.at("steps")) h.steps.push_back({s.at(0).get<std::int64_t>(), s.at(1).get<double>()});
  h.resumed_at_steps = j.at("resumed_at_steps").get<std::vector<std::int64_t>>();
  h.best_epoch = j.at("best_epoch").get<int>();
  if (!j.at("best_val_loss").is_null()) h.best_val_loss = j.at("best_val_loss").get<double>();
  h.stopped_early = j.at("stopped_early").get<bool>();
  h.interrupted = j.at("interrupted").get<bool>();
  return h;
}

// State of one fit() call: where in the data it is and the partial sums of
// the current epoch (both checkpointed, so a resumed epoch logs the same
// mean loss as an uninterrupted one).
struct Trainer::Run {
  int epochs_done = 0;
  std::int64_t batch_in_epoch = 0;
  double epoch_loss_sum = 0.0;
  std::int64_t epoch_seen = 0;
  std::unique_ptr<CheckpointDirectory> checkpoints;
  std::unique_ptr<StopSignal> stop_signal;
  bool interrupt = false;  // a stop signal arrived (on any rank, as of the last step)
  bool signalled() const { return stop_signal && stop_signal->requested(); }
};

Trainer::Trainer(torch::nn::Module& model, ForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
                 TrainerOptions options)
    : Trainer(model,
              StepForwardFn([forward = std::move(forward)](const torch::Tensor& input, const BatchInfo&) {
                return forward(input);
              }),
              optimizer, std::move(loss), options) {}

Trainer::Trainer(torch::nn::Module& model, StepForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
                 TrainerOptions options)
    : model_(model), forward_(std::move(forward)), optimizer_(optimizer), loss_(std::move(loss)),
      options_(options) {
  if (options_.epochs < 0 || options_.batch_size < 1 || options_.eval_batch_size < 1 || options_.max_steps < 0) {
    throw std::invalid_argument("Trainer: epochs and max_steps must be >= 0 and batch sizes >= 1");
  }
}

Trainer::~Trainer() = default;

Trainer& Trainer::add_callback(std::shared_ptr<Callback> callback) {
  callbacks_.push_back(std::move(callback));
  return *this;
}

Trainer& Trainer::enable_checkpoints(CheckpointPolicy policy) {
  if (policy.directory.empty()) throw std::invalid_argument("Trainer: the checkpoint directory is empty");
  if (policy.every_steps < 0 || policy.every_epochs < 0) {
    throw std::invalid_argument("Trainer: checkpoint intervals must be >= 0");
  }
  checkpoint_policy_ = std::move(policy);
  return *this;
}

Trainer& Trainer::track_engine(const std::string& name, std::mt19937_64& engine) {
  engines_[name] = &engine;
  return *this;
}

Trainer& Trainer::set_scheduler(ResumableScheduler& scheduler) {
  scheduler_ = &scheduler;
  return *this;
}

Trainer& Trainer::set_config(nlohmann::json config) {
  config_ = std::move(config);
  return *this;
}

Trainer& Trainer::set_process_group(ProcessGroup& group) {
  group_ = &group;
  return *this;
}

bool Trainer::is_checkpoint_writer() const { return group_ == nullptr || group_->rank() == 0; }

CheckpointParts Trainer::checkpoint_parts() {
  CheckpointParts parts(model_);
  parts.optimizer = &optimizer_;
  parts.scheduler = scheduler_;
  parts.engines = engines_;
  return parts;
}

TrainingState Trainer::training_state(const Run& run, std::optional<double> metric) const {
  TrainingState state;
  state.epoch = run.epochs_done;
  state.step = step_;
  state.batch_in_epoch = run.batch_in_epoch;
  state.metric = metric;
  state.history = history_.to_json();
  state.config = config_;
  state.extra = {{"epoch_loss_sum", run.epoch_loss_sum},
                 {"epoch_seen", run.epoch_seen},
                 {"world_size", group_ ? group_->world_size() : 1}};
  return state;
}

void Trainer::save_checkpoint_now(Run& run, std::optional<double> metric) {
  if (!run.checkpoints) return;
  if (is_checkpoint_writer()) {
    last_checkpoint_ = run.checkpoints->save(checkpoint_parts(), training_state(run, metric));
    for (auto& c : callbacks_) c->on_checkpoint(*this, last_checkpoint_);
  } else {
    last_checkpoint_ = run.checkpoints->path_for_step(step_);  // rank 0 writes it
  }
  // Nobody runs ahead of a checkpoint that is still being written.
  if (group_) group_->barrier();
}

void Trainer::try_resume(Run& run) {
  if (!run.checkpoints || !checkpoint_policy_->resume) return;
  std::ostringstream warnings;
  const auto info = run.checkpoints->resume(checkpoint_parts(), warnings);
  if (is_checkpoint_writer() && !warnings.str().empty()) std::cerr << warnings.str() << std::flush;
  if (!info) return;
  const TrainingState& state = info->state;
  history_ = History::from_json(state.history);
  history_.interrupted = false;
  history_.resumed_at_steps.push_back(state.step);
  step_ = state.step;
  run.epochs_done = static_cast<int>(state.epoch);
  run.batch_in_epoch = state.batch_in_epoch;
  run.epoch_loss_sum = state.extra.value("epoch_loss_sum", 0.0);
  run.epoch_seen = state.extra.value("epoch_seen", std::int64_t{0});
  last_checkpoint_ = info->path;
  for (auto& c : callbacks_) c->on_resume(*this, *info);
}

void Trainer::train_step(const TensorData& train, const torch::Tensor& index, const BatchInfo& where, Run& run) {
  // With a process group, this rank's contiguous share of the global batch.
  const std::int64_t global = index.size(0);
  torch::Tensor local = index;
  if (group_ && group_->world_size() > 1) {
    const std::int64_t world = group_->world_size(), rank = group_->rank();
    local = index.slice(0, global * rank / world, global * (rank + 1) / world);
  }
  optimizer_.zero_grad();
  double loss_value = 0.0;
  if (local.size(0) > 0) {
    const torch::Tensor loss = loss_(forward_(train.inputs.index_select(0, local), where),
                                     train.targets.index_select(0, local));
    loss.backward();
    loss_value = loss.item<double>() * static_cast<double>(local.size(0));
  }
  if (group_ && group_->world_size() > 1) {
    // Every rank ends with the gradient of the mean loss over the global batch.
    all_reduce_gradients(*group_, model_.parameters(),
                         static_cast<double>(local.size(0)) / static_cast<double>(global));
    std::vector<torch::Tensor> sums{torch::tensor({loss_value, run.signalled() ? 1.0 : 0.0}, torch::kFloat64)};
    group_->all_reduce_sum(sums);
    loss_value = sums[0][0].item<double>();
    run.interrupt = sums[0][1].item<double>() > 0.0;  // one rank was signalled: all stop at the same step
  } else {
    run.interrupt = run.signalled();
  }
  if (options_.grad_clip_norm > 0.0) clip_gradients(model_, options_.grad_clip_norm);
  optimizer_.step();
  step_ = where.step;
  run.batch_in_epoch = where.batch + 1;
  run.epoch_loss_sum += loss_value;
  run.epoch_seen += global;
  history_.steps.push_back({step_, loss_value / static_cast<double>(global)});
}

bool Trainer::train_epoch(const TensorData& train, int epoch, Run& run) {
  model_.train();
  const std::int64_t n = train.size();
  // One generator per epoch, derived from the seed: the order of epoch k does
  // not depend on how many random numbers anything else drew, and a resumed
  // run rebuilds it without replaying earlier epochs.
  auto generator =
      at::make_generator<at::CPUGeneratorImpl>(options_.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
  const torch::Tensor order = options_.shuffle ? torch::randperm(n, generator, torch::kInt64)
                                               : torch::arange(n, torch::kInt64);
  const std::int64_t batches = (n + options_.batch_size - 1) / options_.batch_size;
  ProgressLine progress("epoch " + std::to_string(epoch) + "/" + std::to_string(options_.epochs), batches,
                        options_.progress && is_checkpoint_writer());
  const bool step_checkpoints = run.checkpoints && checkpoint_policy_->every_steps > 0;
  for (std::int64_t b = run.batch_in_epoch; b < batches; ++b) {
    const torch::Tensor index = order.slice(0, b * options_.batch_size, std::min(n, (b + 1) * options_.batch_size));
    train_step(train, index, BatchInfo{epoch, b, step_ + 1}, run);
    if (progress.enabled()) {
      progress.update(b + 1, "loss " + format_fixed(run.epoch_loss_sum / static_cast<double>(run.epoch_seen), 4));
    }
    const bool last_batch = b + 1 == batches;
    const bool stop = run.interrupt || (options_.max_steps > 0 && step_ >= options_.max_steps);
    if (stop && !last_batch) {
      save_checkpoint_now(run, std::nullopt);
      return false;
    }
    if (step_checkpoints && !last_batch && step_ % checkpoint_policy_->every_steps == 0) {
      save_checkpoint_now(run, std::nullopt);
    }
  }
  return true;
}

History Trainer::fit(const TensorData& train, const std::optional<TensorData>& val) {
  check_data(train, "training");
  if (train.size() == 0) throw std::invalid_argument("Trainer: the training data is empty");
  if (val) check_data(*val, "validation");
  history_ = History{};
  step_ = 0;
  stop_requested_ = false;
  Run run;
  if (checkpoint_policy_) {
    run.checkpoints = std::make_unique<CheckpointDirectory>(
        checkpoint_policy_->directory, checkpoint_policy_->keep_last, checkpoint_policy_->keep_best);
    if (checkpoint_policy_->handle_signals) run.stop_signal = std::make_unique<StopSignal>();
  }
  // Same starting weights on every rank (a resume overwrites them anyway).
  if (group_) broadcast_values(*group_, state_tensors(model_));
  for (auto& c : callbacks_) c->on_train_begin(*this);
  try_resume(run);
  const auto out_of_steps = [&] { return options_.max_steps > 0 && step_ >= options_.max_steps; };
  for (int epoch = run.epochs_done + 1; epoch <= options_.epochs && !stop_requested_; ++epoch) {
    Stopwatch clock;
    EpochLog log;
    log.epoch = epoch;
    log.learning_rate = current_learning_rate(optimizer_);
    if (!train_epoch(train, epoch, run)) {
      history_.interrupted = true;
      break;
    }
    log.train_loss = run.epoch_loss_sum / static_cast<double>(run.epoch_seen);
    if (val && val->size() > 0) {
      log.val_loss = evaluate(*val);
      if (*log.val_loss < history_.best_val_loss) {
        history_.best_val_loss = *log.val_loss;
        history_.best_epoch = epoch;
      }
    }
    log.seconds = clock.seconds();
    history_.epochs.push_back(log);
    run.epochs_done = epoch;
    run.batch_in_epoch = 0;
    run.epoch_loss_sum = 0.0;
    run.epoch_seen = 0;
    if (scheduler_) scheduler_->step();
    for (auto& c : callbacks_) c->on_epoch_end(*this, log);
    const bool stop_now = run.interrupt || out_of_steps();
    const bool interval = run.checkpoints && checkpoint_policy_->every_epochs > 0 &&
                          epoch % checkpoint_policy_->every_epochs == 0;
    const bool step_interval = run.checkpoints && checkpoint_policy_->every_steps > 0 &&
                               step_ % checkpoint_policy_->every_steps == 0;
    if (interval || step_interval || stop_now || (run.checkpoints && epoch == options_.epochs)) {
      save_checkpoint_now(run, log.val_loss ? log.val_loss : std::optional<double>(log.train_loss));
    }
    if (stop_now && epoch < options_.epochs) {
      history_.interrupted = true;
      break;
    }
  }
  history_.stopped_early =
      stop_requested_ && !history_.interrupted && static_cast<int>(history_.epochs.size()) < options_.epochs;
  for (auto& c : callbacks_) c->on_train_end(*this);
  if (group_) group_->barrier();
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
    const torch::Tensor loss =
        loss_(forward_(data.inputs.slice(0, start, end), BatchInfo{}), data.targets.slice(0, start, end));
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
    outputs.push_back(
        forward_(inputs.slice(0, start, std::min(inputs.size(0), start + options_.eval_batch_size)), BatchInfo{}));
  }
  model_.train(was_training);
  if (outputs.empty()) throw std::invalid_argument("Trainer::predict: no inputs");
  return torch::cat(outputs);
}

void LogEpochs::on_resume(Trainer& trainer, const CheckpointInfo& info) {
  out_ << "resumed from " << info.path.string() << " at step " << info.state.step << " (epoch "
       << info.state.epoch + 1 << ", batch " << info.state.batch_in_epoch << ")\n"
       << std::flush;
  (void)trainer;
}

void LogEpochs::on_checkpoint(Trainer& trainer, const std::filesystem::path& path) {
  out_ << "checkpoint " << path.string() << " (step " << trainer.step() << ")\n" << std::flush;
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

void EarlyStopping::on_resume(Trainer& trainer, const CheckpointInfo&) {
  on_train_begin(trainer);
  for (const auto& log : trainer.history().epochs) on_epoch_end(trainer, log);
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

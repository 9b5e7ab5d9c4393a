#pragma once
// Trainer: the epoch/batch loop every example would otherwise write again.
//
//   xt::train::Trainer trainer(*model, forward, optimizer, loss, options);
//   trainer.add_callback(std::make_shared<xt::train::EarlyStopping>(5));
//   xt::train::History history = trainer.fit(train, val);
//
// Batches are drawn from in-memory tensors in an order fixed by options.seed
// and the epoch, so two runs with the same seeds see the same batches, and a
// resumed run can skip straight to where it stopped.
//
// Checkpoints and resumption (see train/checkpointing.h):
//
//   trainer.enable_checkpoints({"runs/lstm", /*every_steps=*/200});
//   trainer.track_engine("sampler", engine);     // RNG streams the forward draws from
//   trainer.fit(train, val);                     // resumes from the newest valid checkpoint
//
// With a ProcessGroup (train/distributed.h) every rank takes its share of
// each global batch, gradients are all-reduced, and rank 0 writes checkpoints
// that any world size can resume from.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <memory>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "xtorch/serialize/checkpoint.h"

namespace xt::train {

class ProcessGroup;

// Inputs and targets with the same first dimension.
struct TensorData {
  torch::Tensor inputs, targets;
  std::int64_t size() const { return inputs.size(0); }
};

struct EpochLog {
  int epoch = 0;  // 1-based
  double train_loss = 0.0;
  std::optional<double> val_loss;
  double seconds = 0.0;
  double learning_rate = 0.0;
};

struct StepLog {
  std::int64_t step = 0;  // 1-based optimizer step
  double loss = 0.0;      // mean over the global batch
};

struct History {
  std::vector<EpochLog> epochs;
  std::vector<StepLog> steps;
  std::vector<std::int64_t> resumed_at_steps;  // the step each resume started after
  int best_epoch = 0;  // epoch with the lowest validation loss (0: none)
  double best_val_loss = std::numeric_limits<double>::infinity();
  bool stopped_early = false;
  bool interrupted = false;  // stopped by a signal or max_steps; resumable

  nlohmann::json to_json() const;
  static History from_json(const nlohmann::json& j);
};

struct TrainerOptions {
  int epochs = 10;
  std::int64_t batch_size = 64;
  std::int64_t eval_batch_size = 2048;
  bool shuffle = true;
  double grad_clip_norm = 0.0;  // clip the global gradient L2 norm; 0 = off
  std::uint64_t seed = 0;       // batch order
  bool progress = true;         // in-place progress line with ETA (only on a terminal)
  std::int64_t max_steps = 0;   // stop (resumably, after a checkpoint) once this many steps are done; 0 = no limit
};

struct CheckpointPolicy {
  std::filesystem::path directory;
  std::int64_t every_steps = 0;  // 0 = off
  int every_epochs = 1;          // 0 = off
  int keep_last = 3;
  bool keep_best = true;         // also keep the epoch checkpoint with the lowest validation (else training) loss
  bool resume = true;            // fit() continues from the newest valid checkpoint in `directory`
  bool handle_signals = true;    // SIGINT/SIGTERM: finish the step, save, return
};

// Where the batch being trained sits in the run (all zero in evaluate() and
// predict()).
struct BatchInfo {
  int epoch = 0;               // 1-based
  std::int64_t batch = 0;      // 0-based, within the epoch
  std::int64_t step = 0;       // 1-based optimizer step this batch is for
};

using ForwardFn = std::function<torch::Tensor(const torch::Tensor& input)>;
// A forward that also sees where it is, e.g. to key counter-based sampling by
// step so that it does not depend on how batches are split across ranks.
using StepForwardFn = std::function<torch::Tensor(const torch::Tensor& input, const BatchInfo& where)>;
using LossFn = std::function<torch::Tensor(const torch::Tensor& prediction, const torch::Tensor& target)>;

class Trainer;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Trainer&) {}
  // After a checkpoint was loaded (history() is the restored one).
  virtual void on_resume(Trainer&, const CheckpointInfo&) {}
  virtual void on_epoch_end(Trainer&, const EpochLog&) {}
  virtual void on_checkpoint(Trainer&, const std::filesystem::path&) {}
  virtual void on_train_end(Trainer&) {}
};

class Trainer {
 public:
  Trainer(torch::nn::Module& model, ForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
          TrainerOptions options = {});
  Trainer(torch::nn::Module& model, StepForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
          TrainerOptions options = {});
  ~Trainer();

  Trainer& add_callback(std::shared_ptr<Callback> callback);
  Trainer& enable_checkpoints(CheckpointPolicy policy);
  // A random engine the forward (or loss) draws from; saved and restored
  // with the checkpoints. torch's default generator always is.
  Trainer& track_engine(const std::string& name, std::mt19937_64& engine);
  // Stepped once per epoch; its position is checkpointed.
  Trainer& set_scheduler(ResumableScheduler& scheduler);
  // Stored in every checkpoint (TrainingState::config).
  Trainer& set_config(nlohmann::json config);
  Trainer& set_process_group(ProcessGroup& group);

  // Trains for options.epochs (or until a callback calls request_stop(), a
  // stop signal arrives or max_steps is reached). With checkpoints enabled
  // and a valid one present, continues from it.
  History fit(const TensorData& train, const std::optional<TensorData>& val = std::nullopt);

  // Mean loss over `data` in eval mode without autograd.
  double evaluate(const TensorData& data);
  // Batched forward in eval mode without autograd.
  torch::Tensor predict(const torch::Tensor& inputs);

  void request_stop() { stop_requested_ = true; }
  torch::nn::Module& model() { return model_; }
  torch::optim::Optimizer& optimizer() { return optimizer_; }
  const History& history() const { return history_; }
  std::int64_t step() const { return step_; }
  // The last checkpoint written or resumed from (empty if none); on every
  // rank of a process group, though rank 0 writes it.
  const std::filesystem::path& last_checkpoint() const { return last_checkpoint_; }

 private:
  struct Run;  // per-fit state
  // Returns false when training must stop now (signal, max_steps, request_stop).
  bool train_epoch(const TensorData& train, int epoch, Run& run);
  void train_step(const TensorData& train, const torch::Tensor& index, const BatchInfo& where, Run& run);
  void save_checkpoint_now(Run& run, std::optional<double> metric);
  CheckpointParts checkpoint_parts();
  TrainingState training_state(const Run& run, std::optional<double> metric) const;
  void try_resume(Run& run);
  bool is_checkpoint_writer() const;

  torch::nn::Module& model_;
  StepForwardFn forward_;
  torch::optim::Optimizer& optimizer_;
  LossFn loss_;
  TrainerOptions options_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::optional<CheckpointPolicy> checkpoint_policy_;
  std::map<std::string, std::mt19937_64*> engines_;
  ResumableScheduler* scheduler_ = nullptr;
  ProcessGroup* group_ = nullptr;
  nlohmann::json config_ = nlohmann::json::object();
  History history_;
  std::int64_t step_ = 0;
  std::filesystem::path last_checkpoint_;
  bool stop_requested_ = false;
};

// Prints one line per epoch: losses, time, learning rate; and a line per
// resume and per checkpoint written.
class LogEpochs : public Callback {
 public:
  explicit LogEpochs(std::ostream& out) : out_(out) {}
  void on_resume(Trainer& trainer, const CheckpointInfo& info) override;
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;
  void on_checkpoint(Trainer& trainer, const std::filesystem::path& path) override;

 private:
  std::ostream& out_;
};

// Stops when the validation loss has not improved by min_delta for
// `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(int patience, double min_delta = 0.0) : patience_(patience), min_delta_(min_delta) {}
  void on_train_begin(Trainer&) override;
  void on_resume(Trainer& trainer, const CheckpointInfo&) override;  // replays the restored history
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;

 private:
  int patience_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::infinity();
  int bad_epochs_ = 0;
};

// Keeps a copy of the weights from the epoch with the best validation loss
// and puts them back when training ends. After a resume it only knows the
// epochs since; the best checkpoint (CheckpointPolicy::keep_best) holds the
// best weights of the whole run.
class RestoreBestWeights : public Callback {
 public:
  void on_train_begin(Trainer&) override;
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;
  void on_train_end(Trainer& trainer) override;

 private:
  double best_ = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state_;  // parameters then buffers
};

// Clips the global L2 norm of the model's gradients; returns the norm before
// clipping.
double clip_gradients(torch::nn::Module& model, double max_norm);

}  // namespace xt::train

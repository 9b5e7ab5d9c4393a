#pragma once
// Trainer: the epoch/batch loop every example would otherwise write again.
//
//   xt::train::Trainer trainer(*model, forward, optimizer, loss, options);
//   trainer.add_callback(std::make_shared<xt::train::EarlyStopping>(5));
//   xt::train::History history = trainer.fit(train, val);
//
// Batches are drawn from in-memory tensors in an order fixed by options.seed,
// so two runs with the same seeds see the same batches.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace xt::train {

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

struct History {
  std::vector<EpochLog> epochs;
  int best_epoch = 0;  // epoch with the lowest validation loss (0: none)
  double best_val_loss = std::numeric_limits<double>::infinity();
  bool stopped_early = false;

  nlohmann::json to_json() const;
};

struct TrainerOptions {
  int epochs = 10;
  std::int64_t batch_size = 64;
  std::int64_t eval_batch_size = 2048;
  bool shuffle = true;
  double grad_clip_norm = 0.0;  // clip the global gradient L2 norm; 0 = off
  std::uint64_t seed = 0;       // batch order
  bool progress = true;         // in-place progress line with ETA (only on a terminal)
};

using ForwardFn = std::function<torch::Tensor(const torch::Tensor& input)>;
using LossFn = std::function<torch::Tensor(const torch::Tensor& prediction, const torch::Tensor& target)>;

class Trainer;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Trainer&) {}
  virtual void on_epoch_end(Trainer&, const EpochLog&) {}
  virtual void on_train_end(Trainer&) {}
};

class Trainer {
 public:
  Trainer(torch::nn::Module& model, ForwardFn forward, torch::optim::Optimizer& optimizer, LossFn loss,
          TrainerOptions options = {});

  Trainer& add_callback(std::shared_ptr<Callback> callback);

  // Trains for options.epochs (or until a callback calls request_stop()).
  History fit(const TensorData& train, const std::optional<TensorData>& val = std::nullopt);

  // Mean loss over `data` in eval mode without autograd.
  double evaluate(const TensorData& data);
  // Batched forward in eval mode without autograd.
  torch::Tensor predict(const torch::Tensor& inputs);

  void request_stop() { stop_requested_ = true; }
  torch::nn::Module& model() { return model_; }
  torch::optim::Optimizer& optimizer() { return optimizer_; }
  const History& history() const { return history_; }

 private:
  double train_epoch(const TensorData& train, int epoch);

  torch::nn::Module& model_;
  ForwardFn forward_;
  torch::optim::Optimizer& optimizer_;
  LossFn loss_;
  TrainerOptions options_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  History history_;
  bool stop_requested_ = false;
};

// Prints one line per epoch: losses, time, learning rate.
class LogEpochs : public Callback {
 public:
  explicit LogEpochs(std::ostream& out) : out_(out) {}
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;

 private:
  std::ostream& out_;
};

// Stops when the validation loss has not improved by min_delta for
// `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(int patience, double min_delta = 0.0) : patience_(patience), min_delta_(min_delta) {}
  void on_train_begin(Trainer&) override;
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;

 private:
  int patience_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::infinity();
  int bad_epochs_ = 0;
};

// Keeps a copy of the weights from the epoch with the best validation loss
// and puts them back when training ends.
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

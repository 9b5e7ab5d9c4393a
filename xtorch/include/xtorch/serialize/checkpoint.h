#pragma once
// Training checkpoints: everything a run needs to continue exactly where it
// stopped, in one crash-safe file.
//
//   xt::CheckpointParts parts{model};
//   parts.optimizer = &optimizer;            // state *and* param-group options (lr, betas, ...)
//   parts.scheduler = &scheduler;            // xt::Resumable<torch::optim::StepLR>
//   parts.engines["sampler"] = &engine;      // any std::mt19937_64 the run draws from
//   xt::save_checkpoint("run/step-100.xtckpt", parts, state);
//   xt::TrainingState state = xt::load_checkpoint("run/step-100.xtckpt", parts);
//
// LibTorch's own optimizer serialization drops param-group options such as
// the learning rate on load (fixed upstream in pytorch PR #125215, after
// 1.13), and it knows nothing of RNG streams or data position; this file
// stores them all. torch's default CPU generator is always saved.
//
// File layout: a text line "xtorch-checkpoint 1", one line of JSON (the
// header: TrainingState, payload size and SHA-256, model type and config),
// then the payload, a LibTorch archive with the tensors. A reader checks the
// size and checksum before touching any tensor, so a truncated or bit-flipped
// file is rejected with a message naming the file and the problem.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/optim/schedulers/lr_scheduler.h>

namespace xt {

// Where a run is, beyond its tensors.
struct TrainingState {
  std::int64_t epoch = 0;           // completed epochs
  std::int64_t step = 0;            // optimizer steps taken
  std::int64_t batch_in_epoch = 0;  // batches of the current epoch already done (the data position)
  std::optional<double> metric;     // what "best" is judged on; lower is better
  nlohmann::json history = nlohmann::json::object();  // the trainer's log so far
  nlohmann::json config = nlohmann::json::object();   // the run's settings, for the caller to compare on resume
  nlohmann::json extra = nlohmann::json::object();    // anything else the caller wants back

  nlohmann::json to_json() const;
  static TrainingState from_json(const nlohmann::json& j);
};

// A LibTorch LR scheduler whose position can be saved. LibTorch's schedulers
// keep their step count in a protected member and cannot be serialized;
// xt::Resumable<torch::optim::StepLR> is the same scheduler with that exposed.
class ResumableScheduler {
 public:
  virtual ~ResumableScheduler() = default;
  virtual void step() = 0;
  virtual unsigned step_count() const = 0;
  virtual void set_step_count(unsigned count) = 0;
};

template <class Scheduler>
class Resumable : public Scheduler, public ResumableScheduler {
 public:
  using Scheduler::Scheduler;
  void step() override { Scheduler::step(); }
  unsigned step_count() const override { return this->step_count_; }
  void set_step_count(unsigned count) override { this->step_count_ = count; }
};

// What save_checkpoint writes and load_checkpoint restores in place. Only the
// model is required; the model's parameters and buffers are matched by name.
struct CheckpointParts {
  explicit CheckpointParts(torch::nn::Module& m) : model(m) {}
  torch::nn::Module& model;
  torch::optim::Optimizer* optimizer = nullptr;
  ResumableScheduler* scheduler = nullptr;
  std::map<std::string, std::mt19937_64*> engines;
  bool torch_generator = true;  // torch's default CPU generator (dropout, randperm, init)
};

// The header of a checkpoint, read and verified without loading tensors.
struct CheckpointInfo {
  std::filesystem::path path;
  TrainingState state;
  std::string model_type;      // from an xt::nn::DescribedModule; empty otherwise
  nlohmann::json model_config;  // ditto
  std::uint64_t payload_bytes = 0;
  std::string payload_sha256;
  std::uintmax_t file_bytes = 0;
};

// Writes atomically (temporary file, fsync, rename, fsync of the directory):
// an interrupted save leaves the previous file at `path` untouched.
void save_checkpoint(const std::filesystem::path& path, const CheckpointParts& parts, const TrainingState& state);

// Verifies the file (magic, header, size, SHA-256) and restores every part in
// `parts`. Throws xt::SerializationError naming the file and the problem:
// truncated, checksum mismatch, a parameter missing or of another shape, an
// optimizer or engine the file does not have.
TrainingState load_checkpoint(const std::filesystem::path& path, const CheckpointParts& parts);

// Reads the header and, with verify_payload, checks size and checksum (which
// reads the whole file); no tensors are loaded.
CheckpointInfo inspect_checkpoint(const std::filesystem::path& path, bool verify_payload = true);

}  // namespace xt

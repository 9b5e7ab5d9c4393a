#pragma once
// Data-parallel training on PyTorch's own collective engine, c10d: a Gloo
// process group over TCP, rendezvous through a TCPStore hosted by rank 0.
//
//   // torchrun-style: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//   if (auto config = xt::train::DistributedConfig::from_environment()) {
//     xt::train::ProcessGroup group(*config);
//     trainer.set_process_group(group);   // gradients all-reduced every step
//   }
//
// Gloo runs on CPU and plain TCP, so two processes on one laptop work the
// same way as two machines. (The c10d headers need the Gloo headers, which
// stay inside the library: this header does not include them.)

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace xt::train {

struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::chrono::seconds timeout{120};

  // From RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (MASTER_ADDR defaults
  // to 127.0.0.1, MASTER_PORT to 29500). nullopt when WORLD_SIZE is unset;
  // std::invalid_argument naming the variable when one is malformed.
  static std::optional<DistributedConfig> from_environment();
};

class ProcessGroup {
 public:
  // Blocks until all world_size processes have joined (or the timeout).
  explicit ProcessGroup(const DistributedConfig& config);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

  // In place, on every rank.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
};

// Sums the gradients of `parameters` over all ranks in one all-reduce (they
// are flattened into one buffer). Each rank scales its gradients by `weight`
// first; with weight = local batch / global batch, every rank ends with the
// gradient of the mean loss over the global batch.
void all_reduce_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters, double weight);

// Copies rank `root`'s values of `tensors` to every rank (e.g. initial weights).
void broadcast_values(ProcessGroup& group, const std::vector<torch::Tensor>& tensors, int root = 0);

}  // namespace xt::train

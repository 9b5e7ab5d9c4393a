#include "xtorch/train/distributed.h"

#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <cstdlib>
#include <stdexcept>

namespace xt::train {
namespace {

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

int integer_variable(const char* name, const std::string& value, int min, int max) {
  std::size_t used = 0;
  int parsed = 0;
  try {
    parsed = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || parsed < min || parsed > max) {
    throw std::invalid_argument(std::string(name) + "='" + value + "' is not an integer in [" + std::to_string(min) +
                                ", " + std::to_string(max) + "]");
  }
  return parsed;
}

}  // namespace

std::optional<DistributedConfig> DistributedConfig::from_environment() {
  const auto world = environment("WORLD_SIZE");
  if (!world) return std::nullopt;
  DistributedConfig config;
  config.world_size = integer_variable("WORLD_SIZE", *world, 1, 65535);
  const auto rank = environment("RANK");
  if (!rank) throw std::invalid_argument("WORLD_SIZE is set but RANK is not");
  config.rank = integer_variable("RANK", *rank, 0, config.world_size - 1);
  if (auto addr = environment("MASTER_ADDR")) config.master_addr = *addr;
  if (auto port = environment("MASTER_PORT")) config.master_port = integer_variable("MASTER_PORT", *port, 1, 65535);
  return config;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedConfig& config)
    : impl_(std::make_unique<Impl>()), rank_(config.rank), world_size_(config.world_size) {
  if (config.world_size < 1 || config.rank < 0 || config.rank >= config.world_size) {
    throw std::invalid_argument("ProcessGroup: rank " + std::to_string(config.rank) + " is not in a world of " +
                                std::to_string(config.world_size));
  }
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(config.master_port);
  store_options.isServer = config.rank == 0;
  store_options.numWorkers = static_cast<std::size_t>(config.world_size);
  store_options.timeout = config.timeout;
  const std::string where = config.master_addr + ":" + std::to_string(config.master_port);
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(config.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create(config.timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(config.master_addr));
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, config.rank, config.world_size, options);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(config.rank) + " could not join the process group at " + where +
                             ": " + e.what());
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (world_size_ == 1) return;
  impl_->group->allreduce(tensors)->wait();
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  if (world_size_ == 1) return;
  c10d::BroadcastOptions options;
  options.rootRank = root;
  impl_->group->broadcast(tensors, options)->wait();
}

void ProcessGroup::barrier() {
  if (world_size_ == 1) return;
  impl_->group->barrier()->wait();
}

void all_reduce_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters, double weight) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    grads.push_back(p.grad().defined() ? p.grad().reshape(-1) : torch::zeros({p.numel()}, p.options()));
  }
  if (grads.empty()) return;
  std::vector<torch::Tensor> flat{torch::cat(grads).mul_(weight)};
  group.all_reduce_sum(flat);
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (const auto& p : parameters) {
    const std::int64_t n = p.numel();
    torch::Tensor reduced = flat[0].slice(0, offset, offset + n).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(reduced);
    } else {
      p.mutable_grad() = reduced.clone();
    }
    offset += n;
  }
}

void broadcast_values(ProcessGroup& group, const std::vector<torch::Tensor>& tensors, int root) {
  if (group.world_size() == 1 || tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape(-1).to(torch::kFloat64));
  std::vector<torch::Tensor> buffer{torch::cat(flat)};
  group.broadcast(buffer, root);
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(buffer[0].slice(0, offset, offset + t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace xt::train

// A small training job for the crash and distributed tests: a regression MLP
// with dropout (torch's RNG) and input noise from a tracked std::mt19937_64,
// an LR schedule, and a checkpoint every step. The tests kill it with
// SIGKILL at random moments, run it as two Gloo ranks, and compare weights.
//
//   checkpoint_worker --dir D --out weights.pt [--max-steps N] [--epochs E]
//                     [--optimizer adam|sgd] [--lr X] [--dropout P] [--ballast-mb M]
//                     [--progress-log F] [--kill-self-during-write N]
//   (WORLD_SIZE / RANK / MASTER_ADDR / MASTER_PORT make it one rank of a group.)

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <iostream>
#include <random>
#include <thread>

#include "xtorch/xtorch.h"

namespace {

struct MlpImpl : torch::nn::Module {
  MlpImpl(double dropout_p, std::int64_t ballast_mb) : dropout(dropout_p) {
    hidden = register_module("hidden", torch::nn::Linear(8, 64));
    out = register_module("out", torch::nn::Linear(64, 1));
    // Dead weight that makes each checkpoint write take a while, so random
    // kills often land in the middle of one.
    if (ballast_mb > 0) register_buffer("ballast", torch::rand({ballast_mb * 262144}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return out(torch::dropout(torch::relu(hidden(x)), dropout, is_training()));
  }
  double dropout;
  torch::nn::Linear hidden{nullptr}, out{nullptr};
};
TORCH_MODULE(Mlp);

// Appends "<step>\n" with a raw write: nothing sits in a buffer when SIGKILL comes.
class ProgressLog : public xt::train::Callback {
 public:
  explicit ProgressLog(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644)) {}
  ~ProgressLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void on_checkpoint(xt::train::Trainer& trainer, const std::filesystem::path&) override {
    const std::string line = std::to_string(trainer.step()) + "\n";
    if (fd_ >= 0 && ::write(fd_, line.data(), line.size()) < 0) std::perror("progress log");
  }

 private:
  int fd_;
};

// Watches `dir` and SIGKILLs this process the moment the n-th temporary
// checkpoint file appears: a crash in the middle of a checkpoint write.
void kill_self_during_write(const std::filesystem::path& dir, int n) {
  std::filesystem::create_directories(dir);
  const int fd = inotify_init();
  if (fd < 0 || inotify_add_watch(fd, dir.c_str(), IN_CREATE) < 0) throw std::runtime_error("inotify failed");
  std::thread([fd, n] {
    alignas(inotify_event) char buffer[4096];
    int seen = 0;
    for (;;) {
      const ssize_t length = ::read(fd, buffer, sizeof buffer);
      for (ssize_t at = 0; at < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        if (event->len > 0 && std::string(event->name).find(".tmp-") != std::string::npos && ++seen == n) {
          ::kill(::getpid(), SIGKILL);
        }
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Checkpointed toy training for the crash and distributed tests."};
  std::string dir, out, optimizer_name = "adam", progress_log, initial_out;
  std::int64_t max_steps = 0, every_steps = 1, ballast_mb = 0;
  int kill_during_write = 0;
  int epochs = 6;
  double lr = 0.01, dropout = 0.2;
  app.add_option("--dir", dir, "Checkpoint directory")->required();
  app.add_option("--out", out, "Final weights (xt::save_tensors)")->required();
  app.add_option("--initial-out", initial_out, "Weights before training");
  app.add_option("--max-steps", max_steps, "Stop (resumably) after this many steps");
  app.add_option("--every-steps", every_steps, "Checkpoint interval");
  app.add_option("--epochs", epochs, "Epochs");
  app.add_option("--optimizer", optimizer_name)->check(CLI::IsMember({"adam", "sgd"}));
  app.add_option("--lr", lr);
  app.add_option("--dropout", dropout);
  app.add_option("--ballast-mb", ballast_mb, "An unused buffer of this size in every checkpoint");
  app.add_option("--kill-self-during-write", kill_during_write, "SIGKILL itself inside the n-th checkpoint write");
  app.add_option("--progress-log", progress_log, "Append each checkpointed step here");
  CLI11_PARSE(app, argc, argv);
  try {
    if (kill_during_write > 0) kill_self_during_write(dir, kill_during_write);
    const auto distributed = xt::train::DistributedConfig::from_environment();
    std::unique_ptr<xt::train::ProcessGroup> group;
    if (distributed) group = std::make_unique<xt::train::ProcessGroup>(*distributed);

    // Data: y = sum of a fixed projection of x, plus noise; 480 rows.
    torch::manual_seed(7);
    const torch::Tensor x = torch::randn({480, 8});
    const torch::Tensor y = x.matmul(torch::linspace(-1, 1, 8)).unsqueeze(1) + 0.1 * torch::randn({480, 1});

    torch::manual_seed(1);
    Mlp model(dropout, ballast_mb);
    if (!initial_out.empty()) xt::save_tensors(initial_out, {{"hidden.weight", model->hidden->weight.clone()}});
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (optimizer_name == "adam") {
      optimizer = std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(lr));
    } else {
      optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(lr));
    }
    xt::Resumable<torch::optim::StepLR> scheduler(*optimizer, 2, 0.5);
    std::mt19937_64 noise_engine(99);
    const auto forward = [&](const torch::Tensor& input) {
      // Input jitter drawn from the tracked engine (one draw per batch).
      std::normal_distribution<double> normal(0.0, 0.01);
      return model->forward(input + normal(noise_engine));
    };
    xt::train::TrainerOptions options;
    options.epochs = epochs;
    options.batch_size = 32;
    options.seed = 3;
    options.max_steps = max_steps;
    options.progress = false;
    xt::train::Trainer trainer(*model, forward, *optimizer,
                               [](const torch::Tensor& p, const torch::Tensor& t) { return torch::mse_loss(p, t); },
                               options);
    xt::train::CheckpointPolicy policy;
    policy.directory = dir;
    policy.every_steps = every_steps;
    trainer.enable_checkpoints(policy).track_engine("noise", noise_engine).set_scheduler(scheduler);
    if (group) trainer.set_process_group(*group);
    trainer.add_callback(std::make_shared<xt::train::LogEpochs>(std::cout));
    if (!progress_log.empty()) trainer.add_callback(std::make_shared<ProgressLog>(progress_log));
    const auto history = trainer.fit({x, y});
    if (!group || group->rank() == 0) {
      std::map<std::string, torch::Tensor> weights;
      for (const auto& p : model->named_parameters()) weights[p.key()] = p.value().detach().clone();
      xt::save_tensors(out, weights);
    }
    std::cout << "done at step " << trainer.step() << (history.interrupted ? " (interrupted)" : "") << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

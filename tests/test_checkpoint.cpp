// Checkpoints: round trip of every part, corrupt and truncated files, the
// retention policy, Trainer resume (bit-exact), signals, the model registry.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "test_util.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/nn/registry.h"
#include "xtorch/serialize/checkpoint.h"
#include "xtorch/train/checkpointing.h"
#include "xtorch/train/trainer.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/sha256.h"

namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using xt::testing::TempDir;

xt::nn::LSTMForecasterConfig small_forecaster() {
  xt::nn::LSTMForecasterConfig c;
  c.input_features = 3;
  c.hidden_size = 8;
  c.num_layers = 1;
  c.horizon = 2;
  return c;
}

// Adam a few steps in, so its state (moments, step count) is not empty.
void take_steps(xt::nn::LSTMForecaster& model, torch::optim::Optimizer& optimizer, int steps) {
  for (int i = 0; i < steps; ++i) {
    optimizer.zero_grad();
    model->forward(torch::randn({4, 5, 3})).pow(2).mean().backward();
    optimizer.step();
  }
}

std::string serialization_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const xt::SerializationError& e) {
    return e.what();
  }
  return "no SerializationError";
}

std::string read_bytes(const fs::path& p) { return xt::read_file(p); }
void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

struct Saved {
  fs::path path;
  xt::TrainingState state;
};

// Writes a checkpoint of a forecaster with every part in use.
Saved save_full_checkpoint(const fs::path& dir, xt::nn::LSTMForecaster& model, torch::optim::Adam& optimizer,
                           xt::Resumable<torch::optim::StepLR>& scheduler, std::mt19937_64& engine) {
  take_steps(model, optimizer, 3);
  scheduler.step();
  scheduler.step();
  scheduler.step();  // step_size 2, gamma 0.5: lr 0.01 -> 0.005
  engine.discard(1234);
  torch::rand({17});  // move torch's generator too
  Saved saved;
  saved.path = dir / "run.xtckpt";
  saved.state.epoch = 4;
  saved.state.step = 123;
  saved.state.batch_in_epoch = 7;
  saved.state.metric = 0.25;
  saved.state.history = {{"loss", {1.0, 0.5}}};
  saved.state.config = {{"lr", 0.01}};
  saved.state.extra = {{"sampler", "position 7"}};
  xt::CheckpointParts parts(*model);
  parts.optimizer = &optimizer;
  parts.scheduler = &scheduler;
  parts.engines["sampler"] = &engine;
  xt::save_checkpoint(saved.path, parts, saved.state);
  return saved;
}

TEST(Checkpoint, RoundTripRestoresEveryPart) {
  TempDir dir;
  torch::manual_seed(0);
  xt::nn::LSTMForecaster model(small_forecaster());
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01).betas({0.8, 0.9}));
  xt::Resumable<torch::optim::StepLR> scheduler(optimizer, 2, 0.5);
  std::mt19937_64 engine(5);
  const Saved saved = save_full_checkpoint(dir.path(), model, optimizer, scheduler, engine);
  const std::uint64_t engine_next = engine();
  const torch::Tensor torch_next = torch::rand({5});

  // A fresh process: new objects with other options and another RNG state.
  torch::manual_seed(42);
  xt::nn::LSTMForecaster restored(small_forecaster());
  torch::optim::Adam restored_optimizer(restored->parameters(), torch::optim::AdamOptions(0.1));
  xt::Resumable<torch::optim::StepLR> restored_scheduler(restored_optimizer, 2, 0.5);
  std::mt19937_64 restored_engine(0);
  xt::CheckpointParts parts(*restored);
  parts.optimizer = &restored_optimizer;
  parts.scheduler = &restored_scheduler;
  parts.engines["sampler"] = &restored_engine;
  const xt::TrainingState state = xt::load_checkpoint(saved.path, parts);

  EXPECT_EQ(state.to_json(), saved.state.to_json());
  // Param-group options, which LibTorch 1.13's own load leaves as they were.
  const auto& options = static_cast<const torch::optim::AdamOptions&>(restored_optimizer.param_groups()[0].options());
  EXPECT_DOUBLE_EQ(options.lr(), 0.005);
  EXPECT_DOUBLE_EQ(std::get<0>(options.betas()), 0.8);
  EXPECT_EQ(restored_scheduler.step_count(), 3u);
  EXPECT_EQ(restored_engine(), engine_next);
  EXPECT_TRUE(torch::equal(torch::rand({5}), torch_next));
  const auto a = model->parameters(), b = restored->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));

  // Optimizer state: one more identical step keeps them identical; the
  // scheduler goes on from the same place.
  torch::manual_seed(3);
  take_steps(model, optimizer, 1);
  torch::manual_seed(3);
  take_steps(restored, restored_optimizer, 1);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  scheduler.step();
  restored_scheduler.step();
  EXPECT_DOUBLE_EQ(restored_optimizer.param_groups()[0].options().get_lr(),
                   optimizer.param_groups()[0].options().get_lr());
}

TEST(Checkpoint, DamagedFilesAreRejectedWithTheProblemNamed) {
  TempDir dir;
  xt::nn::LSTMForecaster model(small_forecaster());
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));
  xt::Resumable<torch::optim::StepLR> scheduler(optimizer, 2, 0.5);
  std::mt19937_64 engine(5);
  const Saved saved = save_full_checkpoint(dir.path(), model, optimizer, scheduler, engine);
  const std::string good = read_bytes(saved.path);
  xt::CheckpointParts parts(*model);
  const fs::path damaged = dir.path() / "damaged.xtckpt";

  write_bytes(damaged, good.substr(0, good.size() / 2));
  EXPECT_THAT(serialization_error_of([&] { xt::load_checkpoint(damaged, parts); }),
              ::testing::AllOf(HasSubstr("damaged.xtckpt"), HasSubstr("truncated at"), HasSubstr("expected")));

  std::string flipped = good;
  flipped[flipped.size() - 100] = static_cast<char>(flipped[flipped.size() - 100] ^ 0x10);
  write_bytes(damaged, flipped);
  EXPECT_THAT(serialization_error_of([&] { xt::load_checkpoint(damaged, parts); }), HasSubstr("checksum mismatch"));

  write_bytes(damaged, good + "junk");
  EXPECT_THAT(serialization_error_of([&] { xt::inspect_checkpoint(damaged); }), HasSubstr("unexpected bytes"));

  write_bytes(damaged, "PK\x03\x04 a zip, not a checkpoint");
  EXPECT_THAT(serialization_error_of([&] { xt::inspect_checkpoint(damaged); }), HasSubstr("not an xtorch checkpoint"));

  EXPECT_THAT(serialization_error_of([&] { xt::inspect_checkpoint(dir.path() / "missing.xtckpt"); }),
              HasSubstr("does not exist"));

  // A checkpoint of another configuration names the parameter.
  auto other_config = small_forecaster();
  other_config.hidden_size = 16;
  xt::nn::LSTMForecaster other(other_config);
  xt::CheckpointParts other_parts(*other);
  EXPECT_THAT(serialization_error_of([&] { xt::load_checkpoint(saved.path, other_parts); }),
              ::testing::AllOf(HasSubstr("parameter 'lstm.weight_ih_l0'"), HasSubstr("another model configuration")));

  // Asking for a part the file does not have.
  std::mt19937_64 unknown;
  parts.engines["walks"] = &unknown;
  EXPECT_THAT(serialization_error_of([&] { xt::load_checkpoint(saved.path, parts); }),
              HasSubstr("no random engine named 'walks'"));
}

TEST(Checkpoint, RegistryRebuildsTheModelFromTheFileAlone) {
  TempDir dir;
  xt::nn::LSTMForecaster model(small_forecaster());
  xt::save_checkpoint(dir.path() / "m.xtckpt", xt::CheckpointParts(*model), {});
  const auto rebuilt = xt::nn::load_checkpoint_model(dir.path() / "m.xtckpt");
  ASSERT_EQ(rebuilt->model_type(), "LSTMForecaster");
  auto* forecaster = dynamic_cast<xt::nn::LSTMForecasterImpl*>(rebuilt.get());
  ASSERT_NE(forecaster, nullptr);
  const torch::Tensor x = torch::randn({2, 5, 3});
  model->eval();
  forecaster->eval();
  EXPECT_TRUE(torch::equal(model->forward(x), forecaster->forward(x)));

  xt::nn::ModelRegistry empty;
  EXPECT_THAT(serialization_error_of([&] { xt::nn::load_checkpoint_model(dir.path() / "m.xtckpt", empty); }),
              HasSubstr("unknown model type 'LSTMForecaster'"));
}

// ---- the directory and its retention policy ----

void save_step(xt::train::CheckpointDirectory& directory, torch::nn::Module& model, std::int64_t step,
               std::optional<double> metric) {
  xt::TrainingState state;
  state.step = step;
  state.metric = metric;
  directory.save(xt::CheckpointParts(model), state);
}

std::vector<std::string> names(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.filename().string());
  return out;
}

TEST(CheckpointDirectory, KeepsTheLastKAndTheBest) {
  TempDir dir;
  torch::nn::Linear model(2, 1);
  xt::train::CheckpointDirectory directory(dir.path() / "run", 3);
  const std::vector<double> metrics = {5, 1, 4, 3, 6, 7};
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    save_step(directory, *model, static_cast<std::int64_t>(i + 1), metrics[i]);
  }
  EXPECT_EQ(names(directory.list()),
            (std::vector<std::string>{"step-000000002.xtckpt", "step-000000004.xtckpt", "step-000000005.xtckpt",
                                      "step-000000006.xtckpt"}));
  EXPECT_EQ(directory.best()->filename(), "step-000000002.xtckpt");
}

TEST(CheckpointDirectory, ResumeSkipsCorruptFilesWithAWarningAndClearsStaleTemporaries) {
  TempDir dir;
  torch::nn::Linear model(2, 1);
  const fs::path run = dir.path() / "run";
  {
    xt::train::CheckpointDirectory directory(run, 5);
    for (int step = 1; step <= 3; ++step) save_step(directory, *model, step, std::nullopt);
  }
  // The newest is cut short, as by a disk filling up after the rename (a
  // crash before the rename leaves only a temporary file, like this one).
  const fs::path newest = run / "step-000000003.xtckpt";
  const std::string bytes = read_bytes(newest);
  write_bytes(newest, bytes.substr(0, bytes.size() - 10));
  write_bytes(run / ".step-000000004.xtckpt.tmp-123-abc", "half");

  xt::train::CheckpointDirectory directory(run, 5);
  EXPECT_FALSE(fs::exists(run / ".step-000000004.xtckpt.tmp-123-abc"));
  std::ostringstream warnings;
  const auto info = directory.latest_valid(warnings);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state.step, 2);
  EXPECT_THAT(warnings.str(), ::testing::AllOf(HasSubstr("skipping"), HasSubstr("step-000000003.xtckpt"),
                                               HasSubstr("truncated")));
}

// A model that cannot describe itself: the save fails half way.
struct Undescribable : xt::nn::DescribedModule {
  Undescribable() { register_parameter("w", torch::ones({2})); }
  std::string model_type() const override { return "Undescribable"; }
  nlohmann::json config() const override { throw std::runtime_error("config unavailable"); }
};

TEST(CheckpointDirectory, AFailedSaveKeepsThePreviousFile) {
  TempDir dir;
  torch::nn::Linear model(2, 1);
  const fs::path path = dir.path() / "c.xtckpt";
  xt::save_checkpoint(path, xt::CheckpointParts(*model), {});
  const std::string before = xt::sha256_hex(read_bytes(path));
  Undescribable broken;
  EXPECT_THROW(xt::save_checkpoint(path, xt::CheckpointParts(broken), {}), std::runtime_error);
  EXPECT_EQ(xt::sha256_hex(read_bytes(path)), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);  // no stray temporary
  EXPECT_NO_THROW(xt::load_checkpoint(path, xt::CheckpointParts(*model)));
}

// ---- Trainer: interrupted + resumed == uninterrupted, bit for bit ----

struct ToyRun {
  std::vector<torch::Tensor> weights;
  xt::train::History history;
};

// Dropout (torch's RNG), input noise from a tracked engine, an LR schedule.
ToyRun train_toy(const fs::path& dir, std::int64_t max_steps, std::int64_t every_steps = 4) {
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({200, 4});
  const torch::Tensor y = x.sum(1, true);
  torch::manual_seed(1);
  torch::nn::Sequential model(torch::nn::Linear(4, 16), torch::nn::ReLU(), torch::nn::Dropout(0.3),
                              torch::nn::Linear(16, 1));
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.02));
  xt::Resumable<torch::optim::StepLR> scheduler(optimizer, 1, 0.7);
  std::mt19937_64 engine(11);
  const auto forward = [&](const torch::Tensor& input) {
    std::uniform_real_distribution<double> jitter(-0.01, 0.01);
    return model->forward(input + jitter(engine));
  };
  xt::train::TrainerOptions options;
  options.epochs = 4;
  options.batch_size = 32;
  options.seed = 5;
  options.max_steps = max_steps;
  options.progress = false;
  xt::train::Trainer trainer(*model, forward, optimizer,
                             [](const torch::Tensor& p, const torch::Tensor& t) { return torch::mse_loss(p, t); },
                             options);
  xt::train::CheckpointPolicy policy;
  policy.directory = dir;
  policy.every_steps = every_steps;
  trainer.enable_checkpoints(policy).track_engine("jitter", engine).set_scheduler(scheduler);
  ToyRun run;
  run.history = trainer.fit({x, y}, xt::train::TensorData{x.slice(0, 0, 50), y.slice(0, 0, 50)});
  for (const auto& p : model->parameters()) run.weights.push_back(p.detach().clone());
  return run;
}

TEST(TrainerResume, InterruptedAndResumedEqualsUninterruptedBitForBit) {
  TempDir dir;
  const ToyRun reference = train_toy(dir.path() / "reference", 0);
  ASSERT_EQ(reference.history.steps.size(), 28u);  // 4 epochs x 7 batches

  // Stop mid-epoch (step 10 = epoch 2, batch 3), then twice more, resuming each time.
  const fs::path run = dir.path() / "interrupted";
  EXPECT_TRUE(train_toy(run, 10).history.interrupted);
  EXPECT_TRUE(train_toy(run, 17).history.interrupted);
  const ToyRun resumed = train_toy(run, 0);
  EXPECT_FALSE(resumed.history.interrupted);
  EXPECT_EQ(resumed.history.resumed_at_steps, (std::vector<std::int64_t>{10, 17}));
  ASSERT_EQ(resumed.weights.size(), reference.weights.size());
  for (std::size_t i = 0; i < reference.weights.size(); ++i) {
    EXPECT_TRUE(torch::equal(resumed.weights[i], reference.weights[i])) << "parameter " << i;
  }
  // The logs agree too: every step's loss and every epoch's mean.
  ASSERT_EQ(resumed.history.steps.size(), reference.history.steps.size());
  for (std::size_t i = 0; i < reference.history.steps.size(); ++i) {
    EXPECT_EQ(resumed.history.steps[i].loss, reference.history.steps[i].loss) << "step " << i + 1;
  }
  for (std::size_t e = 0; e < reference.history.epochs.size(); ++e) {
    EXPECT_EQ(resumed.history.epochs[e].train_loss, reference.history.epochs[e].train_loss);
    EXPECT_EQ(resumed.history.epochs[e].val_loss, reference.history.epochs[e].val_loss);
    EXPECT_EQ(resumed.history.epochs[e].learning_rate, reference.history.epochs[e].learning_rate);
  }
  EXPECT_EQ(resumed.history.best_epoch, reference.history.best_epoch);
}

TEST(TrainerResume, SigtermFinishesTheStepSavesAndReturns) {
  TempDir dir;
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({64, 2}), y = torch::randn({64, 1});
  torch::nn::Linear model(2, 1);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  xt::train::TrainerOptions options;
  options.epochs = 3;
  options.batch_size = 8;
  options.progress = false;
  int calls = 0;
  xt::train::Trainer trainer(
      *model,
      [&](const torch::Tensor& input) {
        if (++calls == 5) std::raise(SIGTERM);  // arrives in the middle of step 5
        return model->forward(input);
      },
      optimizer, [](const torch::Tensor& p, const torch::Tensor& t) { return torch::mse_loss(p, t); }, options);
  xt::train::CheckpointPolicy policy;
  policy.directory = dir.path();
  policy.every_epochs = 0;
  trainer.enable_checkpoints(policy);
  const auto history = trainer.fit({x, y});
  EXPECT_TRUE(history.interrupted);
  EXPECT_EQ(trainer.step(), 5);
  EXPECT_EQ(trainer.last_checkpoint().filename(), "step-000000005.xtckpt");
  EXPECT_EQ(xt::inspect_checkpoint(trainer.last_checkpoint()).state.batch_in_epoch, 5);
  // The handler is gone again: SIGTERM's disposition is back to the default.
  struct sigaction current {};
  sigaction(SIGTERM, nullptr, &current);
  EXPECT_EQ(current.sa_handler, SIG_DFL);
}

}  // namespace

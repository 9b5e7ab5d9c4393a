// Trainer: learns, stops early, restores the best weights, is repeatable.

#include <gtest/gtest.h>

#include <sstream>

#include "xtorch/train/trainer.h"

using namespace xt::train;

namespace {

// y = 3 x0 - 2 x1 + 0.5 plus a little noise.
TensorData linear_data(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor x = torch::randn({n, 2});
  const torch::Tensor y = (3 * x.select(1, 0) - 2 * x.select(1, 1) + 0.5).unsqueeze(1) + 0.01 * torch::randn({n, 1});
  return {x, y};
}

struct Fixture {
  torch::nn::Linear model{2, 1};
  torch::optim::SGD optimizer{model->parameters(), torch::optim::SGDOptions(0.05)};

  Trainer make(TrainerOptions options) {
    return Trainer(
        *model, [this](const torch::Tensor& x) { return model->forward(x); }, optimizer,
        [](const torch::Tensor& p, const torch::Tensor& y) { return torch::mse_loss(p, y); }, options);
  }
};

}  // namespace

TEST(Trainer, LearnsALinearFunction) {
  torch::manual_seed(0);
  Fixture f;
  TrainerOptions options;
  options.epochs = 30;
  options.batch_size = 32;
  Trainer trainer = f.make(options);
  const History h = trainer.fit(linear_data(512, 1), linear_data(128, 2));
  ASSERT_EQ(h.epochs.size(), 30u);
  EXPECT_LT(h.epochs.back().train_loss, 1e-3);
  EXPECT_LT(*h.epochs.back().val_loss, 1e-3);
  EXPECT_GT(h.epochs.front().train_loss, 10 * h.epochs.back().train_loss);
  EXPECT_NEAR(f.model->weight[0][0].item<float>(), 3.0f, 0.02f);
  EXPECT_NEAR(f.model->bias[0].item<float>(), 0.5f, 0.02f);
  EXPECT_EQ(h.to_json()["epochs"].size(), 30u);
}

TEST(Trainer, SameSeedsGiveIdenticalWeightsAndOtherSeedsDoNot) {
  const auto train_with = [](std::uint64_t batch_seed) {
    torch::manual_seed(0);
    Fixture f;
    TrainerOptions options;
    options.epochs = 3;
    options.batch_size = 16;
    options.seed = batch_seed;
    f.make(options).fit(linear_data(200, 1));
    return f.model->weight.detach().clone();
  };
  EXPECT_TRUE(train_with(5).equal(train_with(5)));
  EXPECT_FALSE(train_with(5).equal(train_with(6)));
}

// Validation data that disagrees with training: val loss rises as the model
// fits the training data, so early stopping fires and the best (first)
// epoch's weights come back.
TEST(Trainer, EarlyStoppingAndRestoreBestWeights) {
  torch::manual_seed(0);
  Fixture f;
  TrainerOptions options;
  options.epochs = 50;
  Trainer trainer = f.make(options);
  TensorData val = linear_data(64, 3);
  val.targets = -val.targets;
  std::vector<torch::Tensor> weights_after_epoch;
  struct Recorder : Callback {
    std::vector<torch::Tensor>* out;
    void on_epoch_end(Trainer& t, const EpochLog&) override {
      out->push_back(t.model().parameters()[0].detach().clone());
    }
  };
  auto recorder = std::make_shared<Recorder>();
  recorder->out = &weights_after_epoch;
  std::ostringstream log;
  trainer.add_callback(recorder)
      .add_callback(std::make_shared<EarlyStopping>(3))
      .add_callback(std::make_shared<RestoreBestWeights>())
      .add_callback(std::make_shared<LogEpochs>(log));
  const History h = trainer.fit(linear_data(256, 1), val);
  EXPECT_TRUE(h.stopped_early);
  EXPECT_EQ(h.epochs.size(), static_cast<std::size_t>(h.best_epoch + 3));
  EXPECT_TRUE(f.model->weight.equal(weights_after_epoch[static_cast<std::size_t>(h.best_epoch - 1)]));
  EXPECT_NE(log.str().find("epoch 1  train loss"), std::string::npos);
}

TEST(Trainer, GradientClippingBoundsTheNorm) {
  torch::nn::Linear model(3, 1);
  const torch::Tensor loss = (model->forward(torch::full({4, 3}, 100.0f)) - 1000.0f).square().mean();
  loss.backward();
  const double before = clip_gradients(*model, 1.0);
  EXPECT_GT(before, 1.0);
  double after = 0.0;
  for (const auto& p : model->parameters()) after += p.grad().square().sum().item<double>();
  EXPECT_NEAR(std::sqrt(after), 1.0, 1e-4);
}

TEST(Trainer, RejectsMismatchedData) {
  Fixture f;
  Trainer trainer = f.make({});
  EXPECT_THROW(trainer.fit({torch::zeros({4, 2}), torch::zeros({3, 1})}), std::invalid_argument);
  EXPECT_THROW(trainer.fit({torch::zeros({0, 2}), torch::zeros({0, 1})}), std::invalid_argument);
}

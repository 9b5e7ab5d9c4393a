// xt::export_to_mobile / load_mobile, CNN1d, HAPT windows and subject splits.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <torch/script.h>
#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/data/har.h"
#include "xtorch/data/scaler.h"
#include "xtorch/error.h"
#include "xtorch/metrics/classification.h"
#include "xtorch/nn/cnn1d.h"
#include "xtorch/serialize/mobile.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using xt::testing::data_error_of;
using ::testing::HasSubstr;

namespace {

// A CNN1d whose batch-norm layers hold non-trivial running statistics, so
// folding them into the convolutions changes the weights for real.
xt::nn::CNN1d trained_cnn() {
  torch::manual_seed(3);
  xt::nn::CNN1d model(xt::nn::CNN1dConfig{3, {8, 16}, {5, 3}, 4, 0.2});
  model->train();
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 5; ++i) model->forward(torch::randn({16, 3, 64}) * 2 + 1);  // updates running stats
  model->eval();
  return model;
}

}  // namespace

TEST(MobileExport, PtlRoundTripMatchesEagerAndFoldsBatchNorm) {
  TempDir dir;
  auto model = trained_cnn();
  const torch::Tensor x = torch::randn({6, 3, 64});
  xt::MobileExportOptions options;
  options.verify_inputs = {x};
  options.preprocessing = {{"note", "kept"}};
  const auto result = xt::export_to_mobile(model, dir / "m.ptl", options);
  EXPECT_LE(result.max_abs_diff, 1e-4);
  EXPECT_EQ(result.ops_before.at("aten::batch_norm"), 2);
  EXPECT_EQ(result.ops_after.count("aten::batch_norm"), 0u);  // folded into the convolutions
  EXPECT_EQ(result.ops_after.count("aten::dropout"), 0u);

  xt::MobileModel loaded = xt::load_mobile(dir / "m.ptl");
  EXPECT_EQ(loaded.manifest.model_type, "CNN1d");
  EXPECT_EQ(loaded.manifest.preprocessing["note"], "kept");
  const torch::Tensor y = loaded.forward({x});
  EXPECT_LT(xt::max_abs_diff(y, model->reference_forward({x})), 1e-4);
  EXPECT_TRUE(xt::metrics::predicted_classes(y).equal(xt::metrics::predicted_classes(model->reference_forward({x}))));
  try {
    loaded.forward({torch::randn({1, 2, 64})});
    FAIL() << "a wrong input was accepted";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("input 'x' has shape [1, 2, 64], expected [*, 3, *]"));
  }
}

TEST(MobileExport, ManifestNormalizationGivesTheSamePredictions) {
  TempDir dir;
  auto model = trained_cnn();
  const torch::Tensor raw = torch::randn({20, 3, 64}) * 0.5 + 0.9;  // "g" units around gravity
  xt::data::Scaler scaler = xt::data::Scaler::standard();
  const auto rows = [](const torch::Tensor& w) { return w.permute({0, 2, 1}).reshape({-1, 3}); };
  const auto back = [](const torch::Tensor& r) { return r.reshape({20, 64, 3}).permute({0, 2, 1}).contiguous(); };
  scaler.fit(rows(raw));
  xt::MobileExportOptions options;
  options.preprocessing = {{"channel_scaler", scaler.to_json()}};
  xt::export_to_mobile(model, dir / "m.ptl", options);

  xt::MobileModel app = xt::load_mobile(dir / "m.ptl");
  const auto app_scaler = xt::data::Scaler::from_json(app.manifest.preprocessing["channel_scaler"]);
  const torch::Tensor on_phone = app.forward({back(app_scaler.transform(rows(raw)))});
  const torch::Tensor in_training = model->reference_forward({back(scaler.transform(rows(raw)))});
  EXPECT_TRUE(xt::metrics::predicted_classes(on_phone).equal(xt::metrics::predicted_classes(in_training)));
}

TEST(MobileExport, PlainTorchScriptAndBrokenFilesAreRejectedClearly) {
  TempDir dir;
  auto model = trained_cnn();
  xt::export_to_jit(model, dir / "plain.pt");
  try {
    xt::load_mobile(dir / "plain.pt");
    FAIL() << "a non-mobile file was loaded";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("plain.pt: is TorchScript without mobile bytecode"));
  }
  xt::export_to_mobile(model, dir / "m.ptl");
  const std::string bytes = xt::read_file(dir / "m.ptl");
  xt::write_file_atomically(dir / "cut.ptl", bytes.substr(0, bytes.size() / 2));
  try {
    xt::load_mobile(dir / "cut.ptl");
    FAIL() << "a truncated file was loaded";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cut.ptl: truncated: the zip archive's end-of-central-directory record"));
  }
  try {
    xt::load_mobile(dir / "missing.ptl");
    FAIL() << "a missing file was loaded";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.ptl: file does not exist"));
  }
}

TEST(Cnn1d, ScriptedTrainingModeEqualsEager) {
  // Batch statistics and dropout in training mode: the same random numbers and ops in both forms.
  TempDir dir;
  auto model = trained_cnn();
  xt::export_to_jit(model, dir / "m.pt");
  torch::jit::Module script = torch::jit::load((dir / "m.pt").string());
  script.train();
  model->train();
  const torch::Tensor x = torch::randn({8, 3, 32});
  torch::NoGradGuard no_grad;
  torch::manual_seed(9);
  const torch::Tensor eager = model->forward(x);
  torch::manual_seed(9);
  EXPECT_TRUE(script.forward({x}).toTensor().equal(eager));
  EXPECT_LT(model->parameter_count(), 100000);
  EXPECT_LT(xt::nn::CNN1d(xt::nn::CNN1dConfig{})->parameter_count(), 100000);
}

TEST(HaptRealData, RecordingsSegmentsAndWindows) {
  const auto data = xt::data::load_hapt(xt::testing::real_data_dir(), xt::data::Fallback::Synthetic);
  if (data.source.synthetic) GTEST_SKIP() << "no real data";
  EXPECT_EQ(data.recordings.size(), 20u);
  std::int64_t samples = 0;
  std::set<std::int64_t> subjects;
  for (const auto& r : data.recordings) {
    samples += r.signal.size(0);
    subjects.insert(r.subject);
    EXPECT_EQ(r.signal.size(1), 3);
  }
  EXPECT_EQ(samples, 340263);
  EXPECT_EQ(subjects.size(), 11u);
  std::map<std::int64_t, int> per_activity;
  std::int64_t labelled = 0;
  for (const auto& s : data.segments) {
    per_activity[s.activity]++;
    labelled += s.end - s.begin;
  }
  EXPECT_EQ(per_activity[1], 45);  // WALKING
  EXPECT_EQ(per_activity[2], 61);
  EXPECT_EQ(per_activity[6], 38);  // LAYING
  EXPECT_EQ(per_activity[7], 19);  // a transition
  EXPECT_EQ(labelled, 250901);
  EXPECT_EQ(data.activity_names[5], "LAYING");

  const auto windows = xt::data::make_activity_windows(data, 128, 64, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(windows.inputs.size(1), 3);
  EXPECT_EQ(windows.inputs.size(2), 128);
  EXPECT_EQ(windows.labels.max().item<std::int64_t>(), 5);
  // The first window is the first 128 samples of the first WALKING... segment listed: rows of the signal, transposed.
  const auto& first = data.segments.front();
  EXPECT_EQ(first.begin, 249);  // labels.txt: 1 1 5 250 1232 (1-based)
}

TEST(HarSplits, NoSubjectIsInBothParts) {
  const auto data = xt::data::make_synthetic_activities(4);
  const auto windows = xt::data::make_activity_windows(data, 128, 64, {1, 2, 3, 4, 5, 6});
  for (const std::uint64_t seed : {1, 2, 3}) {
    const auto split = xt::data::split_by_subject(windows.subjects, 0.3, seed);
    const torch::Tensor train_subjects = windows.subjects.index_select(0, split.train);
    const torch::Tensor test_subjects = windows.subjects.index_select(0, split.test);
    EXPECT_FALSE(torch::isin(train_subjects, test_subjects).any().item<bool>()) << "seed " << seed;
    EXPECT_EQ(split.train.size(0) + split.test.size(0), windows.labels.size(0));
    EXPECT_EQ(split.test_subjects.size(), 2u);  // 30% of 8
  }
  EXPECT_THROW(xt::data::split_by_subject(torch::ones({5}, torch::kInt64), 0.3, 1), std::invalid_argument);
}

TEST(HarFiles, MalformedLabelsNameTheLine) {
  TempDir dir;
  fs::create_directories(dir / "hapt_accel");
  xt::testing::write_text(dir / "hapt_accel" / "acc_exp01_user01.txt", "1 0 0\n1 0 0\n1 0 0\n");
  xt::testing::write_text(dir / "hapt_accel" / "activity_labels.txt", "1 WALKING\n");
  xt::testing::write_text(dir / "hapt_accel" / "labels.txt", "1 1 1 1 3\n1 1 1 2 9\n");
  EXPECT_THAT(data_error_of([&] { xt::data::load_hapt(dir.path(), xt::data::Fallback::Fail); }),
              HasSubstr("labels.txt:2: segment does not fit recording 1"));
  xt::testing::write_text(dir / "hapt_accel" / "labels.txt", "1 1 x 1 3\n");
  EXPECT_THAT(data_error_of([&] { xt::data::load_hapt(dir.path(), xt::data::Fallback::Fail); }),
              HasSubstr("labels.txt:1: expected 'exp user activity start end'"));
  xt::testing::write_text(dir / "hapt_accel" / "acc_exp01_user01.txt", "1 0 0\n1 0\n");
  xt::testing::write_text(dir / "hapt_accel" / "labels.txt", "1 1 1 1 1\n");
  EXPECT_THAT(data_error_of([&] { xt::data::load_hapt(dir.path(), xt::data::Fallback::Fail); }),
              HasSubstr("acc_exp01_user01.txt:2: has 2 values, expected 3"));
}

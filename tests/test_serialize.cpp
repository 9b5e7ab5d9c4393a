// save_model / load_model: round trips, the scripted twin, and every way a
// model file can be bad.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "test_util.h"
#include "xtorch/error.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/sha256.h"

using xt::testing::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

xt::nn::LSTMForecaster make_model(std::int64_t features = 5, std::int64_t layers = 2, double dropout = 0.0,
                                  std::int64_t horizon = 3) {
  torch::manual_seed(42);
  return xt::nn::LSTMForecaster(xt::nn::LSTMForecasterConfig{features, 16, layers, dropout, horizon});
}

torch::Tensor eval_forward(xt::nn::LSTMForecaster& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model->eval();
  return model->forward(x);
}

// The SerializationError message of load_model (fails the test if none).
std::string load_error(const fs::path& path) {
  try {
    xt::load_model(path);
  } catch (const xt::SerializationError& e) {
    EXPECT_EQ(e.file(), path);
    return e.what();
  }
  ADD_FAILURE() << "expected a SerializationError for " << path;
  return {};
}

std::string read_manifest_text(const fs::path& path) {
  torch::jit::ExtraFilesMap extra{{xt::kManifestName, ""}};
  torch::jit::load(path.string(), torch::kCPU, extra);
  return extra[xt::kManifestName];
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(xt::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(xt::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(xt::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  xt::Sha256 pieces;
  for (std::size_t i = 0; i < million.size(); i += 777) pieces.update(million.substr(i, 777));
  EXPECT_EQ(pieces.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ScriptedTwin, MatchesEagerBitForBitAcrossConfigs) {
  for (const auto& [layers, horizon] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {2, 3}, {3, 2}}) {
    auto model = make_model(4, layers, 0.2, horizon);
    const torch::Tensor x = torch::randn({7, 11, 4});
    torch::jit::Module script = xt::to_torchscript(*model);
    script.eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor scripted = script.forward({x}).toTensor();
    EXPECT_TRUE(scripted.equal(eval_forward(model, x))) << "layers " << layers << " horizon " << horizon;
    EXPECT_EQ(xt::weights_sha256(script), xt::weights_sha256(*model));
  }
}

TEST(ScriptedTwin, TrainingAttributeControlsDropout) {
  auto model = make_model(4, 2, 0.5, 1);
  torch::jit::Module script = xt::to_torchscript(*model);
  const torch::Tensor x = torch::randn({8, 6, 4});
  torch::NoGradGuard no_grad;
  script.train();
  EXPECT_FALSE(script.forward({x}).toTensor().equal(script.forward({x}).toTensor()));
  script.eval();
  EXPECT_TRUE(script.forward({x}).toTensor().equal(script.forward({x}).toTensor()));
}

TEST(ScriptedTwin, RejectsWrongShapesWithAReadableMessage) {
  auto model = make_model(5);
  torch::jit::Module script = xt::to_torchscript(*model);
  try {
    script.forward({torch::randn({2, 3, 4})});
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("LSTMForecaster: expected input [batch, time, 5], got [2, 3, 4]"));
  }
}

TEST(SaveLoad, RoundTripGivesIdenticalOutputsAndFullManifest) {
  TempDir dir;
  auto model = make_model();
  const torch::Tensor x = torch::randn({9, 12, 5});
  xt::ModelInfo info;
  info.description = "test model";
  info.preprocessing = {{"scaler", {{"offset", {1.0, 2.0}}}}};
  info.metrics = {{"rmse", 1.5}};
  info.inputs = {{"x", {-1, 12, 5}, "float32"}};
  info.verify_inputs = {x};
  xt::save_model(model, dir / "m.pt", info);

  xt::LoadedModel loaded = xt::load_model(dir / "m.pt");
  EXPECT_TRUE(loaded.forward(x).equal(eval_forward(model, x)));
  const xt::Manifest& m = loaded.manifest;
  EXPECT_EQ(m.format_version, xt::kManifestFormatVersion);
  EXPECT_EQ(m.model_type, "LSTMForecaster");
  EXPECT_EQ(m.config, model->config());
  EXPECT_EQ(xt::nn::LSTMForecasterConfig::from_json(m.config).to_json(), model->options().to_json());
  EXPECT_EQ(m.preprocessing, info.preprocessing);
  EXPECT_EQ(m.metrics, info.metrics);
  EXPECT_EQ(m.description, "test model");
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].shape, (std::vector<std::int64_t>{-1, 12, 5}));
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].shape, (std::vector<std::int64_t>{-1, 3}));
  EXPECT_EQ(m.libtorch_version, TORCH_VERSION);
  EXPECT_FALSE(m.created_utc.empty());
  EXPECT_EQ(m.weights_sha256, xt::weights_sha256(*model));
  EXPECT_EQ(xt::read_manifest(dir / "m.pt").to_json(), m.to_json());
  EXPECT_FALSE(loaded.module.is_training());
}

TEST(SaveLoad, SavingLeavesTheModelInItsMode) {
  TempDir dir;
  auto model = make_model();
  model->train();
  xt::ModelInfo info;
  info.verify_inputs = {torch::randn({2, 4, 5})};
  xt::save_model(model, dir / "m.pt", info);
  EXPECT_TRUE(model->is_training());
}

TEST(BadFiles, MissingEmptyAndNotAnArchive) {
  TempDir dir;
  EXPECT_THAT(load_error(dir / "absent.pt"), HasSubstr("absent.pt: file does not exist"));
  xt::testing::write_text(dir / "empty.pt", "");
  EXPECT_THAT(load_error(dir / "empty.pt"), HasSubstr("file is empty"));
  xt::testing::write_text(dir / "notes.pt", "these are not the weights you are looking for");
  EXPECT_THAT(load_error(dir / "notes.pt"), HasSubstr("not a TorchScript archive"));
  fs::create_directory(dir / "folder.pt");
  EXPECT_THAT(load_error(dir / "folder.pt"), HasSubstr("not a regular file"));
}

TEST(BadFiles, TruncatedArchiveIsNamedAsTruncated) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  const auto size = fs::file_size(dir / "m.pt");
  for (const auto keep : {size / 2, size - 10}) {
    fs::copy_file(dir / "m.pt", dir / "cut.pt", fs::copy_options::overwrite_existing);
    fs::resize_file(dir / "cut.pt", keep);
    EXPECT_THAT(load_error(dir / "cut.pt"), HasSubstr("truncated")) << "kept " << keep << " of " << size;
  }
  std::ofstream(dir / "m.pt", std::ios::app | std::ios::binary) << "trailing junk";
  EXPECT_THAT(load_error(dir / "m.pt"), HasSubstr("13 unexpected bytes after the end of the zip archive"));
}

TEST(BadFiles, FlippedWeightByteIsDetected) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  // Flip one byte inside the largest tensor record (the LSTM weights).
  std::string bytes = xt::read_file(dir / "m.pt");
  caffe2::serialize::PyTorchStreamReader reader((dir / "m.pt").string());
  std::size_t largest_offset = 0, largest_size = 0;
  for (const auto& name : reader.getAllRecords()) {
    if (name.rfind("data/", 0) != 0) continue;
    auto [data, size] = reader.getRecord(name);
    if (size > largest_size) {
      largest_size = size;
      largest_offset = reader.getRecordOffset(name);
    }
  }
  ASSERT_GT(largest_size, 0u);
  bytes[largest_offset + largest_size / 2] ^= 0x40;
  xt::testing::write_text(dir / "flipped.pt", bytes);
  const std::string error = load_error(dir / "flipped.pt");
  EXPECT_THAT(error, ::testing::AnyOf(HasSubstr("checksum mismatch"), HasSubstr("corrupt")));
}

TEST(BadFiles, WeightsEditedAfterSavingFailTheChecksum) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  const std::string manifest = read_manifest_text(dir / "m.pt");
  torch::jit::Module module = torch::jit::load((dir / "m.pt").string());
  {
    torch::NoGradGuard no_grad;
    module.attr("head_weight").toTensor().add_(0.001);
  }
  module.save((dir / "edited.pt").string(), {{xt::kManifestName, manifest}});
  EXPECT_THAT(load_error(dir / "edited.pt"), HasSubstr("checksum mismatch"));
  // The check can be turned off deliberately.
  xt::LoadOptions trusting;
  trusting.verify_checksum = false;
  EXPECT_NO_THROW(xt::load_model(dir / "edited.pt", trusting));
}

TEST(BadFiles, NewerFormatVersionAndMissingOrBrokenManifest) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  torch::jit::Module module = torch::jit::load((dir / "m.pt").string());
  auto manifest = nlohmann::json::parse(read_manifest_text(dir / "m.pt"));
  manifest["format_version"] = 99;
  module.save((dir / "future.pt").string(), {{xt::kManifestName, manifest.dump()}});
  EXPECT_THAT(load_error(dir / "future.pt"), HasSubstr("unknown manifest format version 99"));

  module.save((dir / "plain.pt").string());
  EXPECT_THAT(load_error(dir / "plain.pt"), HasSubstr("has no xtorch manifest"));

  module.save((dir / "garbled.pt").string(), {{xt::kManifestName, "{not json"}});
  EXPECT_THAT(load_error(dir / "garbled.pt"), HasSubstr("manifest is not valid JSON"));

  manifest["format_version"] = 1;
  manifest.erase("weights_sha256");
  module.save((dir / "partial.pt").string(), {{xt::kManifestName, manifest.dump()}});
  EXPECT_THAT(load_error(dir / "partial.pt"), HasSubstr("malformed manifest"));
}

TEST(BadInput, WrongShapeDtypeOrCountNamesTheFile) {
  TempDir dir;
  auto model = make_model();
  xt::ModelInfo info;
  info.inputs = {{"x", {-1, 12, 5}, "float32"}};
  xt::save_model(model, dir / "m.pt", info);
  xt::LoadedModel loaded = xt::load_model(dir / "m.pt");
  const auto message = [&](const std::vector<torch::Tensor>& inputs) -> std::string {
    try {
      loaded.forward(inputs);
    } catch (const xt::SerializationError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message({torch::randn({2, 11, 5})}),
              HasSubstr("m.pt: input 'x' has shape [2, 11, 5], expected [*, 12, 5]"));
  EXPECT_THAT(message({torch::randn({12, 5})}), HasSubstr("has shape [12, 5], expected [*, 12, 5]"));
  EXPECT_THAT(message({torch::randn({2, 12, 5}, torch::kFloat64)}), HasSubstr("has dtype float64, expected float32"));
  EXPECT_THAT(message({}), HasSubstr("takes 1 input(s), got 0"));
  EXPECT_EQ(loaded.forward(torch::randn({3, 12, 5})).sizes(), (std::vector<std::int64_t>{3, 3}));
}

TEST(AtomicSave, FailedVerificationKeepsTheLastGoodFile) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  const std::string good = xt::read_manifest(dir / "m.pt").weights_sha256;

  auto other = make_model(5, 1);  // different architecture and weights
  xt::ModelInfo impossible;
  impossible.verify_inputs = {torch::randn({2, 4, 5})};
  impossible.verify_tolerance = -1.0;  // nothing can pass
  try {
    xt::save_model(other, dir / "m.pt", impossible);
    FAIL() << "expected verification to fail";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("verification failed"));
  }
  EXPECT_EQ(xt::load_model(dir / "m.pt").manifest.weights_sha256, good);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1)
      << "a temporary file was left behind";
}

TEST(AtomicSave, WriterThatThrowsLeavesTargetUntouched) {
  TempDir dir;
  xt::write_file_atomically(dir / "f.bin", "old content");
  EXPECT_THROW(xt::write_atomically(dir / "f.bin",
                                    [](const fs::path& tmp) {
                                      std::ofstream(tmp) << "half of the new";
                                      throw std::runtime_error("disk on fire");
                                    }),
               std::runtime_error);
  EXPECT_EQ(xt::read_file(dir / "f.bin"), "old content");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AtomicSave, ProcessKilledMidWriteLeavesTheOldModelLoadable) {
  TempDir dir;
  auto model = make_model();
  xt::save_model(model, dir / "m.pt");
  const std::string good = xt::read_manifest(dir / "m.pt").weights_sha256;

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A writer that is half-way through when it gets SIGKILLed.
    xt::write_atomically(dir / "m.pt", [](const fs::path& tmp) {
      std::ofstream out(tmp, std::ios::binary);
      out << std::string(1 << 20, 'x') << std::flush;
      ::pause();
    });
    ::_exit(0);
  }
  // Wait until the child's temporary file exists, then kill it.
  for (int i = 0; i < 500; ++i) {
    if (std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) > 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(xt::load_model(dir / "m.pt").manifest.weights_sha256, good);
}

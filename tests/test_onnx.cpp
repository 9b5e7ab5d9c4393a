// xt::export_to_onnx: LSTM gate order, every supported layer in ONNX Runtime,
// dynamic sizes, checker errors, unsupported layers, verification, npy files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include <torch/script.h>
#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/error.h"
#include "xtorch/nn/gcn.h"
#include "xtorch/nn/lstm_autoencoder.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/serialize/onnx.h"
#include "xtorch/serialize/onnx_builder.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/npy.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using ::testing::HasSubstr;

namespace {

bool have_onnxruntime() { return xt::onnxruntime_unavailable_reason().empty(); }

#define REQUIRE_ONNXRUNTIME()                                                        \
  if (!have_onnxruntime()) GTEST_SKIP() << xt::onnxruntime_unavailable_reason();

// A Sequential of every layer the builder knows, scripted with the matching
// torch.<op> builtins.
class LayerZooImpl : public xt::nn::ExportableModule {
 public:
  LayerZooImpl() {
    body = register_module(
        "body", torch::nn::Sequential(
                    torch::nn::Conv1d(torch::nn::Conv1dOptions(3, 8, 5).stride(2).padding(2)), torch::nn::ReLU(),
                    torch::nn::Dropout(0.3),
                    torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(8, 4, 4).stride(2).padding(1)
                                                   .output_padding(1)),
                    torch::nn::Tanh(), torch::nn::Conv1d(torch::nn::Conv1dOptions(4, 6, 3).dilation(2)),
                    torch::nn::Sigmoid(), torch::nn::Linear(9, 5)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return body->forward(x); }
  std::string model_type() const override { return "LayerZoo"; }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  std::string torchscript_source() const override {
    return "def forward(self, x: Tensor) -> Tensor:\n"
           "    h = torch.relu(torch.conv1d(x, self.body_0_weight, self.body_0_bias, [2], [2], [1], 1))\n"
           "    h = torch.dropout(h, 0.3, self.training)\n"
           "    h = torch.tanh(torch.conv_transpose1d(h, self.body_3_weight, self.body_3_bias, [2], [1], [1], 1, [1]))\n"
           "    h = torch.sigmoid(torch.conv1d(h, self.body_5_weight, self.body_5_bias, [1], [0], [2], 1))\n"
           "    return torch.linear(h, self.body_7_weight, self.body_7_bias)\n";
  }
  void build_onnx(xt::OnnxGraphBuilder& g) const override {
    g.output(g.layer(g.input("x", {"batch", 3, 12}), *body, "body"), "y", {"batch", 6, 5});
  }
  std::vector<xt::TensorSpec> input_specs() const override { return {{"x", {-1, 3, 12}, "float32"}}; }
  std::vector<xt::TensorSpec> output_specs() const override { return {{"y", {-1, 6, 5}, "float32"}}; }
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override { return forward(inputs[0]); }

  torch::nn::Sequential body{nullptr};
};

// Same interface, but one layer the builder does not know.
class WithGruImpl : public LayerZooImpl {
 public:
  WithGruImpl() {
    body = replace_module("body", torch::nn::Sequential(torch::nn::Linear(12, 12), torch::nn::GRU(12, 4)));
  }
};

// The ONNX graph adds 0.01 that the eager model does not.
class MistranslatedOnnxImpl : public LayerZooImpl {
 public:
  void build_onnx(xt::OnnxGraphBuilder& g) const override {
    const auto y = g.layer(g.input("x", {"batch", 3, 12}), *body, "body");
    g.output(g.add(y, g.initializer("offset", torch::full({1}, 0.01f))), "y", {"batch", 6, 5});
  }
};

}  // namespace

TEST(OnnxLstm, GateReorderMatchesOnnxEquationsForOneStep) {
  // One LSTM step written out with ONNX's equations and ONNX's weight layout
  // (gates i, o, f, c) must equal torch's LSTM step (gates i, f, g, o).
  torch::manual_seed(0);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(3, 2).batch_first(true));
  const torch::Tensor x = torch::randn({1, 1, 3});
  const torch::Tensor expected = std::get<0>(lstm->forward(x)).reshape({2});

  const auto p = lstm->named_parameters();
  const torch::Tensor w = xt::lstm_gates_to_onnx(p["weight_ih_l0"]);  // [4H, F], rows i, o, f, c
  const torch::Tensor b = xt::lstm_gates_to_onnx(p["bias_ih_l0"]) + xt::lstm_gates_to_onnx(p["bias_hh_l0"]);
  const torch::Tensor z = torch::mv(w, x.reshape({3})) + b;  // H_{t-1} = C_{t-1} = 0, so R drops out
  const auto gate = [&](int k) { return z.slice(0, 2 * k, 2 * k + 2); };
  const torch::Tensor input_gate = torch::sigmoid(gate(0)), output_gate = torch::sigmoid(gate(1));
  const torch::Tensor forget_gate = torch::sigmoid(gate(2)), candidate = torch::tanh(gate(3));
  const torch::Tensor cell = forget_gate * 0 + input_gate * candidate;  // C_{t-1} = 0
  const torch::Tensor hidden = output_gate * torch::tanh(cell);
  EXPECT_TRUE(torch::allclose(hidden, expected, 1e-6, 1e-7)) << hidden << expected;

  // The mapping itself: rows [i f g o] -> [i o f g].
  const torch::Tensor rows = torch::arange(8).reshape({8, 1});
  EXPECT_TRUE(xt::lstm_gates_to_onnx(rows).reshape({8}).equal(torch::tensor({0, 1, 6, 7, 2, 3, 4, 5})));
}

TEST(OnnxExport, EverySupportedLayerMatchesLibTorchInOnnxRuntime) {
  REQUIRE_ONNXRUNTIME();
  TempDir dir;
  torch::manual_seed(1);
  LayerZooImpl zoo;
  const auto zoo_export = xt::export_to_onnx(zoo, dir / "zoo.onnx");
  EXPECT_TRUE(zoo_export.verified);
  EXPECT_LE(zoo_export.max_abs_diff, 1e-5);

  xt::nn::LSTMForecaster forecaster(xt::nn::LSTMForecasterConfig{4, 16, 2, 0.2, 3});
  xt::OnnxExportOptions options;
  options.verify_inputs = {torch::randn({5, 9, 4})};
  EXPECT_LE(xt::export_to_onnx(forecaster, dir / "forecaster.onnx", options).max_abs_diff, 1e-5);

  xt::nn::GCN gcn(xt::nn::GCNConfig{6, 8, 3, 0.5, true});
  const torch::Tensor adj = torch::rand({7, 7});
  options.verify_inputs = {torch::randn({7, 6}), adj + adj.t()};
  EXPECT_LE(xt::export_to_onnx(gcn, dir / "gcn.onnx", options).max_abs_diff, 1e-5);
}

TEST(OnnxExport, LstmAutoencoderHasDynamicBatchAndTime) {
  REQUIRE_ONNXRUNTIME();
  TempDir dir;
  torch::manual_seed(2);
  xt::nn::LSTMAutoencoder model(xt::nn::LSTMAutoencoderConfig{1, 12, 2, 0.1});
  xt::OnnxExportOptions options;
  options.verify_inputs = {torch::randn({4, 20, 1})};
  xt::export_to_onnx(model, dir / "ae.onnx", options);
  for (const auto& [batch, time] : {std::pair<int, int>{1, 7}, {9, 33}}) {
    const torch::Tensor x = torch::randn({batch, time, 1});
    const auto result = xt::run_onnxruntime(dir / "ae.onnx", {{"x", x}});
    const torch::Tensor y = result.outputs.at("reconstruction");
    EXPECT_EQ(y.sizes(), x.sizes());
    EXPECT_LT(xt::max_abs_diff(y, model->reference_forward({x})), 1e-5);
  }
}

TEST(OnnxExport, ManifestTravelsInMetadataProps) {
  TempDir dir;
  xt::nn::LSTMAutoencoder model(xt::nn::LSTMAutoencoderConfig{2, 8, 1, 0.0});
  xt::OnnxExportOptions options;
  options.verify = xt::OnnxVerify::IfAvailable;
  xt::export_to_onnx(model, dir / "ae.onnx", options);
  const xt::Manifest manifest = xt::read_onnx_manifest(dir / "ae.onnx");
  EXPECT_EQ(manifest.model_type, "LSTMAutoencoder");
  EXPECT_EQ(manifest.config["hidden_size"], 8);
  EXPECT_EQ(manifest.inputs.at(0).shape, (std::vector<std::int64_t>{-1, -1, 2}));

  xt::write_file_atomically(dir / "junk.onnx", "not a protobuf \xff\xff");
  EXPECT_THROW(xt::read_onnx_manifest(dir / "junk.onnx"), xt::SerializationError);
}

TEST(OnnxExport, UnsupportedLayersAndModelsAreNamed) {
  TempDir dir;
  WithGruImpl model;
  try {
    xt::export_to_onnx(model, dir / "gru.onnx");
    FAIL() << "a GRU was exported";
  } catch (const xt::UnsupportedLayerError& e) {
    EXPECT_THAT(e.what(), HasSubstr("layer 'body.1' (torch::nn::GRUImpl) is not supported"));
  }
  EXPECT_FALSE(fs::exists(dir / "gru.onnx"));

  class NoOnnxImpl : public LayerZooImpl {
   public:
    void build_onnx(xt::OnnxGraphBuilder& g) const override { ExportableModule::build_onnx(g); }
  } no_onnx;
  EXPECT_THROW(xt::export_to_onnx(no_onnx, dir / "none.onnx"), xt::UnsupportedLayerError);
}

TEST(OnnxExport, CheckerFailuresSurfaceAsErrors) {
  xt::OnnxGraphBuilder missing_input("bad");
  const auto x = missing_input.input("x", {"batch", 4});
  missing_input.output(missing_input.add(x, "no_such_value"), "y", {"batch", 4});
  try {
    missing_input.finish(17, {});
    FAIL() << "the checker accepted an undefined input";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("ONNX checker rejected the graph 'bad'"));
    EXPECT_THAT(e.what(), HasSubstr("no_such_value"));
  }
  xt::OnnxGraphBuilder wrong_shape("shapes");
  const auto a = wrong_shape.input("a", {2, 3});
  wrong_shape.output(wrong_shape.matmul(a, wrong_shape.initializer("w", torch::ones({4, 5}))), "y", {2, 5});
  EXPECT_THROW(wrong_shape.finish(17, {}), std::invalid_argument);  // [2,3] x [4,5]
}

TEST(OnnxExport, FailedVerificationKeepsTheOldFile) {
  REQUIRE_ONNXRUNTIME();
  TempDir dir;
  xt::write_file_atomically(dir / "model.onnx", "previous good file");
  MistranslatedOnnxImpl model;
  try {
    xt::export_to_onnx(model, dir / "model.onnx");
    FAIL() << "a mistranslated model was exported";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("model.onnx: verification failed: the reloaded LayerZoo differs from the eager "
                                    "model by 0.01"));
  }
  EXPECT_EQ(xt::read_file(dir / "model.onnx"), "previous good file");
}

TEST(OnnxRuntime, MissingRunnerIsExplainedAndVerificationCanBeOptional) {
  TempDir dir;
  ::setenv("XT_ONNXRUNTIME_RUNNER", (dir / "nowhere" / "run.js").c_str(), 1);
  LayerZooImpl model;
  EXPECT_THAT(xt::onnxruntime_unavailable_reason(), HasSubstr("does not exist"));
  try {
    xt::export_to_onnx(model, dir / "m.onnx");
    ADD_FAILURE() << "export claimed verification without a runner";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot verify the export in ONNX Runtime"));
  }
  xt::OnnxExportOptions options;
  options.verify = xt::OnnxVerify::IfAvailable;
  EXPECT_FALSE(xt::export_to_onnx(model, dir / "m.onnx", options).verified);
  ::unsetenv("XT_ONNXRUNTIME_RUNNER");
}

TEST(OnnxRuntime, RunnerErrorsNameTheProblem) {
  REQUIRE_ONNXRUNTIME();
  TempDir dir;
  LayerZooImpl model;
  xt::export_to_onnx(model, dir / "m.onnx");
  try {
    xt::run_onnxruntime(dir / "m.onnx", {{"wrong_name", torch::randn({1, 3, 12})}});
    FAIL() << "a wrong input name was accepted";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("model input 'x' has no --input"));
  }
  try {
    xt::run_onnxruntime(dir / "m.onnx", {{"x", torch::randn({1, 4, 12})}});
    FAIL() << "a wrong input shape was accepted";
  } catch (const xt::SerializationError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ONNX Runtime failed"));
  }
  const auto timed = xt::run_onnxruntime(dir / "m.onnx", {{"x", torch::randn({2, 3, 12})}}, {2, 5, 1});
  EXPECT_EQ(timed.latency.runs, 5);
  EXPECT_FALSE(timed.version.empty());
}

TEST(Npy, RoundTripsEveryDtypeAndRejectsTruncation) {
  TempDir dir;
  for (const auto& t : {torch::randn({2, 3}), torch::randn({4}, torch::kFloat64), torch::arange(6).reshape({1, 2, 3}),
                        torch::tensor({1, -2}, torch::kInt32), torch::tensor({true, false}),
                        torch::tensor(7.5f)}) {
    xt::write_npy(dir / "t.npy", t);
    const torch::Tensor back = xt::read_npy(dir / "t.npy");
    EXPECT_EQ(back.scalar_type(), t.scalar_type());
    EXPECT_TRUE(back.equal(t)) << t;
  }
  xt::write_npy(dir / "t.npy", torch::randn({10, 10}));
  std::string bytes = xt::read_file(dir / "t.npy");
  xt::write_file_atomically(dir / "cut.npy", bytes.substr(0, bytes.size() - 4));
  try {
    xt::read_npy(dir / "cut.npy");
    FAIL() << "a truncated .npy was read";
  } catch (const xt::DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cut.npy: expected 400 data bytes for shape [10, 10], file has 396 (truncated)"));
  }
  if (xt::testing::run_command(std::string(xt::testing::kPython) + " -c 'import numpy'").exit_code == 0) {
    const auto python = xt::testing::run_command(std::string(xt::testing::kPython) +
                                                 " -c \"import numpy; a = numpy.load('" + (dir / "t.npy").string() +
                                                 "'); print(a.shape, a.dtype)\"");
    EXPECT_THAT(python.output, HasSubstr("(10, 10) float32"));
  }
}

namespace {

// One ConvTranspose1d with the given arithmetic, scripted and in ONNX.
class OneTransposedConvImpl : public xt::nn::ExportableModule {
 public:
  OneTransposedConvImpl(std::int64_t kernel, std::int64_t stride, std::int64_t padding, std::int64_t output_padding,
                        std::int64_t dilation)
      : kernel_(kernel), stride_(stride), padding_(padding), output_padding_(output_padding), dilation_(dilation) {
    conv = register_module("conv", torch::nn::ConvTranspose1d(torch::nn::ConvTranspose1dOptions(3, 2, kernel)
                                                                  .stride(stride)
                                                                  .padding(padding)
                                                                  .output_padding(output_padding)
                                                                  .dilation(dilation)));
  }
  std::int64_t output_length(std::int64_t in) const {
    return (in - 1) * stride_ - 2 * padding_ + dilation_ * (kernel_ - 1) + output_padding_ + 1;
  }
  std::string model_type() const override { return "OneTransposedConv"; }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  std::string torchscript_source() const override {
    const auto list = [](std::int64_t v) { return "[" + std::to_string(v) + "]"; };
    return "def forward(self, x: Tensor) -> Tensor:\n    return torch.conv_transpose1d(x, self.conv_weight, "
           "self.conv_bias, " + list(stride_) + ", " + list(padding_) + ", " + list(output_padding_) + ", 1, " +
           list(dilation_) + ")\n";
  }
  void build_onnx(xt::OnnxGraphBuilder& g) const override {
    g.output(g.layer(g.input("x", {"batch", 3, "time"}), *conv, "conv"), "y", {"batch", 2, "time_out"});
  }
  std::vector<xt::TensorSpec> input_specs() const override { return {{"x", {-1, 3, -1}, "float32"}}; }
  std::vector<xt::TensorSpec> output_specs() const override { return {{"y", {-1, 2, -1}, "float32"}}; }
  torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) override { return conv->forward(inputs[0]); }

  torch::nn::ConvTranspose1d conv{nullptr};

 private:
  std::int64_t kernel_, stride_, padding_, output_padding_, dilation_;
};

}  // namespace

TEST(OnnxExport, ConvTranspose1dOutputSizeArithmeticInBothFormats) {
  REQUIRE_ONNXRUNTIME();
  TempDir dir;
  // (kernel, stride, padding, output_padding, dilation)
  const std::vector<std::array<std::int64_t, 5>> cases = {
      {3, 1, 0, 0, 1}, {4, 2, 1, 0, 1}, {5, 2, 2, 1, 1}, {5, 3, 1, 2, 1}, {3, 2, 0, 1, 2}};
  for (const auto& [k, s, p, op, d] : cases) {
    SCOPED_TRACE("kernel " + std::to_string(k) + " stride " + std::to_string(s) + " padding " + std::to_string(p) +
                 " output_padding " + std::to_string(op) + " dilation " + std::to_string(d));
    torch::manual_seed(k * 100 + s);
    OneTransposedConvImpl model(k, s, p, op, d);
    const torch::Tensor x = torch::randn({2, 3, 9});
    const torch::Tensor eager = model.reference_forward({x});
    ASSERT_EQ(eager.size(2), model.output_length(9));

    xt::JitExportOptions jit;
    jit.verify_inputs = {x};
    xt::export_to_jit(model, dir / "t.pt", jit);
    torch::jit::Module script = torch::jit::load((dir / "t.pt").string());
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(script.forward({x}).toTensor().equal(eager));

    xt::OnnxExportOptions onnx;
    onnx.verify_inputs = {x};
    xt::export_to_onnx(model, dir / "t.onnx", onnx);
    const torch::Tensor y = xt::run_onnxruntime(dir / "t.onnx", {{"x", x}}).outputs.at("y");
    EXPECT_EQ(y.sizes(), eager.sizes());
    EXPECT_LT(xt::max_abs_diff(y, eager), 1e-5);
  }
}

TEST(OnnxExport, ConvWithNonZeroPaddingModeIsRefused) {
  TempDir dir;
  class CircularImpl : public LayerZooImpl {
   public:
    CircularImpl() {
      body = replace_module("body", torch::nn::Sequential(torch::nn::Conv1d(
                                        torch::nn::Conv1dOptions(3, 6, 3).padding(1).padding_mode(torch::kCircular))));
    }
  } model;
  try {
    xt::export_to_onnx(model, dir / "c.onnx");
    FAIL() << "a circular-padding conv was exported";
  } catch (const xt::UnsupportedLayerError& e) {
    EXPECT_THAT(e.what(), HasSubstr("layer 'body.0' (Conv1d) uses a padding mode other than zeros"));
  }
}

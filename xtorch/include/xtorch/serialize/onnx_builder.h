#pragma once
// OnnxGraphBuilder: how a C++ model writes its forward pass as an ONNX graph.
//
// LibTorch has no C++ ONNX exporter (pytorch#17869). Each ExportableModule
// that supports ONNX describes its forward pass a third time, with this
// builder, in terms of layers it already owns:
//
//   void MyModelImpl::build_onnx(xt::OnnxGraphBuilder& g) const {
//     auto x = g.input("x", {"batch", "time", 1});
//     auto h = g.lstm_batch_first(x, *lstm_, "lstm").sequence;
//     g.output(g.layer(h, *head_, "head"), "y", {"batch", "time", 1});
//   }
//
// Values are named strings; weights become initializers. The builder is
// built on the ONNX library's protobuf types but keeps them out of this
// header. Layers it cannot translate raise UnsupportedLayerError naming the
// layer, never a silently wrong graph.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/types.h>

namespace xt {

class UnsupportedLayerError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A dimension of a graph input or output: a fixed size, or a symbolic name
// ("batch") for a dynamic one. Inputs sharing a name share the size.
struct OnnxDim {
  OnnxDim(std::int64_t size) : value(size) {}  // NOLINT: implicit by design
  OnnxDim(const char* name) : value(std::string(name)) {}  // NOLINT
  OnnxDim(std::string name) : value(std::move(name)) {}  // NOLINT
  std::variant<std::int64_t, std::string> value;
};

class OnnxGraphBuilder {
 public:
  explicit OnnxGraphBuilder(std::string graph_name);
  ~OnnxGraphBuilder();
  OnnxGraphBuilder(OnnxGraphBuilder&&) noexcept;
  OnnxGraphBuilder& operator=(OnnxGraphBuilder&&) noexcept;

  // ---- graph inputs, outputs, constants (float32 unless said otherwise)
  std::string input(const std::string& name, const std::vector<OnnxDim>& shape);
  void output(const std::string& value, const std::string& name, const std::vector<OnnxDim>& shape);
  // A weight (copied; float32 or int64). The name is made unique if taken.
  std::string initializer(const std::string& name, const torch::Tensor& value);
  std::string constant_ints(const std::string& name, const std::vector<std::int64_t>& values);

  // ---- single operators
  struct Attribute {
    std::string name;
    std::variant<std::int64_t, float, std::vector<std::int64_t>, std::string> value;
  };
  // Adds any ONNX operator; returns its output names (`outputs` of them).
  std::vector<std::string> op(const std::string& type, const std::vector<std::string>& inputs,
                              const std::vector<Attribute>& attributes = {}, int outputs = 1);
  std::string op1(const std::string& type, const std::vector<std::string>& inputs,
                  const std::vector<Attribute>& attributes = {}) {
    return op(type, inputs, attributes, 1).front();
  }
  std::string add(const std::string& a, const std::string& b) { return op1("Add", {a, b}); }
  std::string matmul(const std::string& a, const std::string& b) { return op1("MatMul", {a, b}); }
  std::string relu(const std::string& x) { return op1("Relu", {x}); }
  std::string transpose(const std::string& x, const std::vector<std::int64_t>& perm);
  std::string squeeze(const std::string& x, const std::vector<std::int64_t>& axes);
  std::string unsqueeze(const std::string& x, const std::vector<std::int64_t>& axes);

  // ---- layers (eval-mode semantics: dropout is the identity)
  // y = x W^T + b over the last dimension of x (any rank >= 2).
  std::string linear(const std::string& x, const torch::nn::LinearImpl& layer, const std::string& name);
  // [batch, channels, length] in and out; zero padding only.
  std::string conv1d(const std::string& x, const torch::nn::Conv1dImpl& layer, const std::string& name);
  std::string conv_transpose1d(const std::string& x, const torch::nn::ConvTranspose1dImpl& layer,
                               const std::string& name);

  struct LstmOutputs {
    std::string sequence;     // [batch, time, hidden] of the last layer
    std::string last_hidden;  // [batch, hidden] of the last layer at the last step
  };
  // A (stacked, unidirectional) torch::nn::LSTM with batch_first = true, zero
  // initial state. ONNX's LSTM is one layer, time-major (ONNX Runtime's CPU
  // kernel rejects layout = 1) and orders gates i,o,f,c where PyTorch has
  // i,f,g,o: each layer becomes one ONNX LSTM with reordered weights between
  // two transposes.
  LstmOutputs lstm_batch_first(const std::string& x, const torch::nn::LSTMImpl& layer, const std::string& name);

  // Dispatches on the layer's type: Linear, Conv1d, ConvTranspose1d, ReLU,
  // Tanh, Sigmoid, Dropout (identity), Sequential (each child in turn).
  // Anything else: UnsupportedLayerError naming `name` and the type.
  std::string layer(const std::string& x, const torch::nn::Module& module, const std::string& name);

  // The serialized ModelProto (opset `opset`, with `metadata` as
  // metadata_props), after onnx::checker::check_model and strict shape
  // inference. Throws std::invalid_argument with the checker's message.
  std::string finish(int opset, const std::vector<std::pair<std::string, std::string>>& metadata);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ONNX's gate order from PyTorch's, along dimension 0 of an LSTM weight or
// bias with 4 * hidden rows: [i, f, g, o] -> [i, o, f, g] (ONNX calls g "c").
torch::Tensor lstm_gates_to_onnx(const torch::Tensor& pytorch_rows);

}  // namespace xt

#pragma once
// ExportableModule: a LibTorch C++ module that can describe itself.
//
// LibTorch cannot turn a C++ frontend module into TorchScript (there is no
// torch.jit.script for C++ classes). Each model in this library therefore
// writes its forward pass a second time, as TorchScript source, using only
// `torch.<aten op>` builtins and its own parameters. The serialize layer builds
// a real torch::jit::Module from that source and the module's parameters, so
// the file can be loaded with no knowledge of the C++ class: by
// torch::jit::load in C++, or torch.jit.load in Python.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "xtorch/serialize/manifest.h"

namespace xt {
class OnnxGraphBuilder;
}

namespace xt::nn {

// A module that can say what it is: a type name and a config from which
// xt::nn::ModelRegistry rebuilds it (checkpoints store both).
class DescribedModule : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;

  // Registry name, e.g. "LSTMForecaster". Stored in manifests and checkpoints.
  virtual std::string model_type() const = 0;

  // Everything needed to rebuild the module (sizes, not weights).
  virtual nlohmann::json config() const = 0;
};

class ExportableModule : public DescribedModule {
 public:
  using DescribedModule::DescribedModule;

  // TorchScript source of `def forward(self, ...)`. Parameters and buffers are
  // referenced as attributes named by script_name(), e.g. `self.head_weight`
  // for the parameter "head.weight". The boolean attribute `self.training`
  // exists, so dropout can follow train()/eval().
  virtual std::string torchscript_source() const = 0;

  // Inputs and outputs of forward(); -1 marks a dynamic dimension.
  virtual std::vector<TensorSpec> input_specs() const = 0;
  virtual std::vector<TensorSpec> output_specs() const = 0;

  // Runs the eager C++ forward on inputs laid out as input_specs() says. Used
  // to verify every exported file against the model it came from.
  virtual torch::Tensor eager_forward(const std::vector<torch::Tensor>& inputs) = 0;

  // The forward pass as an ONNX graph (see serialize/onnx_builder.h): declare
  // inputs named as in input_specs(), add the layers, declare the outputs.
  // The default throws UnsupportedLayerError: not every model has one.
  virtual void build_onnx(OnnxGraphBuilder& graph) const;

  // Inputs used to verify an export when the caller gives none: random
  // normal values shaped by input_specs() (dynamic dimensions become 3), from
  // a fixed seed and a private generator, so the global RNG is not touched.
  virtual std::vector<torch::Tensor> example_inputs() const;

  // eager_forward in eval mode without autograd; the module's mode is
  // restored afterwards. This is the reference every export is compared to.
  torch::Tensor reference_forward(const std::vector<torch::Tensor>& inputs);

  // The attribute name a parameter or buffer gets in the scripted module:
  // dots of the nested name become underscores ("lstm.weight_ih_l0" ->
  // "lstm_weight_ih_l0").
  static std::string script_name(const std::string& parameter_name);

  // A double as a TorchScript float literal: always with a decimal point or
  // exponent (a bare "0" would be an int and fail to match float arguments),
  // and with enough digits to round-trip exactly.
  static std::string script_float(double value);

  // The flat weight list torch.lstm takes, for the torch::nn::LSTM registered
  // as `module_name`: "[self.m_weight_ih_l0, self.m_weight_hh_l0,
  // self.m_bias_ih_l0, self.m_bias_hh_l0, ...]", exactly the order
  // torch::nn::LSTM passes, so scripted and eager results agree bit for bit.
  static std::string script_lstm_weights(const std::string& module_name, std::int64_t num_layers);
};

}  // namespace xt::nn

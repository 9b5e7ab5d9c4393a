#pragma once
// From a C++ model to a real torch::jit::Module (see nn/exportable.h).

#include <string>

#include <torch/script.h>

#include "xtorch/nn/exportable.h"

namespace xt {

// Builds a TorchScript module from the model's parameters, buffers and its
// TorchScript forward. The result has a `training` attribute that follows
// train()/eval(), and starts in the model's current mode. Parameters are
// copied: changing the model afterwards does not change the script.
torch::jit::Module to_torchscript(const nn::ExportableModule& model);

// SHA-256 over every parameter and buffer (name, dtype, shape, bytes), in name
// order. The same weights give the same digest in the eager and scripted form.
std::string weights_sha256(const torch::jit::Module& module);
std::string weights_sha256(const torch::nn::Module& module);

}  // namespace xt

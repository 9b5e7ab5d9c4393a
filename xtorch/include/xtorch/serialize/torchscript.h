#pragma once
// From a C++ model to a real torch::jit::Module (see nn/exportable.h).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

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

// Largest absolute elementwise difference; +inf when shapes differ.
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);

// ---- xt::export_to_jit: a plain TorchScript file for any TorchScript runtime

struct JitExportOptions {
  // torch::jit::freeze: weights become constants and the eval-mode branches
  // are folded away. Faster to run, but inference only (no train(), no
  // parameters to fine-tune).
  bool freeze = false;
  // Inputs for the check against the eager model; empty: example_inputs().
  std::vector<torch::Tensor> verify_inputs;
  double tolerance = 1e-5;  // max abs difference allowed
};

struct JitExport {
  std::filesystem::path path;
  std::uintmax_t file_bytes = 0;
  double max_abs_diff = 0.0;  // reloaded file vs eager model on the verify inputs
  bool frozen = false;
};

// Scripts `model` (to_torchscript), saves it in eval mode to `path` as plain
// TorchScript (no xtorch manifest: use save_model for that), loads the file
// back with torch::jit::load and compares its outputs with the eager model's.
// The write is atomic and happens only if the check passes; otherwise a
// SerializationError says by how much the outputs differ.
JitExport export_to_jit(nn::ExportableModule& model, const std::filesystem::path& path,
                        const JitExportOptions& options = {});

template <class Impl>
JitExport export_to_jit(torch::nn::ModuleHolder<Impl>& model, const std::filesystem::path& path,
                        const JitExportOptions& options = {}) {
  return export_to_jit(*model, path, options);
}

// Compares `exported(inputs)` with model.reference_forward(inputs). Throws a
// SerializationError naming `path` when the max abs difference exceeds
// `tolerance` (or the shapes differ); returns the difference.
using ExportedForward = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;
double verify_export(nn::ExportableModule& model, const ExportedForward& exported,
                     const std::vector<torch::Tensor>& inputs, double tolerance, const std::filesystem::path& path);

}  // namespace xt

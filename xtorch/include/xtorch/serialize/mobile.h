#pragma once
// xt::export_to_mobile: a C++ model as a PyTorch Mobile lite-interpreter file
// (.ptl) for Android and iOS.
//
//   auto result = xt::export_to_mobile(model, "har.ptl", options);
//   xt::MobileModel loaded = xt::load_mobile("har.ptl");  // lite interpreter, as on a phone
//
// The model is scripted (to_torchscript), frozen, optimized for mobile
// (torch::jit::optimizeForMobile: conv/batch-norm folding, XNNPACK prepacked
// convolutions and linear layers, dropout removal), and saved as mobile
// bytecode with the xtorch manifest as an extra file. The file is loaded back
// with the lite interpreter and compared with the eager model before it
// replaces anything.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/csrc/jit/mobile/module.h>
#include <torch/types.h>

#include "xtorch/nn/exportable.h"
#include "xtorch/serialize/manifest.h"

namespace xt {

struct MobileExportOptions {
  std::vector<torch::Tensor> verify_inputs;  // empty: the model's example_inputs()
  // Folding batch norm into the convolution and XNNPACK's kernels change
  // float rounding, so the check is looser than for plain TorchScript.
  double tolerance = 1e-4;
  nlohmann::json preprocessing = nlohmann::json::object();  // e.g. per-channel normalization
  nlohmann::json metrics = nlohmann::json::object();
};

struct MobileExport {
  std::filesystem::path path;
  std::uintmax_t file_bytes = 0;
  double max_abs_diff = 0.0;  // lite interpreter vs eager on the verify inputs
  // Operator counts of forward's graph: the TorchScript as exported, and the
  // .ptl after freezing and optimizeForMobile (e.g. aten::batch_norm and
  // aten::dropout disappear, aten::conv1d becomes prepacked::conv2d_clamp_run).
  std::map<std::string, int> ops_before, ops_after;
};

MobileExport export_to_mobile(nn::ExportableModule& model, const std::filesystem::path& path,
                              const MobileExportOptions& options = {});

template <class Impl>
MobileExport export_to_mobile(torch::nn::ModuleHolder<Impl>& model, const std::filesystem::path& path,
                              const MobileExportOptions& options = {}) {
  return export_to_mobile(*model, path, options);
}

// A .ptl loaded with the lite interpreter (what PyTorch Mobile runs).
struct MobileModel {
  torch::jit::mobile::Module module;
  Manifest manifest;
  std::filesystem::path path;
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
};

// Throws SerializationError naming the file when it is missing, not an
// archive, truncated, a TorchScript file without mobile bytecode (saved with
// torch::jit::save rather than for the lite interpreter), or has no manifest.
MobileModel load_mobile(const std::filesystem::path& path);

}  // namespace xt

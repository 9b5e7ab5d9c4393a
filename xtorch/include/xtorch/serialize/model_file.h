#pragma once
// xt::save_model / xt::load_model: a whole model in one file, loadable without
// its C++ class.
//
// The file is a TorchScript archive (the zip that torch::jit::save writes) with
// the manifest stored as an extra file. Anything that reads TorchScript reads
// it: torch::jit::load in C++, torch.jit.load in Python (pass
// _extra_files={"xtorch_manifest.json": ""} to get the manifest too).

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "xtorch/nn/exportable.h"
#include "xtorch/serialize/manifest.h"
#include "xtorch/serialize/torchscript.h"

namespace xt {

// What save_model records besides the model itself.
struct ModelInfo {
  nlohmann::json preprocessing = nlohmann::json::object();  // e.g. scaler state
  nlohmann::json metrics = nlohmann::json::object();
  std::string description;
  // Overrides the model's own input_specs() when not empty (e.g. to pin the
  // sequence length the model was trained on).
  std::vector<TensorSpec> inputs;
  // When given, the saved file is loaded back and its outputs on these inputs
  // are compared to the eager model's; a difference above `verify_tolerance`
  // (absolute) throws and the file is removed.
  std::vector<torch::Tensor> verify_inputs;
  double verify_tolerance = 1e-5;
};

struct LoadOptions {
  bool verify_checksum = true;
  torch::Device device = torch::kCPU;
};

// A model read back from a file: the scripted module, its manifest and path.
// The module is in eval mode.
struct LoadedModel {
  torch::jit::Module module;
  Manifest manifest;
  std::filesystem::path path;

  // Checks `inputs` against the manifest's input spec (throws a
  // SerializationError naming the file and the mismatch) and runs forward
  // without autograd.
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
  torch::Tensor forward(const torch::Tensor& input) { return forward(std::vector<torch::Tensor>{input}); }
};

// Writes `model` to `path` atomically (an interrupted save leaves the previous
// file intact). The scripted copy is saved in eval mode; the model's own mode
// is left as it was.
void save_model(nn::ExportableModule& model, const std::filesystem::path& path, const ModelInfo& info = {});

template <class Impl>
void save_model(torch::nn::ModuleHolder<Impl>& model, const std::filesystem::path& path,
                const ModelInfo& info = {}) {
  save_model(*model, path, info);
}

// Reads a file written by save_model. Throws SerializationError naming the
// file when it is missing, not an archive, truncated, has no or a newer
// manifest, or its weights do not match the manifest's checksum.
LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options = {});

// Cheap structural checks of a zip model archive (TorchScript .pt, mobile
// .ptl) before the zip reader, whose own messages ("failed finding central
// directory") do not say what went wrong: missing, not a regular file, empty,
// no zip header, truncated, or bytes after the archive. Throws
// SerializationError naming the file and the problem.
void check_archive(const std::filesystem::path& path);

// Only the manifest (cheap: the weights are not deserialized).
Manifest read_manifest(const std::filesystem::path& path);

}  // namespace xt

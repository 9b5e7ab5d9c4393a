#include "xtorch/serialize/mobile.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/mobile/import.h>
#include <torch/csrc/jit/passes/xnnpack_rewrite.h>
#include <torch/script.h>
#include <torch/version.h>

#include "xtorch/error.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/format.h"
#include "xtorch/version.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

std::map<std::string, int> count_ops(const torch::jit::Module& module) {
  std::map<std::string, int> counts;
  const auto graph = module.get_method("forward").graph();
  for (const auto* node : graph->nodes()) {
    const std::string kind = node->kind().toQualString();
    if (kind.rfind("prim::", 0) != 0) ++counts[kind];  // constants and lists are not operators
  }
  return counts;
}

}  // namespace

MobileExport export_to_mobile(nn::ExportableModule& model, const fs::path& path, const MobileExportOptions& options) {
  torch::jit::Module script = to_torchscript(model);
  script.eval();
  MobileExport result;
  result.path = path;
  result.ops_before = count_ops(script);
  torch::jit::Module frozen = torch::jit::freeze(script);
  torch::jit::Module optimized = torch::jit::optimizeForMobile(frozen);
  result.ops_after = count_ops(optimized);

  Manifest manifest;
  manifest.model_type = model.model_type();
  manifest.config = model.config();
  manifest.preprocessing = options.preprocessing;
  manifest.inputs = model.input_specs();
  manifest.outputs = model.output_specs();
  manifest.metrics = options.metrics;
  manifest.description = "PyTorch Mobile lite-interpreter model (frozen, optimizeForMobile)";
  manifest.libtorch_version = TORCH_VERSION;
  manifest.xtorch_version = kVersion;
  manifest.created_utc = utc_timestamp();
  manifest.weights_sha256 = weights_sha256(model);  // of the trained weights (the file holds folded ones)
  const torch::jit::ExtraFilesMap extra{{kManifestName, manifest.to_json().dump(2)}};

  const std::vector<torch::Tensor> inputs =
      options.verify_inputs.empty() ? model.example_inputs() : options.verify_inputs;
  write_atomically(path, [&](const fs::path& tmp) {
    try {
      optimized._save_for_mobile(tmp.string(), extra);
    } catch (const c10::Error& e) {
      throw SerializationError(path, std::string("mobile save failed: ") + e.what_without_backtrace());
    }
    MobileModel loaded = load_mobile(tmp);
    result.max_abs_diff = verify_export(
        model, [&](const std::vector<torch::Tensor>& args) { return loaded.forward(args); }, inputs,
        options.tolerance, path);
  });
  result.file_bytes = fs::file_size(path);
  return result;
}

MobileModel load_mobile(const fs::path& path) {
  check_archive(path);
  MobileModel model;
  model.path = path;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path.string());
    if (!reader.hasRecord("bytecode.pkl")) {
      throw SerializationError(path, "is TorchScript without mobile bytecode (saved with torch::jit::save, not for "
                                     "the lite interpreter); export it with xt::export_to_mobile or "
                                     "_save_for_lite_interpreter");
    }
  } catch (const c10::Error& e) {
    throw SerializationError(path, "corrupt model archive: " + first_line(e.what_without_backtrace()));
  }
  torch::jit::ExtraFilesMap extra{{kManifestName, ""}};
  try {
    model.module = torch::jit::_load_for_mobile(path.string(), torch::kCPU, extra);
  } catch (const c10::Error& e) {
    throw SerializationError(path, "the lite interpreter cannot load it: " + first_line(e.what_without_backtrace()));
  }
  if (extra[kManifestName].empty()) throw SerializationError(path, std::string("has no xtorch manifest"));
  model.manifest = Manifest::parse(extra[kManifestName], path);
  return model;
}

torch::Tensor MobileModel::forward(const std::vector<torch::Tensor>& inputs) {
  manifest.check_inputs(inputs, path);
  torch::NoGradGuard no_grad;
  return module.forward(std::vector<c10::IValue>(inputs.begin(), inputs.end())).toTensor();
}

}  // namespace xt

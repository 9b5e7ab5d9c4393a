#include "xtorch/serialize/onnx.h"

#include <onnx/onnx_pb.h>

#include <cstdlib>

#include <torch/version.h>

#include "xtorch/error.h"
#include "xtorch/serialize/onnx_builder.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/process.h"
#include "xtorch/util/temp_dir.h"
#include "xtorch/version.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

Manifest onnx_manifest(const nn::ExportableModule& model) {
  Manifest manifest;
  manifest.model_type = model.model_type();
  manifest.config = model.config();
  manifest.inputs = model.input_specs();
  manifest.outputs = model.output_specs();
  manifest.libtorch_version = TORCH_VERSION;
  manifest.xtorch_version = kVersion;
  manifest.created_utc = utc_timestamp();
  manifest.weights_sha256 = weights_sha256(model);
  return manifest;
}

}  // namespace

void nn::ExportableModule::build_onnx(OnnxGraphBuilder&) const {
  throw UnsupportedLayerError("ONNX export: model " + model_type() + " has no ONNX form (it does not implement "
                              "build_onnx)");
}

OnnxExport export_to_onnx(nn::ExportableModule& model, const fs::path& path, const OnnxExportOptions& options) {
  OnnxGraphBuilder graph(model.model_type());
  model.build_onnx(graph);
  const std::string bytes = graph.finish(options.opset, {{kManifestName, onnx_manifest(model).to_json().dump()}});

  const std::string unavailable = options.verify == OnnxVerify::Off ? "" : onnxruntime_unavailable_reason();
  if (options.verify == OnnxVerify::Required && !unavailable.empty()) {
    throw SerializationError(path, "cannot verify the export in ONNX Runtime: " + unavailable +
                                       " (or export with OnnxVerify::IfAvailable / Off)");
  }
  const bool verify = options.verify != OnnxVerify::Off && unavailable.empty();
  const std::vector<torch::Tensor> inputs =
      options.verify_inputs.empty() ? model.example_inputs() : options.verify_inputs;
  const auto specs = model.input_specs();
  if (verify && inputs.size() != specs.size()) {
    throw std::invalid_argument("export_to_onnx: " + std::to_string(inputs.size()) + " verify inputs for " +
                                std::to_string(specs.size()) + " model inputs");
  }

  OnnxExport result;
  result.path = path;
  write_atomically(path, [&](const fs::path& tmp) {
    write_file_atomically(tmp, bytes);
    if (!verify) return;
    result.max_abs_diff = verify_export(
        model,
        [&](const std::vector<torch::Tensor>& args) {
          std::map<std::string, torch::Tensor> named;
          for (std::size_t i = 0; i < args.size(); ++i) named[specs[i].name] = args[i].is_sparse() ? args[i].to_dense() : args[i];
          const auto run = run_onnxruntime(tmp, named);
          return run.outputs.at(model.output_specs().front().name);
        },
        inputs, options.tolerance, path);
    result.verified = true;
  });
  result.file_bytes = fs::file_size(path);
  return result;
}

Manifest read_onnx_manifest(const fs::path& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::exception& e) {
    throw SerializationError(path, std::string("cannot read: ") + e.what());
  }
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph()) {
    throw SerializationError(path, "not an ONNX model (protobuf parse failed)");
  }
  for (const auto& prop : model.metadata_props()) {
    if (prop.key() == kManifestName) return Manifest::parse(prop.value(), path);
  }
  throw SerializationError(path, std::string("has no xtorch manifest in metadata_props (") + kManifestName + ")");
}

fs::path onnxruntime_runner() {
  if (const char* env = std::getenv("XT_ONNXRUNTIME_RUNNER"); env != nullptr && *env != '\0') return env;
  return XT_ONNXRUNTIME_RUNNER_DEFAULT;
}

std::string onnxruntime_unavailable_reason() {
  if (!on_path("node")) return "Node.js ('node') is not on PATH (scripts/setup.sh installs it)";
  const fs::path runner = onnxruntime_runner();
  std::error_code ec;
  if (!fs::is_regular_file(runner, ec)) {
    return "the ONNX Runtime runner " + runner.string() + " does not exist (set XT_ONNXRUNTIME_RUNNER)";
  }
  if (!fs::exists(runner.parent_path() / "node_modules" / "onnxruntime-node", ec)) {
    return "onnxruntime-node is not installed next to " + runner.string() +
           " (run: cd " + runner.parent_path().string() + " && ONNXRUNTIME_NODE_INSTALL=skip npm ci)";
  }
  return {};
}

OnnxRuntimeResult run_onnxruntime(const fs::path& model, const std::map<std::string, torch::Tensor>& inputs,
                                  const OnnxRuntimeOptions& options) {
  if (const std::string why = onnxruntime_unavailable_reason(); !why.empty()) {
    throw SerializationError(model, "cannot run ONNX Runtime: " + why);
  }
  TempDir scratch("xtorch-ort");
  std::vector<std::string> command = {"node", onnxruntime_runner().string(), model.string()};
  int index = 0;
  for (const auto& [name, tensor] : inputs) {
    const fs::path file = scratch / ("input" + std::to_string(index++) + ".npy");
    write_npy(file, tensor);
    command.insert(command.end(), {"--input", name + "=" + file.string()});
  }
  command.insert(command.end(), {"--output-dir", (scratch / "out").string(), "--warmup", std::to_string(options.warmup),
                                 "--repeat", std::to_string(options.repeat), "--threads",
                                 std::to_string(options.threads)});
  const ProcessResult run = run_process(command);
  if (run.exit_code != 0) {
    throw SerializationError(model, "ONNX Runtime failed: " +
                                        (run.err.empty() ? "exit status " + std::to_string(run.exit_code) : run.err));
  }
  const std::string& output = run.out;
  OnnxRuntimeResult result;
  try {
    const auto json = nlohmann::json::parse(output);
    result.version = json.at("onnxruntime").get<std::string>();
    result.latency = metrics::summarize_latency(json.at("latency_ms").get<std::vector<double>>());
    for (const auto& [name, entry] : json.at("outputs").items()) {
      result.outputs[name] = read_npy(entry.at("file").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(model, "unexpected output from the ONNX Runtime runner: " + std::string(e.what()));
  }
  return result;
}

}  // namespace xt

#include "xtorch/serialize/onnx.h"

#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <torch/version.h>

#include "xtorch/error.h"
#include "xtorch/serialize/onnx_builder.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/temp_dir.h"
#include "xtorch/version.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    std::error_code ec;
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / program;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

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

  std::string unavailable;
  if (options.verify == OnnxVerify::Required) {
    unavailable = onnxruntime_unavailable_reason();
    if (!unavailable.empty()) {
      throw SerializationError(path, "cannot verify the export in ONNX Runtime: " + unavailable +
                                         " (or export with OnnxVerify::IfAvailable / Off)");
    }
  }
  const bool verify = options.verify == OnnxVerify::Required ||
                      (options.verify == OnnxVerify::IfAvailable && onnxruntime_unavailable_reason().empty());
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
  std::string command = "node " + shell_quote(onnxruntime_runner().string()) + " " + shell_quote(model.string());
  int index = 0;
  for (const auto& [name, tensor] : inputs) {
    const fs::path file = scratch.path() / ("input" + std::to_string(index++) + ".npy");
    write_npy(file, tensor);
    command += " --input " + shell_quote(name + "=" + file.string());
  }
  const fs::path errors = scratch.path() / "stderr.txt";
  command += " --output-dir " + shell_quote((scratch.path() / "out").string()) + " --warmup " +
             std::to_string(options.warmup) + " --repeat " + std::to_string(options.repeat) + " --threads " +
             std::to_string(options.threads) + " 2>" + shell_quote(errors.string());

  std::string output;
  int status = -1;
  {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe) throw SerializationError(model, "cannot start node");
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
    status = ::pclose(pipe.release());
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string message = read_file(errors);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw SerializationError(model, "ONNX Runtime failed: " + (message.empty() ? "exit status " +
                                                                                     std::to_string(status)
                                                                               : message));
  }
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

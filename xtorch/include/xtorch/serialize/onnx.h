#pragma once
// xt::export_to_onnx: a C++ model as an ONNX file, verified in ONNX Runtime.
//
//   xt::export_to_onnx(model, "model.onnx");          // opset 17
//   auto result = xt::run_onnxruntime("model.onnx", {{"x", x}});
//
// The graph comes from the model's build_onnx() (serialize/onnx_builder.h),
// is checked by onnx::checker and strict shape inference, carries the xtorch
// manifest in metadata_props, and is written atomically. There is no ONNX
// Runtime C++ package on Debian, so the library runs ONNX Runtime through
// Node.js (npm onnxruntime-node, tools/onnxruntime/run.js).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "xtorch/metrics/latency.h"
#include "xtorch/nn/exportable.h"
#include "xtorch/serialize/manifest.h"

namespace xt {

enum class OnnxVerify {
  Required,     // run the file in ONNX Runtime; fail if the runner is missing
  IfAvailable,  // verify when the runner is installed, else skip
  Off,
};

struct OnnxExportOptions {
  int opset = 17;
  // Inputs for the ONNX Runtime check; empty: the model's example_inputs().
  std::vector<torch::Tensor> verify_inputs;
  double tolerance = 1e-4;  // max abs difference to the eager model
  OnnxVerify verify = OnnxVerify::Required;
};

struct OnnxExport {
  std::filesystem::path path;
  std::uintmax_t file_bytes = 0;
  bool verified = false;
  double max_abs_diff = 0.0;  // ONNX Runtime vs eager, when verified
};

// Builds, checks and writes the ONNX file; with verification, runs the
// temporary file in ONNX Runtime and compares with the eager model before it
// replaces `path`. Errors: UnsupportedLayerError (the model or one of its
// layers has no ONNX form), std::invalid_argument (the checker's message),
// SerializationError (write or verification failure, naming the file).
OnnxExport export_to_onnx(nn::ExportableModule& model, const std::filesystem::path& path,
                          const OnnxExportOptions& options = {});

template <class Impl>
OnnxExport export_to_onnx(torch::nn::ModuleHolder<Impl>& model, const std::filesystem::path& path,
                          const OnnxExportOptions& options = {}) {
  return export_to_onnx(*model, path, options);
}

// The xtorch manifest stored in an ONNX file's metadata_props. Throws
// SerializationError naming the file if it is not ONNX or has none.
Manifest read_onnx_manifest(const std::filesystem::path& path);

// ---- ONNX Runtime (Node.js) ----

struct OnnxRuntimeOptions {
  int warmup = 0;
  int repeat = 1;   // timed runs; the outputs are those of the last
  int threads = 1;  // intra-op threads
};

struct OnnxRuntimeResult {
  std::map<std::string, torch::Tensor> outputs;
  metrics::LatencyStats latency;  // of the timed runs, as measured inside Node
  std::string version;            // onnxruntime-node version
};

// Where the runner is: $XT_ONNXRUNTIME_RUNNER, else tools/onnxruntime/run.js
// of the source tree this library was built from.
std::filesystem::path onnxruntime_runner();

// Empty when `node` and the runner with its npm packages are there; else
// what is missing and how to install it.
std::string onnxruntime_unavailable_reason();

// Runs `model` on named inputs in ONNX Runtime. Throws SerializationError
// naming the model with the runner's message on failure.
OnnxRuntimeResult run_onnxruntime(const std::filesystem::path& model,
                                  const std::map<std::string, torch::Tensor>& inputs,
                                  const OnnxRuntimeOptions& options = {});

}  // namespace xt

#include "xtorch/serialize/python.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "xtorch/error.h"
#include "xtorch/serialize/tensor_file.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/process.h"
#include "xtorch/util/temp_dir.h"

namespace xt {
namespace fs = std::filesystem;

fs::path python_interpreter() {
  if (const char* env = std::getenv("XT_PYTHON"); env != nullptr && *env != '\0') return env;
  return "/usr/bin/python3";
}

std::string python_torch_unavailable_reason() {
  std::error_code ec;
  if (!fs::exists(python_interpreter(), ec)) return python_interpreter().string() + " does not exist";
  const auto check = run_process({python_interpreter().string(), "-c", "import torch, numpy"});
  if (check.exit_code != 0) {
    return python_interpreter().string() + " lacks torch or numpy (Debian: python3-torch python3-numpy): " + check.err;
  }
  if (!fs::is_regular_file(XT_PYTHON_RUNNER, ec)) return std::string("runner ") + XT_PYTHON_RUNNER + " is missing";
  return {};
}

PythonRunResult run_torchscript_in_python(const fs::path& model, const std::vector<torch::Tensor>& inputs,
                                          const PythonRunOptions& options) {
  TempDir scratch("xtorch-python");
  std::map<std::string, torch::Tensor> named;
  for (std::size_t i = 0; i < inputs.size(); ++i) named["input" + std::to_string(i)] = inputs[i];
  save_tensors(scratch / "inputs.pt", named);
  const auto run = run_process({python_interpreter().string(), XT_PYTHON_RUNNER, model.string(),
                                (scratch / "inputs.pt").string(), "--output", (scratch / "output.npy").string(),
                                "--warmup", std::to_string(options.warmup), "--repeat", std::to_string(options.repeat),
                                "--threads", std::to_string(options.threads)});
  if (run.exit_code != 0) {
    const std::string last_line = run.err.substr(run.err.rfind('\n') + 1);
    throw SerializationError(model, "Python torch.jit.load / run failed: " +
                                        (last_line.empty() ? "exit status " + std::to_string(run.exit_code) : last_line));
  }
  PythonRunResult result;
  try {
    const auto json = nlohmann::json::parse(run.out);
    result.torch_version = json.at("torch").get<std::string>();
    result.latency = metrics::summarize_latency(json.at("latency_ms").get<std::vector<double>>());
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(model, "unexpected output from the Python runner: " + std::string(e.what()));
  }
  result.output = read_npy(scratch / "output.npy");
  return result;
}

}  // namespace xt

#pragma once
// Running a TorchScript file in Python's PyTorch from C++: the "deploy to
// Python" parity check (Debian's /usr/bin/python3 with python3-torch).

#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "xtorch/metrics/latency.h"

namespace xt {

struct PythonRunOptions {
  int warmup = 3;
  int repeat = 20;  // timed runs; the output is that of the last
  int threads = 1;
};

struct PythonRunResult {
  torch::Tensor output;
  metrics::LatencyStats latency;  // measured inside Python
  std::string torch_version;
};

// $XT_PYTHON, else /usr/bin/python3.
std::filesystem::path python_interpreter();

// Empty when the interpreter has torch and numpy; else what is missing.
std::string python_torch_unavailable_reason();

// torch.jit.load(model) in Python, run on `inputs` (positional). Throws
// SerializationError naming the model with Python's message on failure.
PythonRunResult run_torchscript_in_python(const std::filesystem::path& model, const std::vector<torch::Tensor>& inputs,
                                          const PythonRunOptions& options = {});

}  // namespace xt

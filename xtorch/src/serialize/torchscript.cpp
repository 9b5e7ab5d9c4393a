#include "xtorch/serialize/torchscript.h"

#include <cstdio>
#include <limits>
#include <map>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/serialization/import.h>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/format.h"
#include "xtorch/util/sha256.h"

namespace xt {
namespace {

void hash_tensor(Sha256& hash, const std::string& name, const torch::Tensor& value) {
  const torch::Tensor t = value.detach().to(torch::kCPU).contiguous();
  hash.update(name);
  hash.update(dtype_name(t.scalar_type()));
  for (const auto size : t.sizes()) hash.update(&size, sizeof size);
  hash.update(t.data_ptr(), t.numel() * t.element_size());
}

std::string digest(const std::map<std::string, torch::Tensor>& tensors) {
  Sha256 hash;
  for (const auto& [name, tensor] : tensors) hash_tensor(hash, name, tensor);
  return hash.hex_digest();
}

// The C++ resolver knows only `torch`; model sources also need `raise
// RuntimeError(...)` to reject bad inputs with a readable message.
struct ExportResolver : torch::jit::NativeResolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& m,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "RuntimeError" || name == "ValueError" || name == "Exception") {
      return std::make_shared<torch::jit::ExceptionValue>(name);
    }
    return NativeResolver::resolveValue(name, m, loc);
  }
};

// Eval mode and no autograd for a scope; the previous mode comes back after.
class InferenceScope {
 public:
  explicit InferenceScope(torch::nn::Module& module) : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  InferenceScope(const InferenceScope&) = delete;
  InferenceScope& operator=(const InferenceScope&) = delete;
  ~InferenceScope() { module_.train(was_training_); }

 private:
  torch::nn::Module& module_;
  bool was_training_;
  torch::NoGradGuard no_grad_;
};

}  // namespace

std::vector<torch::Tensor> nn::ExportableModule::example_inputs() const {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/12345);
  std::vector<torch::Tensor> inputs;
  for (const auto& spec : input_specs()) {
    std::vector<std::int64_t> shape;
    for (const auto d : spec.shape) shape.push_back(d < 0 ? 3 : d);
    torch::Tensor value = torch::randn(shape, generator, torch::kFloat32);
    if (spec.dtype == "float64") {
      value = value.to(torch::kFloat64);
    } else if (spec.dtype != "float32") {
      throw std::logic_error(model_type() + ": input '" + spec.name + "' is " + spec.dtype +
                             "; override example_inputs() to give verification inputs");
    }
    inputs.push_back(value);
  }
  return inputs;
}

torch::Tensor nn::ExportableModule::reference_forward(const std::vector<torch::Tensor>& inputs) {
  InferenceScope scope(*this);
  return eager_forward(inputs);
}

std::string nn::ExportableModule::script_name(const std::string& parameter_name) {
  std::string name = parameter_name;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

std::string nn::ExportableModule::script_float(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  std::string text = buffer;
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

std::string nn::ExportableModule::script_lstm_weights(const std::string& module_name, std::int64_t num_layers) {
  std::string list = "[";
  for (std::int64_t layer = 0; layer < num_layers; ++layer) {
    const std::string l = std::to_string(layer);
    const std::string m = "self." + script_name(module_name) + "_";
    if (layer) list += ", ";
    list += m + "weight_ih_l" + l + ", " + m + "weight_hh_l" + l + ", " + m + "bias_ih_l" + l + ", " + m + "bias_hh_l" + l;
  }
  return list + "]";
}

torch::jit::Module to_torchscript(const nn::ExportableModule& model) {
  torch::jit::Module script(c10::QualifiedName("__torch__.xtorch." + model.model_type()));
  script.register_attribute("training", c10::BoolType::get(), model.is_training());

  std::map<std::string, std::string> taken;  // script name -> original name
  const auto register_tensor = [&](const std::string& name, const torch::Tensor& value, bool is_buffer) {
    const std::string attribute = nn::ExportableModule::script_name(name);
    if (const auto it = taken.find(attribute); it != taken.end()) {
      throw std::invalid_argument(model.model_type() + ": parameters '" + it->second + "' and '" + name +
                                  "' both map to the TorchScript attribute '" + attribute + "'");
    }
    taken.emplace(attribute, name);
    torch::Tensor copy = value.detach().clone();
    if (!is_buffer) copy.set_requires_grad(value.requires_grad());
    script.register_parameter(attribute, copy, is_buffer);
  };
  for (const auto& p : model.named_parameters(/*recurse=*/true)) register_tensor(p.key(), p.value(), false);
  for (const auto& b : model.named_buffers(/*recurse=*/true)) register_tensor(b.key(), b.value(), true);

  try {
    script.define(model.torchscript_source(), std::make_shared<ExportResolver>());
  } catch (const std::exception& e) {  // torch::jit::ErrorReport is not a c10::Error
    throw std::logic_error(model.model_type() + ": its TorchScript source does not compile: " + e.what());
  }
  return script;
}

std::string weights_sha256(const torch::jit::Module& module) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) tensors.emplace(p.name, p.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) tensors.emplace(b.name, b.value);
  return digest(tensors);
}

std::string weights_sha256(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    tensors.emplace(nn::ExportableModule::script_name(p.key()), p.value());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    tensors.emplace(nn::ExportableModule::script_name(b.key()), b.value());
  }
  return digest(tensors);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
  if (a.numel() == 0) return 0.0;
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

double verify_export(nn::ExportableModule& model, const ExportedForward& exported,
                     const std::vector<torch::Tensor>& inputs, double tolerance, const std::filesystem::path& path) {
  const torch::Tensor expected = model.reference_forward(inputs);
  torch::Tensor actual;
  {
    torch::NoGradGuard no_grad;
    actual = exported(inputs);
  }
  const double diff = max_abs_diff(expected, actual);
  if (!(diff <= tolerance)) {
    const std::string what = expected.sizes() != actual.sizes()
                                 ? "has output shape " + c10::str(actual.sizes()) + ", the eager model " +
                                       c10::str(expected.sizes())
                                 : "differs from the eager model by " + std::to_string(diff) + " (tolerance " +
                                       std::to_string(tolerance) + ")";
    throw SerializationError(path, "verification failed: the reloaded " + model.model_type() + " " + what +
                                       "; the file was not written");
  }
  return diff;
}

JitExport export_to_jit(nn::ExportableModule& model, const std::filesystem::path& path,
                        const JitExportOptions& options) {
  torch::jit::Module script = to_torchscript(model);
  script.eval();
  if (options.freeze) script = torch::jit::freeze(script);
  const std::vector<torch::Tensor> inputs =
      options.verify_inputs.empty() ? model.example_inputs() : options.verify_inputs;

  JitExport result;
  result.path = path;
  result.frozen = options.freeze;
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    try {
      script.save(tmp.string());
    } catch (const c10::Error& e) {
      throw SerializationError(path, "TorchScript save failed: " + first_line(e.what_without_backtrace()));
    }
    torch::jit::Module reloaded = torch::jit::load(tmp.string());
    result.max_abs_diff = verify_export(
        model,
        [&](const std::vector<torch::Tensor>& args) {
          return reloaded.forward(std::vector<torch::jit::IValue>(args.begin(), args.end())).toTensor();
        },
        inputs, options.tolerance, path);
  });
  result.file_bytes = std::filesystem::file_size(path);
  return result;
}

}  // namespace xt

#include "xtorch/serialize/torchscript.h"

#include <cstdio>
#include <map>

#include <torch/csrc/jit/frontend/resolver.h>

#include "xtorch/error.h"
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

}  // namespace

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

}  // namespace xt

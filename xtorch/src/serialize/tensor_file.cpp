#include "xtorch/serialize/tensor_file.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"

namespace xt {
namespace {

constexpr const char* kIndices = ".indices";
constexpr const char* kValues = ".values";
constexpr const char* kSize = ".size";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "x.values" / "x.size" when "x.indices" exists too.
bool is_sparse_part(const std::map<std::string, torch::Tensor>& raw, const std::string& key) {
  for (const std::string suffix : {kValues, kSize}) {
    if (ends_with(key, suffix) && raw.count(key.substr(0, key.size() - suffix.size()) + kIndices)) return true;
  }
  return false;
}

}  // namespace

void save_tensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined()) throw std::invalid_argument("save_tensors: tensor '" + name + "' is undefined");
    if (tensor.is_sparse()) {
      const torch::Tensor t = tensor.coalesce();
      dict.insert(name + kIndices, t.indices().contiguous());
      dict.insert(name + kValues, t.values().contiguous());
      dict.insert(name + kSize, torch::tensor(t.sizes().vec(), torch::kInt64));
    } else {
      dict.insert(name, tensor.contiguous());
    }
  }
  const std::vector<char> bytes = torch::pickle_save(dict);
  write_file_atomically(path, std::string_view(bytes.data(), bytes.size()));
}

std::map<std::string, torch::Tensor> load_tensors(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    throw SerializationError(path, std::string("not a tensor file: ") + e.what_without_backtrace());
  }
  if (!value.isGenericDict()) throw SerializationError(path, "not a dict of tensors");
  std::map<std::string, torch::Tensor> raw;
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) throw SerializationError(path, "not a dict of tensors");
    raw.emplace(item.key().toStringRef(), item.value().toTensor());
  }
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [key, tensor] : raw) {
    if (ends_with(key, kIndices)) {
      const std::string name = key.substr(0, key.size() - std::string(kIndices).size());
      const auto values = raw.find(name + kValues);
      const auto size = raw.find(name + kSize);
      if (values == raw.end() || size == raw.end()) {
        throw SerializationError(path, "sparse tensor '" + name + "' is missing its values or size");
      }
      const torch::Tensor sizes = size->second.to(torch::kInt64);
      tensors[name] = torch::sparse_coo_tensor(tensor, values->second,
                                               std::vector<std::int64_t>(sizes.data_ptr<std::int64_t>(),
                                                                         sizes.data_ptr<std::int64_t>() + sizes.numel()))
                          .coalesce();
    } else if (!is_sparse_part(raw, key)) {
      tensors[key] = tensor;
    }
  }
  return tensors;
}

}  // namespace xt

#pragma once
// Model type -> factory: rebuilds a C++ module from the type name and config
// a manifest or checkpoint stores, so a checkpoint can be resumed by a
// program that does not know in advance which model it holds.
//
//   auto registry = xt::nn::ModelRegistry::builtin();   // the library's models
//   registry.add("MyNet", [](const nlohmann::json& c) { return std::make_shared<MyNetImpl>(c); });
//   auto model = xt::nn::load_checkpoint_model("runs/step-000000100.xtckpt", registry);
//
// A registry is a plain value: no global table to register into.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "xtorch/nn/exportable.h"

namespace xt::nn {

class ModelRegistry {
 public:
  using Factory = std::function<std::shared_ptr<DescribedModule>(const nlohmann::json& config)>;

  // LSTMForecaster, LSTMAutoencoder, GCN, CNN1d, ConvAutoencoder, GraphSAGE.
  static ModelRegistry builtin();

  ModelRegistry& add(const std::string& type, Factory factory);
  bool contains(const std::string& type) const { return factories_.count(type) > 0; }
  std::vector<std::string> types() const;

  // Throws std::invalid_argument naming the type and the known ones.
  std::shared_ptr<DescribedModule> create(const std::string& type, const nlohmann::json& config) const;

 private:
  std::map<std::string, Factory> factories_;
};

// Rebuilds the model a checkpoint was written from (its type and config are
// in the header) and loads the checkpoint's weights into it.
std::shared_ptr<DescribedModule> load_checkpoint_model(const std::filesystem::path& path,
                                                       const ModelRegistry& registry = ModelRegistry::builtin());

}  // namespace xt::nn

#include "xtorch/nn/registry.h"

#include <stdexcept>

#include "xtorch/error.h"
#include "xtorch/nn/cnn1d.h"
#include "xtorch/nn/conv_autoencoder.h"
#include "xtorch/nn/gcn.h"
#include "xtorch/nn/graphsage.h"
#include "xtorch/nn/lstm_autoencoder.h"
#include "xtorch/nn/lstm_forecaster.h"
#include "xtorch/serialize/checkpoint.h"

namespace xt::nn {
namespace {

template <class Impl, class Config>
ModelRegistry::Factory factory_of() {
  return [](const nlohmann::json& config) -> std::shared_ptr<DescribedModule> {
    return std::make_shared<Impl>(Config::from_json(config));
  };
}

}  // namespace

ModelRegistry ModelRegistry::builtin() {
  ModelRegistry r;
  r.add("LSTMForecaster", factory_of<LSTMForecasterImpl, LSTMForecasterConfig>());
  r.add("LSTMAutoencoder", factory_of<LSTMAutoencoderImpl, LSTMAutoencoderConfig>());
  r.add("GCN", factory_of<GCNImpl, GCNConfig>());
  r.add("CNN1d", factory_of<CNN1dImpl, CNN1dConfig>());
  r.add("ConvAutoencoder", factory_of<ConvAutoencoderImpl, ConvAutoencoderConfig>());
  r.add("GraphSAGE", factory_of<GraphSAGEImpl, GraphSAGEConfig>());
  return r;
}

ModelRegistry& ModelRegistry::add(const std::string& type, Factory factory) {
  if (type.empty() || !factory) throw std::invalid_argument("ModelRegistry::add: empty type or factory");
  factories_[type] = std::move(factory);
  return *this;
}

std::vector<std::string> ModelRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [type, factory] : factories_) out.push_back(type);
  return out;
}

std::shared_ptr<DescribedModule> ModelRegistry::create(const std::string& type, const nlohmann::json& config) const {
  const auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
    throw std::invalid_argument("unknown model type '" + type + "' (known: " + known + ")");
  }
  return it->second(config);
}

std::shared_ptr<DescribedModule> load_checkpoint_model(const std::filesystem::path& path,
                                                       const ModelRegistry& registry) {
  const CheckpointInfo info = inspect_checkpoint(path, /*verify_payload=*/false);
  if (info.model_type.empty()) throw SerializationError(path, "does not say which model it holds (no model_type)");
  std::shared_ptr<DescribedModule> model;
  try {
    model = registry.create(info.model_type, info.model_config);
  } catch (const std::exception& e) {
    throw SerializationError(path, std::string("cannot rebuild its model: ") + e.what());
  }
  CheckpointParts parts(*model);
  parts.torch_generator = false;  // loading a model must not reset the caller's RNG
  load_checkpoint(path, parts);
  return model;
}

}  // namespace xt::nn

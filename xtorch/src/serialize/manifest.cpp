#include "xtorch/serialize/manifest.h"

#include <ctime>
#include <sstream>

#include "xtorch/error.h"

namespace xt {
using nlohmann::json;

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(type);
  }
}

json TensorSpec::to_json() const { return {{"name", name}, {"shape", shape}, {"dtype", dtype}}; }

TensorSpec TensorSpec::from_json(const json& j) {
  TensorSpec spec;
  spec.name = j.at("name").get<std::string>();
  spec.shape = j.at("shape").get<std::vector<std::int64_t>>();
  spec.dtype = j.value("dtype", "float32");
  return spec;
}

std::string TensorSpec::shape_string() const {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out << ", ";
    if (shape[i] < 0) out << "*"; else out << shape[i];
  }
  out << "]";
  return out.str();
}

std::string TensorSpec::mismatch(const torch::Tensor& t) const {
  const auto actual_shape = [&] {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
  };
  if (!t.defined()) return "input '" + name + "' is an undefined tensor";
  bool shape_ok = t.dim() == static_cast<std::int64_t>(shape.size());
  for (std::size_t i = 0; shape_ok && i < shape.size(); ++i) {
    shape_ok = shape[i] < 0 || shape[i] == t.size(static_cast<std::int64_t>(i));
  }
  if (!shape_ok) {
    return "input '" + name + "' has shape " + actual_shape() + ", expected " + shape_string();
  }
  if (dtype_name(t.scalar_type()) != dtype) {
    return "input '" + name + "' has dtype " + dtype_name(t.scalar_type()) + ", expected " + dtype;
  }
  return {};
}

json Manifest::to_json() const {
  json in = json::array(), out = json::array();
  for (const auto& s : inputs) in.push_back(s.to_json());
  for (const auto& s : outputs) out.push_back(s.to_json());
  return {{"format_version", format_version},
          {"model_type", model_type},
          {"config", config},
          {"preprocessing", preprocessing},
          {"inputs", in},
          {"outputs", out},
          {"metrics", metrics},
          {"description", description},
          {"libtorch_version", libtorch_version},
          {"xtorch_version", xtorch_version},
          {"created_utc", created_utc},
          {"weights_sha256", weights_sha256}};
}

Manifest Manifest::from_json(const json& j, const std::filesystem::path& file) {
  if (!j.is_object()) throw SerializationError(file, "manifest is not a JSON object");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer()) {
    throw SerializationError(file, "manifest has no integer 'format_version'");
  }
  Manifest m;
  m.format_version = j["format_version"].get<int>();
  if (m.format_version > kManifestFormatVersion || m.format_version < 1) {
    throw SerializationError(file, "unknown manifest format version " + std::to_string(m.format_version) +
                                       " (this build of xtorch reads versions 1 to " +
                                       std::to_string(kManifestFormatVersion) + "; upgrade xtorch)");
  }
  try {
    m.model_type = j.at("model_type").get<std::string>();
    m.config = j.value("config", json::object());
    m.preprocessing = j.value("preprocessing", json::object());
    for (const auto& s : j.value("inputs", json::array())) m.inputs.push_back(TensorSpec::from_json(s));
    for (const auto& s : j.value("outputs", json::array())) m.outputs.push_back(TensorSpec::from_json(s));
    m.metrics = j.value("metrics", json::object());
    m.description = j.value("description", "");
    m.libtorch_version = j.value("libtorch_version", "");
    m.xtorch_version = j.value("xtorch_version", "");
    m.created_utc = j.value("created_utc", "");
    m.weights_sha256 = j.at("weights_sha256").get<std::string>();
  } catch (const json::exception& e) {
    throw SerializationError(file, std::string("malformed manifest: ") + e.what());
  }
  return m;
}

Manifest Manifest::parse(const std::string& text, const std::filesystem::path& file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw SerializationError(file, std::string("manifest is not valid JSON: ") + e.what());
  }
  return from_json(j, file);
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

void Manifest::check_inputs(const std::vector<torch::Tensor>& given, const std::filesystem::path& file) const {
  if (given.size() != inputs.size()) {
    throw SerializationError(file, model_type + " takes " + std::to_string(inputs.size()) + " input(s), got " +
                                       std::to_string(given.size()));
  }
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (const std::string problem = inputs[i].mismatch(given[i]); !problem.empty()) {
      throw SerializationError(file, problem);
    }
  }
}

}  // namespace xt

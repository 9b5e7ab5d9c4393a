#pragma once
// The manifest: a JSON document stored inside every model file the library
// writes. It says what the file holds (model type and config), how to feed it
// (input spec, preprocessing such as scaler parameters), how good it was
// (metrics), what wrote it (format, LibTorch and xtorch versions) and a
// checksum of the weights, so a reader needs nothing but the file.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

namespace xt {

// The manifest format this build writes and the newest one it reads.
inline constexpr int kManifestFormatVersion = 1;

// Name of the manifest inside archives ("extra files" of a TorchScript zip).
inline constexpr const char* kManifestName = "xtorch_manifest.json";

// Shape and dtype of one model input or output. A dimension of -1 means "any
// size" (batch, or sequence length for recurrent models).
struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  std::string dtype = "float32";

  nlohmann::json to_json() const;
  static TensorSpec from_json(const nlohmann::json& j);
  // "[*, 48, 31]" with * for dynamic dimensions.
  std::string shape_string() const;
  // Empty when `t` matches, else a sentence saying what differs.
  std::string mismatch(const torch::Tensor& t) const;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string model_type;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json preprocessing = nlohmann::json::object();
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  nlohmann::json metrics = nlohmann::json::object();
  std::string description;
  std::string libtorch_version;
  std::string xtorch_version;
  std::string created_utc;
  std::string weights_sha256;

  nlohmann::json to_json() const;
  // Parses and validates; errors are SerializationError naming `file`.
  static Manifest from_json(const nlohmann::json& j, const std::filesystem::path& file);
  static Manifest parse(const std::string& text, const std::filesystem::path& file);

  // Throws SerializationError naming `file` when `inputs` do not match the
  // input spec (count, shape, dtype).
  void check_inputs(const std::vector<torch::Tensor>& inputs, const std::filesystem::path& file) const;
};

// Current UTC time as ISO 8601 ("2026-12-04T16:10:54Z").
std::string utc_timestamp();

// "float32", "float64", "int64", ... for a torch dtype.
std::string dtype_name(torch::ScalarType type);

}  // namespace xt

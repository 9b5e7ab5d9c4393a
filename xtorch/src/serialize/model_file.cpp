#include "xtorch/serialize/model_file.h"

#include <torch/version.h>

#include <fstream>

#include "xtorch/error.h"
#include "xtorch/serialize/torchscript.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/format.h"
#include "xtorch/version.h"

namespace xt {
namespace fs = std::filesystem;

void check_archive(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw SerializationError(path, "file does not exist");
  if (!fs::is_regular_file(path, ec)) throw SerializationError(path, "is not a regular file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw SerializationError(path, "cannot read file size: " + ec.message());
  if (size == 0) throw SerializationError(path, "file is empty (0 bytes)");

  std::ifstream in(path, std::ios::binary);
  if (!in) throw SerializationError(path, "cannot open for reading");
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() < 4 || std::string(magic, 4) != std::string("PK\x03\x04", 4)) {
    throw SerializationError(path, "not a TorchScript archive (no zip header at the start of the file; " +
                                       format_bytes(size) + ")");
  }
  // The end-of-central-directory record (22 bytes + comment) ends the file;
  // it sits in the last 22 + 65535 bytes.
  const std::uint64_t tail = std::min<std::uint64_t>(size, 22 + 65535);
  std::string end(tail, '\0');
  in.seekg(static_cast<std::streamoff>(size - tail));
  in.read(end.data(), static_cast<std::streamsize>(tail));
  const auto truncated = [&] {
    return SerializationError(path, "truncated: the zip archive's end-of-central-directory record is missing or cut "
                                    "short (file is " + format_bytes(size) +
                                    "; was the save interrupted or the copy cut short?)");
  };
  const std::size_t eocd = end.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos || eocd + 22 > end.size()) throw truncated();
  const auto le16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(end[at])) |
           static_cast<std::size_t>(static_cast<unsigned char>(end[at + 1])) << 8;
  };
  const std::size_t record_end = eocd + 22 + le16(eocd + 20);
  if (record_end > end.size()) throw truncated();
  if (record_end < end.size()) {
    throw SerializationError(path, "corrupt: " + std::to_string(end.size() - record_end) +
                                       " unexpected bytes after the end of the zip archive");
  }
}


void save_model(nn::ExportableModule& model, const fs::path& path, const ModelInfo& info) {
  torch::jit::Module script = to_torchscript(model);
  script.eval();

  Manifest manifest;
  manifest.model_type = model.model_type();
  manifest.config = model.config();
  manifest.preprocessing = info.preprocessing;
  manifest.inputs = info.inputs.empty() ? model.input_specs() : info.inputs;
  manifest.outputs = model.output_specs();
  manifest.metrics = info.metrics;
  manifest.description = info.description;
  manifest.libtorch_version = TORCH_VERSION;
  manifest.xtorch_version = kVersion;
  manifest.created_utc = utc_timestamp();
  manifest.weights_sha256 = weights_sha256(script);

  torch::jit::ExtraFilesMap extra{{kManifestName, manifest.to_json().dump(2)}};
  // Verification reads the temporary file back before it replaces `path`, so
  // a model that fails it never overwrites the last good file.
  write_atomically(path, [&](const fs::path& tmp) {
    try {
      script.save(tmp.string(), extra);
    } catch (const c10::Error& e) {
      throw SerializationError(path, "TorchScript save failed: " + first_line(e.what_without_backtrace()));
    }
    if (!info.verify_inputs.empty()) {
      LoadedModel loaded = load_model(tmp);
      verify_export(
          model, [&](const std::vector<torch::Tensor>& inputs) { return loaded.forward(inputs); },
          info.verify_inputs, info.verify_tolerance, path);
    }
  });
}

LoadedModel load_model(const fs::path& path, const LoadOptions& options) {
  check_archive(path);
  torch::jit::ExtraFilesMap extra{{kManifestName, ""}};
  LoadedModel loaded;
  loaded.path = path;
  try {
    loaded.module = torch::jit::load(path.string(), options.device, extra);
  } catch (const c10::Error& e) {
    throw SerializationError(path, "corrupt TorchScript archive: " + first_line(e.what_without_backtrace()));
  }
  const std::string& manifest_text = extra[kManifestName];
  if (manifest_text.empty()) {
    throw SerializationError(path, std::string("has no xtorch manifest (") + kManifestName +
                                       "); it is plain TorchScript: load it with torch::jit::load");
  }
  loaded.manifest = Manifest::parse(manifest_text, path);
  if (options.verify_checksum) {
    const std::string actual = weights_sha256(loaded.module);
    if (actual != loaded.manifest.weights_sha256) {
      throw SerializationError(path, "checksum mismatch: the weights hash to " + actual.substr(0, 12) +
                                         "... but the manifest records " +
                                         loaded.manifest.weights_sha256.substr(0, 12) +
                                         "... (file corrupted, or weights changed after saving)");
    }
  }
  loaded.module.eval();
  return loaded;
}

Manifest read_manifest(const fs::path& path) {
  check_archive(path);
  const std::string record = std::string("extra/") + kManifestName;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path.string());
    if (reader.hasRecord(record)) {
      auto [data, size] = reader.getRecord(record);
      return Manifest::parse(std::string(static_cast<const char*>(data.get()), size), path);
    }
  } catch (const c10::Error& e) {
    throw SerializationError(path, "corrupt TorchScript archive: " + first_line(e.what_without_backtrace()));
  }
  throw SerializationError(path, std::string("has no xtorch manifest (") + kManifestName + ")");
}

torch::Tensor LoadedModel::forward(const std::vector<torch::Tensor>& inputs) {
  manifest.check_inputs(inputs, path);
  torch::NoGradGuard no_grad;
  std::vector<torch::jit::IValue> args(inputs.begin(), inputs.end());
  return module.forward(std::move(args)).toTensor();
}

}  // namespace xt

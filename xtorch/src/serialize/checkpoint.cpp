#include "xtorch/serialize/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "xtorch/error.h"
#include "xtorch/nn/exportable.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/format.h"
#include "xtorch/util/sha256.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMagic = "xtorch-checkpoint 1";
constexpr std::size_t kMaxHeaderBytes = 64 << 20;

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

std::string engine_text(const std::mt19937_64& engine) {
  std::ostringstream out;
  out << engine;
  return out.str();
}

torch::Tensor torch_generator_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_torch_generator_state(const torch::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// The file split into its parts, verified.
struct CheckpointFile {
  CheckpointInfo info;
  nlohmann::json header;
  std::string bytes;          // the whole file
  std::size_t payload_at = 0;  // offset of the payload in `bytes`
};

// Reads the magic line and the header line (and, with `whole`, the rest).
CheckpointFile read_checkpoint_file(const fs::path& path, bool whole) {
  CheckpointFile file;
  if (whole) {
    file.bytes = read_file(path);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SerializationError(path, "cannot open for reading");
    std::string magic, header;
    std::getline(in, magic);
    std::getline(in, header);
    file.bytes = magic + "\n" + header + (in ? "\n" : "");
  }
  const std::string& bytes = file.bytes;
  if (bytes.empty()) throw SerializationError(path, "file is empty (0 bytes)");
  const std::size_t magic_end = bytes.find('\n');
  if (magic_end == std::string::npos || bytes.compare(0, magic_end, kMagic) != 0) {
    throw SerializationError(path, "not an xtorch checkpoint (the file does not start with \"" + std::string(kMagic) +
                                       "\")");
  }
  const std::size_t header_end = bytes.find('\n', magic_end + 1);
  if (header_end == std::string::npos || header_end - magic_end > kMaxHeaderBytes) {
    throw SerializationError(path, "truncated in the header (file is " + format_bytes(bytes.size()) + ")");
  }
  try {
    file.header = nlohmann::json::parse(bytes.begin() + static_cast<std::ptrdiff_t>(magic_end + 1),
                                        bytes.begin() + static_cast<std::ptrdiff_t>(header_end));
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(path, std::string("corrupt header (not JSON): ") + e.what());
  }
  CheckpointInfo& info = file.info;
  info.path = path;
  info.file_bytes = bytes.size();
  try {
    info.payload_bytes = file.header.at("payload_bytes").get<std::uint64_t>();
    info.payload_sha256 = file.header.at("payload_sha256").get<std::string>();
    info.state = TrainingState::from_json(file.header.at("state"));
    info.model_type = file.header.value("model_type", "");
    info.model_config = file.header.value("model_config", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(path, std::string("corrupt header: ") + e.what());
  }
  file.payload_at = header_end + 1;
  if (!whole) {
    std::error_code ec;
    info.file_bytes = fs::file_size(path, ec);
    return file;
  }
  const std::uint64_t expected = file.payload_at + info.payload_bytes;
  if (bytes.size() < expected) {
    throw SerializationError(path, "truncated at " + format_bytes(bytes.size()) + ", expected " +
                                       format_bytes(expected) + " (was the save interrupted?)");
  }
  if (bytes.size() > expected) {
    throw SerializationError(path, "corrupt: " + std::to_string(bytes.size() - expected) +
                                       " unexpected bytes after the payload");
  }
  const std::string actual =
      sha256_hex(std::string_view(bytes).substr(file.payload_at, static_cast<std::size_t>(info.payload_bytes)));
  if (actual != info.payload_sha256) {
    throw SerializationError(path, "checksum mismatch: the payload's SHA-256 is " + actual.substr(0, 12) +
                                       "..., the header says " + info.payload_sha256.substr(0, 12) +
                                       "... (the file was damaged after it was written)");
  }
  return file;
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key, const fs::path& path,
                          const std::string& what) {
  torch::Tensor t;
  if (!archive.try_read(key, t)) throw SerializationError(path, "has no " + what + " '" + key + "'");
  return t;
}

void restore_model(torch::serialize::InputArchive& archive, torch::nn::Module& model, const fs::path& path) {
  torch::NoGradGuard no_grad;
  const auto restore = [&](const std::string& name, torch::Tensor& target, const char* kind) {
    const torch::Tensor saved = read_tensor(archive, "model/" + name, path, kind);
    if (saved.sizes() != target.sizes() || saved.scalar_type() != target.scalar_type()) {
      throw SerializationError(path, std::string(kind) + " '" + name + "' is " + c10::str(saved.sizes()) + " " +
                                         std::string(c10::toString(saved.scalar_type())) + " in the file but " +
                                         c10::str(target.sizes()) + " " +
                                         std::string(c10::toString(target.scalar_type())) +
                                         " in the model (a checkpoint of another model configuration?)");
    }
    target.copy_(saved);
  };
  for (auto& p : model.named_parameters()) restore(p.key(), p.value(), "parameter");
  for (auto& b : model.named_buffers()) restore(b.key(), b.value(), "buffer");
}

}  // namespace

nlohmann::json TrainingState::to_json() const {
  return {{"epoch", epoch},     {"step", step},       {"batch_in_epoch", batch_in_epoch},
          {"metric", optional_number(metric)}, {"history", history}, {"config", config}, {"extra", extra}};
}

TrainingState TrainingState::from_json(const nlohmann::json& j) {
  TrainingState s;
  s.epoch = j.at("epoch").get<std::int64_t>();
  s.step = j.at("step").get<std::int64_t>();
  s.batch_in_epoch = j.at("batch_in_epoch").get<std::int64_t>();
  if (!j.at("metric").is_null()) s.metric = j.at("metric").get<double>();
  s.history = j.at("history");
  s.config = j.at("config");
  s.extra = j.at("extra");
  return s;
}

void save_checkpoint(const fs::path& path, const CheckpointParts& parts, const TrainingState& state) {
  torch::serialize::OutputArchive archive;
  for (const auto& p : parts.model.named_parameters()) archive.write("model/" + p.key(), p.value().detach());
  for (const auto& b : parts.model.named_buffers()) archive.write("model/" + b.key(), b.value(), /*is_buffer=*/true);

  nlohmann::json parts_json = nlohmann::json::object();
  if (parts.optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    parts.optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    // The options LibTorch 1.13 does not restore: lr, betas, weight decay, ...
    const auto& groups = parts.optimizer->param_groups();
    for (std::size_t i = 0; i < groups.size(); ++i) {
      torch::serialize::OutputArchive options_archive;
      groups[i].options().serialize(options_archive);
      archive.write("param_group_options/" + std::to_string(i), options_archive);
    }
    nlohmann::json lrs = nlohmann::json::array();
    for (const auto& g : groups) lrs.push_back(g.options().get_lr());
    parts_json["optimizer"] = {{"param_groups", groups.size()}, {"learning_rates", lrs}};
  }
  if (parts.scheduler) parts_json["scheduler_step_count"] = parts.scheduler->step_count();
  nlohmann::json engines = nlohmann::json::object();
  for (const auto& [name, engine] : parts.engines) engines[name] = engine_text(*engine);
  parts_json["engines"] = engines;
  if (parts.torch_generator) archive.write("rng/torch_default_cpu", torch_generator_state());
  parts_json["torch_generator"] = parts.torch_generator;

  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const std::string payload = payload_stream.str();

  nlohmann::json header = {{"format", "xtorch-checkpoint"},
                           {"format_version", 1},
                           {"payload_bytes", payload.size()},
                           {"payload_sha256", sha256_hex(payload)},
                           {"state", state.to_json()},
                           {"parts", parts_json}};
  if (const auto* described = dynamic_cast<const nn::DescribedModule*>(&parts.model)) {
    header["model_type"] = described->model_type();
    header["model_config"] = described->config();
  }
  std::string bytes = std::string(kMagic) + "\n" + header.dump() + "\n";
  bytes += payload;
  write_file_atomically(path, bytes);
}

CheckpointInfo inspect_checkpoint(const fs::path& path, bool verify_payload) {
  return read_checkpoint_file(path, verify_payload).info;
}

TrainingState load_checkpoint(const fs::path& path, const CheckpointParts& parts) {
  CheckpointFile file = read_checkpoint_file(path, /*whole=*/true);
  const nlohmann::json& saved_parts = file.header.at("parts");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.bytes.data() + file.payload_at, static_cast<std::size_t>(file.info.payload_bytes));
  } catch (const c10::Error& e) {
    throw SerializationError(path, "payload is not a LibTorch archive: " + first_line(e.what()));
  }
  if (const auto* described = dynamic_cast<const nn::DescribedModule*>(&parts.model);
      described && !file.info.model_type.empty() && described->model_type() != file.info.model_type) {
    throw SerializationError(path, "holds a " + file.info.model_type + ", not a " + described->model_type());
  }
  restore_model(archive, parts.model, path);

  if (parts.optimizer) {
    if (!saved_parts.contains("optimizer")) throw SerializationError(path, "has no optimizer state");
    const auto groups = saved_parts["optimizer"]["param_groups"].get<std::size_t>();
    if (groups != parts.optimizer->param_groups().size()) {
      throw SerializationError(path, "has " + std::to_string(groups) + " optimizer param groups, the optimizer has " +
                                         std::to_string(parts.optimizer->param_groups().size()));
    }
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    try {
      parts.optimizer->load(optimizer_archive);
    } catch (const c10::Error& e) {
      throw SerializationError(path, "optimizer state does not fit this optimizer: " + first_line(e.what()));
    }
    for (std::size_t i = 0; i < groups; ++i) {
      torch::serialize::InputArchive options_archive;
      archive.read("param_group_options/" + std::to_string(i), options_archive);
      parts.optimizer->param_groups()[i].options().serialize(options_archive);
    }
  }
  if (parts.scheduler) {
    if (!saved_parts.contains("scheduler_step_count")) throw SerializationError(path, "has no LR scheduler state");
    parts.scheduler->set_step_count(saved_parts["scheduler_step_count"].get<unsigned>());
  }
  for (const auto& [name, engine] : parts.engines) {
    const auto& engines = saved_parts.at("engines");
    if (!engines.contains(name)) throw SerializationError(path, "has no random engine named '" + name + "'");
    std::istringstream in(engines[name].get<std::string>());
    in >> *engine;
    if (!in) throw SerializationError(path, "random engine '" + name + "' has a corrupt state");
  }
  if (parts.torch_generator) {
    set_torch_generator_state(read_tensor(archive, "rng/torch_default_cpu", path, "RNG state"));
  }
  return file.info.state;
}

}  // namespace xt

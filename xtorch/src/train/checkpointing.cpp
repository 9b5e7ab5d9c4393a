#include "xtorch/train/checkpointing.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ostream>
#include <stdexcept>

#include "xtorch/error.h"

namespace xt::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPrefix = "step-";
constexpr const char* kExtension = ".xtckpt";

std::optional<std::int64_t> step_of(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::string prefix = kPrefix, extension = kExtension;
  if (name.size() <= prefix.size() + extension.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - extension.size(), extension.size(), extension) != 0) {
    return std::nullopt;
  }
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - extension.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

// Temporary files of xt::write_atomically: ".<name>.tmp-<pid>-<hex>".
bool is_stale_temporary(const fs::path& file) {
  const std::string name = file.filename().string();
  return name.size() > 1 && name[0] == '.' && name.find(std::string(kExtension) + ".tmp-") != std::string::npos;
}

// The flag the handler sets, and whether a StopSignal is alive: process-wide
// because a signal handler can reach nothing else.
volatile std::sig_atomic_t g_stop_signal = 0;
std::atomic<bool> g_stop_signal_installed{false};

extern "C" void on_stop_signal(int signal_number) {
  if (g_stop_signal != 0) {  // the second one: stop waiting
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  g_stop_signal = signal_number;
}

}  // namespace

CheckpointDirectory::CheckpointDirectory(fs::path directory, int keep_last, bool keep_best)
    : directory_(std::move(directory)), keep_last_(keep_last), keep_best_(keep_best) {
  if (keep_last_ < 1) throw std::invalid_argument("CheckpointDirectory: keep_last must be >= 1");
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw SerializationError(directory_, "cannot create checkpoint directory: " + ec.message());
  for (const auto& entry : fs::directory_iterator(directory_)) {
    if (entry.is_regular_file() && is_stale_temporary(entry.path())) fs::remove(entry.path(), ec);
  }
}

fs::path CheckpointDirectory::path_for_step(std::int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "%s%09lld%s", kPrefix, static_cast<long long>(step), kExtension);
  return directory_ / name;
}

std::vector<fs::path> CheckpointDirectory::list() const {
  std::vector<std::pair<std::int64_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    if (!entry.is_regular_file()) continue;
    if (auto step = step_of(entry.path())) found.emplace_back(*step, entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::optional<fs::path> CheckpointDirectory::best() const {
  std::optional<fs::path> best;
  double best_metric = 0.0;
  for (const auto& file : list()) {
    try {
      const auto info = inspect_checkpoint(file, /*verify_payload=*/false);
      if (info.state.metric && (!best || *info.state.metric <= best_metric)) {
        best = file;
        best_metric = *info.state.metric;
      }
    } catch (const SerializationError&) {
      // An unreadable header is never the best.
    }
  }
  return best;
}

void CheckpointDirectory::prune() const {
  const auto files = list();
  if (static_cast<int>(files.size()) <= keep_last_) return;
  const auto best_file = keep_best_ ? best() : std::nullopt;
  for (std::size_t i = 0; i + keep_last_ < files.size(); ++i) {
    if (best_file && files[i] == *best_file) continue;
    std::error_code ec;
    fs::remove(files[i], ec);
  }
}

fs::path CheckpointDirectory::save(const CheckpointParts& parts, const TrainingState& state) {
  const fs::path path = path_for_step(state.step);
  save_checkpoint(path, parts, state);
  prune();
  return path;
}

std::optional<CheckpointInfo> CheckpointDirectory::latest_valid(std::ostream& warnings) const {
  const auto files = list();
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    try {
      return inspect_checkpoint(*it);
    } catch (const SerializationError& e) {
      warnings << "warning: skipping checkpoint " << e.what() << "\n";
    }
  }
  return std::nullopt;
}

std::optional<CheckpointInfo> CheckpointDirectory::resume(const CheckpointParts& parts, std::ostream& warnings) const {
  auto info = latest_valid(warnings);
  if (info) info->state = load_checkpoint(info->path, parts);
  return info;
}

StopSignal::StopSignal() {
  if (g_stop_signal_installed.exchange(true)) {
    throw std::logic_error("StopSignal: only one may be alive at a time");
  }
  g_stop_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;  // blocking calls (file I/O, Gloo's sockets) resume instead of failing with EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopSignal::~StopSignal() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_stop_signal = 0;
  g_stop_signal_installed = false;
}

bool StopSignal::requested() const { return g_stop_signal != 0; }
int StopSignal::signal_number() const { return static_cast<int>(g_stop_signal); }

}  // namespace xt::train

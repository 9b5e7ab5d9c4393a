#pragma once
// A directory of training checkpoints with a retention policy, and a guard
// that turns SIGINT/SIGTERM into "finish the step, save, stop".
//
//   xt::train::CheckpointDirectory checkpoints("runs/sage", /*keep_last=*/3);
//   if (auto resumed = checkpoints.resume(parts, std::cerr)) start_from(resumed->state);
//   ...
//   checkpoints.save(parts, state);   // step-000000120.xtckpt; old ones pruned
//
// Files are named by optimizer step, so "newest" is the highest step. A crash
// at any moment leaves at worst a stray temporary file (removed on the next
// start) and every complete checkpoint intact (see serialize/checkpoint.h).

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <vector>

#include "xtorch/serialize/checkpoint.h"

namespace xt::train {

class CheckpointDirectory {
 public:
  // keep_last >= 1 newest checkpoints are kept, plus (with keep_best) the one
  // with the lowest TrainingState::metric. Creates the directory and removes
  // temporary files a killed save left behind.
  explicit CheckpointDirectory(std::filesystem::path directory, int keep_last = 3, bool keep_best = true);

  const std::filesystem::path& directory() const { return directory_; }
  std::filesystem::path path_for_step(std::int64_t step) const;

  // Saves atomically as path_for_step(state.step), then prunes. Returns the path.
  std::filesystem::path save(const CheckpointParts& parts, const TrainingState& state);

  // Checkpoint files, oldest step first (not verified).
  std::vector<std::filesystem::path> list() const;

  // The newest checkpoint whose size and checksum verify. Every file skipped
  // on the way gets a warning line naming it and the problem.
  std::optional<CheckpointInfo> latest_valid(std::ostream& warnings) const;

  // Loads latest_valid() into `parts` and returns its header (path, state);
  // nullopt when there is none.
  std::optional<CheckpointInfo> resume(const CheckpointParts& parts, std::ostream& warnings) const;

  // The kept checkpoint with the lowest metric, if any has one.
  std::optional<std::filesystem::path> best() const;

 private:
  void prune() const;

  std::filesystem::path directory_;
  int keep_last_;
  bool keep_best_;
};

// While alive, SIGINT and SIGTERM set a flag instead of killing the process;
// the training loop polls requested(), saves and returns. A second signal
// while the flag is set kills the process the usual way (an impatient Ctrl-C
// still works). The previous handlers come back on destruction.
//
// A signal handler can only reach process-wide state, so the flag (and a
// guard that only one StopSignal is alive at a time) are the library's only
// static variables.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool requested() const;
  int signal_number() const;  // 0 while none arrived

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace xt::train

#pragma once
// A progress line with ETA for long loops. It redraws in place on a terminal
// and stays silent otherwise, so logs and CI output are not flooded.

#include <cstdint>
#include <string>

#include "xtorch/util/runtime.h"

namespace xt {

class ProgressLine {
 public:
  ProgressLine(std::string label, std::int64_t total, bool enabled = true);
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine();

  // False when not drawing (not a terminal, or disabled): callers can skip
  // building status text.
  bool enabled() const { return enabled_; }
  // Redraws at most ~10 times a second.
  void update(std::int64_t done, const std::string& status = {});
  void finish();

 private:
  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool drawn_ = false;
  Stopwatch clock_;
  double last_draw_ = -1.0;
};

}  // namespace xt

#include "xtorch/util/progress.h"

#include <unistd.h>

#include <cstdio>

#include "xtorch/util/format.h"

namespace xt {

ProgressLine::ProgressLine(std::string label, std::int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && ::isatty(STDERR_FILENO) != 0) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::int64_t done, const std::string& status) {
  if (!enabled_ || total_ <= 0) return;
  const double now = clock_.seconds();
  if (done < total_ && now - last_draw_ < 0.1) return;
  last_draw_ = now;
  constexpr int kWidth = 24;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += '>' + std::string(static_cast<std::size_t>(kWidth - filled - 1), ' ');
  const std::string eta = done > 0 ? format_duration(now / static_cast<double>(done) * static_cast<double>(total_ - done))
                                   : std::string("?");
  std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld  %s  ETA %s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), status.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace xt

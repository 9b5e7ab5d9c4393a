#pragma once
// Timing helpers shared by the benchmarks.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "xtorch/util/runtime.h"

namespace xt::bench {

// Median wall time of `repeats` calls.
template <class Fn>
double median_seconds(int repeats, Fn&& fn) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    Stopwatch clock;
    fn();
    times.push_back(clock.seconds());
  }
  std::nth_element(times.begin(), times.begin() + repeats / 2, times.end());
  return times[static_cast<std::size_t>(repeats / 2)];
}

// A plain file copy with the durability of an atomic save (fsync).
inline void copy_with_fsync(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  const int fd = ::open(to.c_str(), O_RDONLY);
  ::fsync(fd);
  ::close(fd);
}

}  // namespace xt::bench

#include "xtorch/util/format.h"

#include <cmath>
#include <cstdio>

namespace xt {

std::string format_fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000.0 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) + " B" : format_fixed(value, 1) + " " + units[unit];
}

std::string format_duration(double seconds) {
  if (seconds < 1.0) return format_fixed(seconds * 1000.0, 0) + " ms";
  if (seconds < 60.0) return format_fixed(seconds, 1) + " s";
  const auto total = static_cast<long>(std::lround(seconds));
  char buffer[32];
  if (total < 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldm %02lds", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ldh %02ldm", total / 3600, (total % 3600) / 60);
  }
  return buffer;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace xt

#include "xtorch/metrics/summary.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xt::metrics {

Summary summarize(const std::vector<double>& values) {
  if (values.empty()) throw std::invalid_argument("summarize: no values");
  Summary s;
  s.count = values.size();
  for (const double v : values) s.mean += v;
  s.mean /= static_cast<double>(s.count);
  double squares = 0.0;
  for (const double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = s.count > 1 ? std::sqrt(squares / static_cast<double>(s.count - 1)) : 0.0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

}  // namespace xt::metrics

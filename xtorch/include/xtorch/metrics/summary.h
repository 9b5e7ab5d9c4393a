#pragma once
// Mean, spread and range of repeated measurements (seeds, splits).

#include <cstddef>
#include <vector>

namespace xt::metrics {

struct Summary {
  std::size_t count = 0;
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (n - 1); 0 for one value
  double min = 0.0, max = 0.0;
};

// Throws std::invalid_argument on an empty list.
Summary summarize(const std::vector<double>& values);

}  // namespace xt::metrics

#include "xtorch/metrics/latency.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace xt::metrics {

nlohmann::json LatencyStats::to_json() const {
  return {{"median_ms", median_ms}, {"p95_ms", p95_ms}, {"mean_ms", mean_ms}, {"min_ms", min_ms}, {"runs", runs}};
}

LatencyStats measure_latency(const std::function<void()>& run, const LatencyOptions& options) {
  if (options.min_runs < 1 || options.max_runs < options.min_runs) {
    throw std::invalid_argument("measure_latency: need 1 <= min_runs <= max_runs");
  }
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < options.warmup; ++i) run();
  std::vector<double> ms;
  const auto start = Clock::now();
  while (static_cast<int>(ms.size()) < options.max_runs) {
    const auto t0 = Clock::now();
    run();
    const auto t1 = Clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    const double elapsed = std::chrono::duration<double>(t1 - start).count();
    if (static_cast<int>(ms.size()) >= options.min_runs && elapsed >= options.min_seconds) break;
  }
  return summarize_latency(std::move(ms));
}

LatencyStats summarize_latency(std::vector<double> ms) {
  if (ms.empty()) throw std::invalid_argument("summarize_latency: no measurements");
  std::sort(ms.begin(), ms.end());
  LatencyStats stats;
  stats.runs = static_cast<int>(ms.size());
  const auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5)]; };
  stats.median_ms = at(0.5);
  stats.p95_ms = at(0.95);
  stats.min_ms = ms.front();
  stats.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return stats;
}

}  // namespace xt::metrics

#pragma once
// Inference latency: run a function repeatedly, report the distribution.
//
// The median is the number to quote (robust to a noisy neighbour on a shared
// machine); p95 shows the tail a user would feel.

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

namespace xt::metrics {

struct LatencyOptions {
  int warmup = 5;            // untimed calls first (allocator, lazy init, JIT profiling runs)
  int min_runs = 20;
  double min_seconds = 0.5;  // keep going until both minimums are met
  int max_runs = 100000;
};

struct LatencyStats {
  double median_ms = 0.0, p95_ms = 0.0, mean_ms = 0.0, min_ms = 0.0;
  int runs = 0;
  nlohmann::json to_json() const;
};

// Statistics of measured durations in milliseconds (at least one).
LatencyStats summarize_latency(std::vector<double> milliseconds);

LatencyStats measure_latency(const std::function<void()>& run, const LatencyOptions& options = {});

}  // namespace xt::metrics

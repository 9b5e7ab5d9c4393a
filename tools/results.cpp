// xt-results: summarize the results.json files the examples write.
//
//   xt-results out/*/results.json             one row per run
//   xt-results --aggregate out/seed*/results.json   mean, spread over runs

#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>
#include <map>

#include "xtorch/util/format.h"
#include "xtorch/util/report.h"

namespace {

std::string compact(double v) { return xt::format_fixed(v, std::abs(v) >= 100 ? 1 : (std::abs(v) >= 1 ? 3 : 4)); }

void print_runs(const std::vector<std::string>& files) {
  xt::TextTable table({"example", "data", "seed", "metrics", "time"});
  for (const auto& file : files) {
    const auto r = xt::read_json(file);
    std::string metrics;
    const nlohmann::json run_metrics = r.value("metrics", nlohmann::json::object());  // keep alive for items()
    for (const auto& [key, value] : run_metrics.items()) {
      if (!value.is_number()) continue;
      metrics += (metrics.empty() ? "" : ", ") + key + " " + compact(value.get<double>());
    }
    const bool synthetic = r.contains("data") && r["data"].value("synthetic", false);
    table.add_row({r.value("example", file), synthetic ? "SYNTHETIC" : "real", r.contains("seed") ? r["seed"].dump() : "",
                   metrics, xt::format_duration(r.value("seconds", 0.0))});
  }
  table.print(std::cout);
}

void print_aggregate(const std::vector<std::string>& files) {
  std::map<std::string, std::vector<double>> values;
  for (const auto& file : files) {
    const nlohmann::json run_metrics = xt::read_json(file).value("metrics", nlohmann::json::object());
    for (const auto& [key, value] : run_metrics.items()) {
      if (value.is_number()) values[key].push_back(value.get<double>());
    }
  }
  xt::TextTable table({"metric", "runs", "mean", "std", "min", "max"});
  for (const auto& [key, v] : values) {
    double mean = 0.0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double var = 0.0;
    for (double x : v) var += (x - mean) * (x - mean);
    const double sd = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0.0;
    table.add_row({key, std::to_string(v.size()), compact(mean), compact(sd),
                   compact(*std::min_element(v.begin(), v.end())), compact(*std::max_element(v.begin(), v.end()))});
  }
  table.print(std::cout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Summarize example results.json files"};
  std::vector<std::string> files;
  bool aggregate = false;
  app.add_flag("--aggregate", aggregate, "Mean, sample std, min and max of each metric over the runs");
  app.add_option("files", files, "results.json files")->required()->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  try {
    if (aggregate) print_aggregate(files); else print_runs(files);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

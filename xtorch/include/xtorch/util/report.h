#pragma once
// Reporting helpers shared by examples, tools and benchmarks: aligned text
// tables and results.json files.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xt {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  TextTable& add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Pretty-printed JSON, written atomically.
void write_json(const std::filesystem::path& path, const nlohmann::json& value);
nlohmann::json read_json(const std::filesystem::path& path);

}  // namespace xt

#include "xtorch/util/report.h"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"

namespace xt {

TextTable& TextTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != headers_.size()) throw std::invalid_argument("TextTable: row width differs from header");
  rows_.push_back(std::move(cells));
  return *this;
}

void TextTable::print(std::ostream& out) const {
  std::vector<std::size_t> width(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      out << (c ? "  " : "") << cells[c] << std::string(width[c] - cells[c].size(), ' ');
    }
    out << '\n';
  };
  print_row(headers_);
  std::vector<std::string> rule;
  for (std::size_t w : width) rule.emplace_back(w, '-');
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

void write_json(const std::filesystem::path& path, const nlohmann::json& value) {
  write_file_atomically(path, value.dump(2) + "\n");
}

nlohmann::json read_json(const std::filesystem::path& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw SerializationError(path, std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace xt

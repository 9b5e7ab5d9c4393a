#pragma once
// CSV tables with numeric and date-time columns.
//
// read_csv handles a header row, RFC 4180 quoting (quoted fields, doubled
// quotes, delimiters and line breaks inside quotes), spaces around values,
// CRLF line ends, and gzip: `.csv.gz` is read through zlib (a plain file is
// read the same way). Malformed input raises xt::DataError with file and line.

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <torch/types.h>

namespace xt::data {

struct CsvOptions {
  char delimiter = ',';
  // Columns holding ISO 8601 date-times ("2016-01-11 17:00:00",
  // "2016-01-11T17:00", seconds optional), read as seconds since the Unix
  // epoch, time zone ignored. All other columns must be numeric.
  std::vector<std::string> datetime_columns;
  // Columns that must be present (DataError naming the missing one otherwise).
  std::vector<std::string> required_columns;
  // Read only these columns (plus datetime and required ones); empty = all.
  std::vector<std::string> only_columns;
};

class CsvTable {
 public:
  using Column = std::variant<std::vector<double>, std::vector<std::int64_t>>;  // numeric | datetime

  CsvTable() = default;
  explicit CsvTable(std::filesystem::path source) : source_(std::move(source)) {}

  const std::vector<std::string>& column_names() const { return names_; }
  std::int64_t rows() const;
  bool has_column(const std::string& name) const;
  bool is_datetime(const std::string& name) const;

  // Throw DataError (naming the source file and the available columns) when
  // the column is missing or of the other kind.
  const std::vector<double>& numeric(const std::string& name) const;
  const std::vector<std::int64_t>& datetime(const std::string& name) const;

  // The named numeric columns as a [rows, columns] tensor.
  torch::Tensor to_tensor(const std::vector<std::string>& columns, torch::Dtype dtype = torch::kFloat32) const;

  // All numeric columns, in file order.
  std::vector<std::string> numeric_column_names() const;

  void add_numeric(const std::string& name, std::vector<double> values);
  void add_datetime(const std::string& name, std::vector<std::int64_t> values);

  const std::filesystem::path& source() const { return source_; }

 private:
  std::size_t index_of(const std::string& name) const;
  void add(const std::string& name, Column column);

  std::filesystem::path source_;
  std::vector<std::string> names_;
  std::vector<Column> columns_;
};

CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

// Writes a header and rows; date-times as "YYYY-MM-DD HH:MM:SS". A path
// ending in .gz is gzip-compressed. The write is atomic.
void write_csv(const std::filesystem::path& path, const CsvTable& table);

// ISO 8601 date-time <-> seconds since the epoch (no time zone).
// parse_datetime returns false when `text` is not a valid date-time.
bool parse_datetime(const std::string& text, std::int64_t& seconds);
std::string format_datetime(std::int64_t seconds);

}  // namespace xt::data

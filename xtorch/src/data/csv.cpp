#include "xtorch/data/csv.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/text_file.h"

namespace xt::data {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

// Splits CSV text into records of fields. Tracks the line each record starts
// on for error messages.
class CsvParser {
 public:
  CsvParser(const std::string& text, char delimiter, const fs::path& path)
      : text_(text), delimiter_(delimiter), path_(path) {}

  // Returns false at end of input. Blank lines are skipped.
  bool next(std::vector<std::string>& fields, std::int64_t& line) {
    fields.clear();
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    line = line_;
    std::string field;
    bool quoted = false;      // inside quotes
    bool was_quoted = false;  // field had quotes (keep inner spaces)
    for (;;) {
      if (pos_ >= text_.size()) {
        if (quoted) throw DataError(path_, line, "unterminated quoted field");
        fields.push_back(was_quoted ? field : trim(field));
        return true;
      }
      const char c = text_[pos_++];
      if (quoted) {
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field.push_back('"');
            ++pos_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          field.push_back(c);
        }
      } else if (c == '"') {
        if (!trim(field).empty()) throw DataError(path_, line_, "quote in the middle of an unquoted field");
        field.clear();
        quoted = was_quoted = true;
      } else if (c == delimiter_) {
        fields.push_back(was_quoted ? field : trim(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        fields.push_back(was_quoted ? field : trim(field));
        return true;
      } else if (was_quoted && c != ' ' && c != '\t') {
        throw DataError(path_, line_, "text after the closing quote of a field");
      } else if (!was_quoted) {
        field.push_back(c);
      }
    }
  }

 private:
  const std::string& text_;
  char delimiter_;
  const fs::path& path_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
};

bool parse_number(const std::string& text, double& value) {
  const std::string s = trim(text);
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE && std::isfinite(value);
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool parse_datetime(const std::string& text, std::int64_t& seconds) {
  const std::string s = trim(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  char separator = 0;
  const int fields = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &year, &month, &day, &separator, &hour,
                                 &minute, &consumed);
  if (fields == 3 && s.size() == 10) {  // date only
    hour = minute = 0;
    consumed = 10;
  } else if (fields < 6 || (separator != ' ' && separator != 'T')) {
    return false;
  }
  if (static_cast<std::size_t>(consumed) < s.size()) {
    int more = 0;
    if (std::sscanf(s.c_str() + consumed, ":%2d%n", &second, &more) != 1 ||
        static_cast<std::size_t>(consumed + more) != s.size()) {
      return false;
    }
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > kDaysInMonth[month - 1] + (month == 2 && is_leap(year) ? 1 : 0)) return false;
  if (hour > 23 || minute > 59 || second > 60 || hour < 0 || minute < 0 || second < 0) return false;
  seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
            hour * 3600 + minute * 60 + second;
  return true;
}

std::string format_datetime(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  // Inverse of days_from_civil.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u %02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                static_cast<long long>(rest / 3600), static_cast<long long>(rest % 3600 / 60),
                static_cast<long long>(rest % 60));
  return buffer;
}

std::int64_t CsvTable::rows() const {
  if (columns_.empty()) return 0;
  return std::visit([](const auto& v) { return static_cast<std::int64_t>(v.size()); }, columns_.front());
}

bool CsvTable::has_column(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::size_t CsvTable::index_of(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) {
    std::string available;
    for (const auto& n : names_) available += (available.empty() ? "" : ", ") + n;
    throw DataError(source_, 0, "no column '" + name + "' (columns: " + available + ")");
  }
  return static_cast<std::size_t>(it - names_.begin());
}

bool CsvTable::is_datetime(const std::string& name) const {
  return std::holds_alternative<std::vector<std::int64_t>>(columns_[index_of(name)]);
}

const std::vector<double>& CsvTable::numeric(const std::string& name) const {
  const auto& column = columns_[index_of(name)];
  if (const auto* values = std::get_if<std::vector<double>>(&column)) return *values;
  throw DataError(source_, 0, "column '" + name + "' holds date-times, not numbers");
}

const std::vector<std::int64_t>& CsvTable::datetime(const std::string& name) const {
  const auto& column = columns_[index_of(name)];
  if (const auto* values = std::get_if<std::vector<std::int64_t>>(&column)) return *values;
  throw DataError(source_, 0, "column '" + name + "' holds numbers, not date-times");
}

std::vector<std::string> CsvTable::numeric_column_names() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (std::holds_alternative<std::vector<double>>(columns_[i])) out.push_back(names_[i]);
  }
  return out;
}

torch::Tensor CsvTable::to_tensor(const std::vector<std::string>& columns, torch::Dtype dtype) const {
  const std::int64_t n = rows();
  auto out = torch::empty({n, static_cast<std::int64_t>(columns.size())}, torch::kFloat64);
  auto acc = out.accessor<double, 2>();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto& values = numeric(columns[c]);
    for (std::int64_t r = 0; r < n; ++r) acc[r][static_cast<std::int64_t>(c)] = values[static_cast<std::size_t>(r)];
  }
  return out.to(dtype);
}

void CsvTable::add(const std::string& name, Column column) {
  if (has_column(name)) throw std::invalid_argument("CsvTable: duplicate column '" + name + "'");
  const auto size = std::visit([](const auto& v) { return static_cast<std::int64_t>(v.size()); }, column);
  if (!columns_.empty() && size != rows()) {
    throw std::invalid_argument("CsvTable: column '" + name + "' has " + std::to_string(size) + " rows, table has " +
                                std::to_string(rows()));
  }
  names_.push_back(name);
  columns_.push_back(std::move(column));
}

void CsvTable::add_numeric(const std::string& name, std::vector<double> values) { add(name, std::move(values)); }
void CsvTable::add_datetime(const std::string& name, std::vector<std::int64_t> values) {
  add(name, std::move(values));
}

CsvTable read_csv(const fs::path& path, const CsvOptions& options) {
  const std::string text = xt::read_maybe_gzipped(path);
  CsvParser parser(text, options.delimiter, path);
  std::vector<std::string> header;
  std::int64_t line = 0;
  if (!parser.next(header, line)) throw DataError(path, 0, "file is empty (no header row)");

  const auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) throw DataError(path, line, "column " + std::to_string(i + 1) + " has an empty name");
    for (std::size_t j = 0; j < i; ++j) {
      if (header[i] == header[j]) throw DataError(path, line, "duplicate column name '" + header[i] + "'");
    }
  }
  for (const auto& name : options.required_columns) {
    if (!contains(header, name)) throw DataError(path, line, "missing required column '" + name + "'");
  }
  for (const auto& name : options.datetime_columns) {
    if (!contains(header, name)) throw DataError(path, line, "missing date-time column '" + name + "'");
  }
  for (const auto& name : options.only_columns) {
    if (!contains(header, name)) throw DataError(path, line, "missing column '" + name + "'");
  }

  struct Target {
    std::size_t field;
    bool is_datetime;
    std::vector<double> numbers;
    std::vector<std::int64_t> times;
  };
  std::vector<Target> targets;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const bool dt = contains(options.datetime_columns, header[i]);
    const bool wanted = options.only_columns.empty() || dt || contains(options.only_columns, header[i]) ||
                        contains(options.required_columns, header[i]);
    if (wanted) targets.push_back({i, dt, {}, {}});
  }

  std::vector<std::string> fields;
  while (parser.next(fields, line)) {
    if (fields.size() != header.size()) {
      throw DataError(path, line, "expected " + std::to_string(header.size()) + " fields, found " +
                                      std::to_string(fields.size()));
    }
    for (auto& t : targets) {
      const std::string& field = fields[t.field];
      if (t.is_datetime) {
        std::int64_t seconds = 0;
        if (!parse_datetime(field, seconds)) {
          throw DataError(path, line, "column '" + header[t.field] + "': '" + field + "' is not a date-time");
        }
        t.times.push_back(seconds);
      } else {
        double value = 0.0;
        if (!parse_number(field, value)) {
          throw DataError(path, line, "column '" + header[t.field] + "': " +
                                          (trim(field).empty() ? std::string("empty value")
                                                               : "'" + field + "' is not a finite number"));
        }
        t.numbers.push_back(value);
      }
    }
  }

  CsvTable table(path);
  for (auto& t : targets) {
    if (t.is_datetime) table.add_datetime(header[t.field], std::move(t.times));
    else table.add_numeric(header[t.field], std::move(t.numbers));
  }
  return table;
}

void write_csv(const fs::path& path, const CsvTable& table) {
  std::ostringstream out;
  out.precision(17);
  const auto& names = table.column_names();
  for (std::size_t i = 0; i < names.size(); ++i) out << (i ? "," : "") << '"' << names[i] << '"';
  out << '\n';
  for (std::int64_t r = 0; r < table.rows(); ++r) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i) out << ',';
      const auto row = static_cast<std::size_t>(r);
      if (table.is_datetime(names[i])) out << '"' << format_datetime(table.datetime(names[i])[row]) << '"';
      else out << table.numeric(names[i])[row];
    }
    out << '\n';
  }
  const std::string text = out.str();
  if (path.extension() != ".gz") {
    write_file_atomically(path, text);
    return;
  }
  write_atomically(path, [&](const fs::path& tmp) {
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(tmp.c_str(), "wb6"), gzclose);
    if (!file) throw DataError(tmp, 0, "cannot open for writing");
    if (gzwrite(file.get(), text.data(), static_cast<unsigned>(text.size())) != static_cast<int>(text.size())) {
      throw DataError(tmp, 0, "gzip write failed");
    }
    if (gzclose(file.release()) != Z_OK) throw DataError(tmp, 0, "gzip close failed");
  });
}

}  // namespace xt::data

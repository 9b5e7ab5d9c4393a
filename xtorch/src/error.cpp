#include "xtorch/error.h"

namespace xt {

SerializationError::SerializationError(const std::filesystem::path& file, const std::string& problem)
    : std::runtime_error(file.string() + ": " + problem), file_(file) {}

namespace {
std::string data_error_message(const std::filesystem::path& file, std::int64_t line,
                               const std::string& problem) {
  std::string where = file.string();
  if (line > 0) where += ":" + std::to_string(line);
  return where + ": " + problem;
}
}  // namespace

DataError::DataError(const std::filesystem::path& file, std::int64_t line, const std::string& problem)
    : std::runtime_error(data_error_message(file, line, problem)), file_(file), line_(line) {}

}  // namespace xt

#pragma once
// Exception types of the xtorch library. Every message names the file it is
// about, so a user can tell at once what to fix.

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace xt {

// A model file, checkpoint or export could not be written or read back:
// missing, not an archive, truncated, checksum mismatch, unknown format, or an
// input that does not match what the model was saved for.
class SerializationError : public std::runtime_error {
 public:
  SerializationError(const std::filesystem::path& file, const std::string& problem);
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

// A data file is missing or malformed. `line` is 1-based, 0 when the problem
// is not tied to one line (a missing column, say).
class DataError : public std::runtime_error {
 public:
  DataError(const std::filesystem::path& file, std::int64_t line, const std::string& problem);
  const std::filesystem::path& file() const noexcept { return file_; }
  std::int64_t line() const noexcept { return line_; }

 private:
  std::filesystem::path file_;
  std::int64_t line_;
};

}  // namespace xt

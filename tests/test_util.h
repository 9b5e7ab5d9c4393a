#pragma once
// Helpers shared by the tests: temporary directories, the real-data location,
// running a command and capturing its output.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "xtorch/error.h"
#include "xtorch/util/temp_dir.h"

namespace xt::testing {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with its contents.
using TempDir = xt::TempDir;

// The message of the DataError that `f` throws ("no DataError" if none).
template <class F>
std::string data_error_of(F f) {
  try {
    f();
  } catch (const xt::DataError& e) {
    return e.what();
  }
  return "no DataError";
}

// The shared real datasets: $XT_TEST_DATA_DIR, else ../shared/data beside the
// source tree (where CI has them).
inline fs::path real_data_dir() {
  if (const char* env = std::getenv("XT_TEST_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return fs::path(XT_SOURCE_DIR) / ".." / "shared" / "data";
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Debian's interpreter, which has python3-torch (the first python3 on PATH
// may be another one).
inline const char* kPython = "/usr/bin/python3";

}  // namespace xt::testing

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
#include "xtorch/util/process.h"
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

// Runs a shell command line (env assignments, quoting) through the library's
// run_process; output is stdout followed by stderr.
inline CommandResult run_command(const std::string& command) {
  const ProcessResult run = run_process({"/bin/sh", "-c", command});
  return {run.exit_code, run.out + run.err};
}

// Debian's interpreter, which has python3-torch (the first python3 on PATH
// may be another one).
inline const char* kPython = "/usr/bin/python3";

}  // namespace xt::testing

#pragma once
// Running a helper program (Node.js, Python) and collecting what it printed.

#include <string>
#include <vector>

namespace xt {

struct ProcessResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs `arguments` (program first, looked up on PATH; no shell
// interpretation of the arguments) and waits for it.
ProcessResult run_process(const std::vector<std::string>& arguments);

// Whether `program` is an executable file in a directory of $PATH.
bool on_path(const std::string& program);

}  // namespace xt

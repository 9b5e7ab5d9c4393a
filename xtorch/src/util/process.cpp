#include "xtorch/util/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "xtorch/util/atomic_file.h"
#include "xtorch/util/temp_dir.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  const std::string dirs = path;
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    std::error_code ec;
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / program;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

ProcessResult run_process(const std::vector<std::string>& arguments) {
  if (arguments.empty()) throw std::invalid_argument("run_process: no program");
  TempDir scratch("xtorch-process");
  std::string command;
  for (const auto& argument : arguments) command += shell_quote(argument) + " ";
  command += "2>" + shell_quote((scratch / "stderr").string());

  ProcessResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("run_process: cannot start " + arguments.front());
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) result.out += buffer;
  const int status = ::pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::error_code ec;
  if (fs::exists(scratch / "stderr", ec)) result.err = read_file(scratch / "stderr");
  while (!result.err.empty() && result.err.back() == '\n') result.err.pop_back();
  return result;
}

}  // namespace xt

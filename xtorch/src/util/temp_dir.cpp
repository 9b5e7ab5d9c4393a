#include "xtorch/util/temp_dir.h"

#include <unistd.h>

#include <atomic>
#include <random>

namespace xt {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  std::random_device entropy;
  // create_directory fails on an existing path, so a clash cannot share a directory.
  for (;;) {
    path_ = fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++) + "-" + std::to_string(entropy() % 100000));
    if (fs::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

}  // namespace xt

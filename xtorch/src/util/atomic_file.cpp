#include "xtorch/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "xtorch/error.h"

namespace xt {
namespace fs = std::filesystem;
namespace {

std::string errno_text() { return std::strerror(errno); }

void fsync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw SerializationError(path, "cannot open to sync: " + errno_text());
  const int rc = ::fsync(fd);
  const std::string error = rc != 0 ? errno_text() : std::string();
  ::close(fd);
  if (rc != 0) throw SerializationError(path, "fsync failed: " + error);
}

fs::path temporary_sibling(const fs::path& path) {
  std::random_device entropy;
  std::ostringstream name;
  name << "." << path.filename().string() << ".tmp-" << ::getpid() << "-" << std::hex << entropy();
  return path.parent_path() / name.str();
}

// Removes the temporary file unless the rename succeeded.
class TempFileGuard {
 public:
  explicit TempFileGuard(fs::path path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!committed_) {
      std::error_code ignored;
      fs::remove(path_, ignored);
    }
  }
  void commit() { committed_ = true; }

 private:
  fs::path path_;
  bool committed_ = false;
};

}  // namespace

void write_atomically(const fs::path& path, const std::function<void(const fs::path& tmp)>& write) {
  if (path.filename().empty()) throw SerializationError(path, "not a file path");
  const fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw SerializationError(path, "cannot create directory " + directory.string() + ": " + ec.message());
  if (fs::is_directory(path)) throw SerializationError(path, "is a directory");

  const fs::path tmp = temporary_sibling(path);
  TempFileGuard guard(tmp);
  write(tmp);
  if (!fs::exists(tmp)) throw SerializationError(path, "the writer produced no file");
  fsync_path(tmp, /*directory=*/false);
  fs::rename(tmp, path, ec);
  if (ec) throw SerializationError(path, "cannot replace with " + tmp.string() + ": " + ec.message());
  guard.commit();
  fsync_path(directory, /*directory=*/true);
}

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw SerializationError(tmp, "cannot open for writing: " + errno_text());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw SerializationError(tmp, "write failed (disk full?)");
  });
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw SerializationError(path, "file does not exist");
  if (fs::is_directory(path, ec)) throw SerializationError(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SerializationError(path, "cannot open for reading: " + errno_text());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace xt

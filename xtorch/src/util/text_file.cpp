#include "xtorch/util/text_file.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "xtorch/error.h"

namespace xt {
namespace fs = std::filesystem;

// Whole file through zlib: gzread passes plain (uncompressed) files through.
std::string read_maybe_gzipped(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw DataError(path, 0, "file does not exist");
  if (fs::is_directory(path, ec)) throw DataError(path, 0, "is a directory, not a file");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) throw DataError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file.get(), buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      throw DataError(path, 0, std::string("cannot decompress: ") + message);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  // A truncated .gz ends without error from gzread on some zlib versions;
  // gzclose_r reports it.
  if (const int rc = gzclose_r(file.release()); rc != Z_OK && rc != Z_BUF_ERROR) {
    throw DataError(path, 0, "compressed stream is corrupt");
  } else if (rc == Z_BUF_ERROR) {
    throw DataError(path, 0, "compressed stream is truncated");
  }
  return content;
}

nlohmann::json read_json_data(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_maybe_gzipped(path));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, 0, std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace xt

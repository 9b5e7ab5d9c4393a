#pragma once
// A fresh private directory under the system temp dir, removed with its
// contents when the object goes away.

#include <filesystem>
#include <string>

namespace xt {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "xtorch");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace xt

#pragma once
// Reading data files that may be gzip-compressed, text or JSON.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace xt {

// The whole file as bytes. A gzip file (`.gz`, detected by content) is
// decompressed; a plain file is returned as is. Throws DataError naming the
// file when it is missing, a directory, unreadable, or a corrupt or truncated
// gzip stream.
std::string read_maybe_gzipped(const std::filesystem::path& path);

// A JSON data file (plain or gzip), parsed; DataError naming the file when it
// cannot be read or is not valid JSON.
nlohmann::json read_json_data(const std::filesystem::path& path);

}  // namespace xt

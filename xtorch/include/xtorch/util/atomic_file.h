#pragma once
// Crash-safe file replacement: a save never destroys the last good file.
//
// The new content goes to a temporary file in the same directory, which is
// flushed to disk (fsync) and then renamed over the target; finally the
// directory is fsynced so the rename itself survives a power cut. Readers see
// either the old file or the new one, never a half-written mix.

#include <filesystem>
#include <functional>
#include <string_view>

namespace xt {

// Calls `write(tmp)` to fill a temporary file, then atomically replaces `path`
// with it. If `write` throws, the temporary file is removed, `path` is left as
// it was, and the exception propagates.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

// Atomically replaces `path` with `bytes`.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file; throws SerializationError naming the file if it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace xt

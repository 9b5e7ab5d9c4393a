#pragma once
// Small formatting helpers for messages and reports.

#include <cstdint>
#include <string>

namespace xt {

// "1.2 MB", "512 B" (decimal units).
std::string format_bytes(std::uint64_t bytes);

// "1m 05s", "3.2 s", "850 ms".
std::string format_duration(double seconds);

// Fixed-point with `digits` decimals.
std::string format_fixed(double value, int digits);

// The text up to its first newline (LibTorch messages continue with context
// and backtraces that do not belong in a one-line error).
std::string first_line(const std::string& text);

}  // namespace xt

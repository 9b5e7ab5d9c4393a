#pragma once
// NumPy .npy files: the simplest tensor format every language reads
// (numpy.load, the ONNX Runtime runner in tools/onnxruntime/run.js, ...).

#include <filesystem>

#include <torch/types.h>

namespace xt {

// Writes a dense tensor (float32, float64, int64, int32, uint8 or bool) as
// .npy version 1.0, little-endian, C order. Atomic.
void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor);

// Reads what write_npy writes (and the same dtypes from numpy). Throws
// DataError naming the file for a missing, malformed or truncated file.
torch::Tensor read_npy(const std::filesystem::path& path);

}  // namespace xt

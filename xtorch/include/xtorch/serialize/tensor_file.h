#pragma once
// A dict of named tensors in one file that Python reads with torch.load:
// the way this project hands inputs and expected outputs from C++ to Python.
//
//   C++:    xt::save_tensors("inputs.pt", {{"x", x}, {"expected", y}});
//   Python: tensors = torch.load("inputs.pt"); tensors["x"]

#include <filesystem>
#include <map>
#include <string>

#include <torch/types.h>

namespace xt {

// Atomic write (torch::pickle_save of a Dict[str, Tensor]). Sparse COO
// tensors are stored as "<name>.indices", "<name>.values" and "<name>.size"
// (the pickler writes dense tensors only); load_tensors puts them back together.
void save_tensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors);

// Reads a file written by save_tensors (or torch.save of a dict of tensors in
// Python). Throws SerializationError naming the file.
std::map<std::string, torch::Tensor> load_tensors(const std::filesystem::path& path);

}  // namespace xt

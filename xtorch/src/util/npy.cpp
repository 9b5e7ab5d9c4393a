#include "xtorch/util/npy.h"

#include <cstring>
#include <regex>
#include <sstream>

#include <torch/torch.h>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"

namespace xt {
namespace {

struct NpyType {
  const char* descr;
  torch::ScalarType type;
};
constexpr NpyType kTypes[] = {{"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<i8", torch::kInt64},
                              {"<i4", torch::kInt32},   {"|u1", torch::kUInt8},   {"|b1", torch::kBool}};

}  // namespace

void write_npy(const std::filesystem::path& path, const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  const NpyType* type = nullptr;
  for (const auto& candidate : kTypes) {
    if (candidate.type == t.scalar_type()) type = &candidate;
  }
  if (type == nullptr) {
    throw std::invalid_argument("write_npy: unsupported dtype " + std::string(c10::toString(t.scalar_type())));
  }
  std::ostringstream shape;
  shape << "(";
  for (std::int64_t i = 0; i < t.dim(); ++i) shape << t.size(i) << (t.dim() == 1 ? "," : i + 1 < t.dim() ? ", " : "");
  shape << ")";
  std::string header = std::string("{'descr': '") + type->descr + "', 'fortran_order': False, 'shape': " +
                       shape.str() + ", }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.numel()) * t.element_size());
  write_file_atomically(path, bytes);
}

torch::Tensor read_npy(const std::filesystem::path& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::exception& e) {
    throw DataError(path, 0, "cannot read .npy file: " + std::string(e.what()));
  }
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw DataError(path, 0, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_bytes) throw DataError(path, 0, "truncated .npy header");
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  }
  const std::size_t start = 8 + length_bytes;
  if (bytes.size() < start + header_length) throw DataError(path, 0, "truncated .npy header");
  const std::string header = bytes.substr(start, header_length);
  std::smatch descr, order, shape;
  if (!std::regex_search(header, descr, std::regex("'descr':\\s*'([^']+)'")) ||
      !std::regex_search(header, order, std::regex("'fortran_order':\\s*(True|False)")) ||
      !std::regex_search(header, shape, std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
    throw DataError(path, 0, "malformed .npy header: " + header);
  }
  if (order[1] == "True") throw DataError(path, 0, "Fortran-order .npy files are not supported");
  const NpyType* type = nullptr;
  for (const auto& candidate : kTypes) {
    if (descr[1] == candidate.descr) type = &candidate;
  }
  if (type == nullptr) throw DataError(path, 0, "unsupported .npy dtype '" + descr[1].str() + "'");
  std::vector<std::int64_t> sizes;
  std::stringstream dims(shape[1].str());
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(" ") != std::string::npos) sizes.push_back(std::stoll(item));
  }
  torch::Tensor t = torch::empty(sizes, type->type);
  const std::size_t expected = static_cast<std::size_t>(t.numel()) * t.element_size();
  const std::size_t available = bytes.size() - start - header_length;
  if (available != expected) {
    throw DataError(path, 0, "expected " + std::to_string(expected) + " data bytes for shape " + c10::str(t.sizes()) +
                                 ", file has " + std::to_string(available) + (available < expected ? " (truncated)" : ""));
  }
  std::memcpy(t.data_ptr(), bytes.data() + start + header_length, expected);
  return t;
}

}  // namespace xt

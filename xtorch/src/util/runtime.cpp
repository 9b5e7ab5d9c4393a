#include "xtorch/util/runtime.h"

#include <dlfcn.h>

#include <cstdlib>

#include <torch/utils.h>

namespace xt {
namespace {

// Looked up at run time so the library does not link OpenBLAS itself: the
// BLAS in the process is whatever libblas.so.3 LibTorch was given.
template <class Fn>
Fn openblas_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

bool user_set_threads() {
  const char* value = std::getenv("OPENBLAS_NUM_THREADS");
  return value != nullptr && *value != '\0';
}

__attribute__((constructor)) void configure_blas_at_load() { configure_blas_threads(); }

}  // namespace

void configure_blas_threads() {
  if (user_set_threads()) return;
  if (auto set_threads = openblas_symbol<void (*)(int)>("openblas_set_num_threads")) set_threads(1);
}

BlasInfo blas_info() {
  BlasInfo info;
  info.user_set = user_set_threads();
  const auto config = openblas_symbol<char* (*)()>("openblas_get_config");
  const auto threads = openblas_symbol<int (*)()>("openblas_get_num_threads");
  info.library = config ? std::string(config()) : "unknown (not OpenBLAS)";
  info.threads = threads ? threads() : 0;
  return info;
}

void set_seed(std::uint64_t seed) { torch::manual_seed(seed); }

}  // namespace xt

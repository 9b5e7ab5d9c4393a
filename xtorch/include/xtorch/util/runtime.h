#pragma once
// Process-level runtime settings: BLAS threads, seeds, timing.
//
// Debian's LibTorch does its matrix products in the system BLAS. OpenBLAS's
// own thread pool then fights LibTorch's OpenMP threads (measured: an LSTM
// training step takes 28 ms with OpenBLAS's default threads, 12.5 ms with one
// OpenBLAS thread). So when libxtorch is loaded it sets OpenBLAS to one thread,
// unless the user chose a number with OPENBLAS_NUM_THREADS.

#include <chrono>
#include <cstdint>
#include <string>

namespace xt {

struct BlasInfo {
  std::string library;  // "OpenBLAS 0.3.21 ..." or "unknown (not OpenBLAS)"
  int threads = 0;      // OpenBLAS threads, 0 when unknown
  bool user_set = false;  // OPENBLAS_NUM_THREADS was set
};
BlasInfo blas_info();

// Applies the one-thread default (idempotent; runs automatically at load).
void configure_blas_threads();

// Seeds LibTorch's global generator (dropout, initialization).
void set_seed(std::uint64_t seed);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace xt

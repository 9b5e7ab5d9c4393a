#pragma once
// ECG data: the UCR time-series format (ECG5000), PhysioNet WFDB records
// (MIT-BIH Arrhythmia: header, format 212 signals, annotations), heartbeats
// cut around R peaks, and splits for anomaly detection.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "xtorch/data/datasets.h"

namespace xt::data {

// ---- UCR archive format: one series per line, the class label first,
// values separated by spaces, tabs or commas.
struct UcrSeries {
  torch::Tensor values;  // [N, T] float32
  torch::Tensor labels;  // [N] int64
};
UcrSeries read_ucr(const std::filesystem::path& path);

// ---- PhysioNet WFDB
struct WfdbSignal {
  std::string file;
  int format = 0;           // 212 is supported
  double gain = 200.0;      // ADC units per physical unit (mV)
  int bits = 11;
  int adc_zero = 0;
  int initial_value = 0;    // first sample, for checking the decoding
  int checksum = 0;         // 16-bit sum of all samples, ditto
  std::string description;  // e.g. "MLII"
};

struct WfdbHeader {
  std::string record;
  double frequency = 0.0;  // samples per second per signal
  std::int64_t samples = 0;
  std::vector<WfdbSignal> signals;
};

// Skips comment (#) and blank lines. DataError naming file and line otherwise.
WfdbHeader read_wfdb_header(const std::filesystem::path& path);

// Format 212 (two 12-bit samples in three bytes) of every signal in the
// header: [samples, signals] int32 ADC units. Checks the size, the first
// values and the checksums against the header.
torch::Tensor read_wfdb_212(const std::filesystem::path& dat_path, const WfdbHeader& header);

struct Annotation {
  std::int64_t sample = 0;  // 0-based sample index (the R peak for beats)
  std::string symbol;       // "N", "A", "V", "+", ...
  int code = 0;
  std::string aux;
};
// MIT annotation format (.atr).
std::vector<Annotation> read_mit_annotations(const std::filesystem::path& path);

// Whether an annotation symbol marks a heartbeat (as opposed to rhythm
// changes, noise, comments).
bool is_beat_symbol(const std::string& symbol);

// ---- Heartbeats for anomaly detection
struct BeatData {
  torch::Tensor beats;       // [N, T] float32, each beat z-normalized
  torch::Tensor anomalous;   // [N] bool
  torch::Tensor classes;     // [N] int64: ECG5000 class 1..5; MIT-BIH 0 = N, 1 = other beat
  std::vector<std::string> symbols;  // MIT-BIH beat symbols (empty for ECG5000)
  double sampling_hz = 0.0;
  DataSource source;
};

// Each row minus its mean, divided by its standard deviation (rows with
// zero spread are only centred).
torch::Tensor z_normalize_rows(const torch::Tensor& rows);

// Beats `before` samples before to `after` samples after each beat
// annotation's R peak, keeping every `decimate`-th sample; beats too close to
// the ends are skipped. Normal = symbol "N".
BeatData cut_beats(const torch::Tensor& signal, double sampling_hz, const std::vector<Annotation>& annotations,
                   std::int64_t before, std::int64_t after, std::int64_t decimate = 1);

// ECG5000 (UCR; 140 samples per beat; class 1 normal, 2-5 anomalous) from
// ecg5000/ECG5000_TRAIN.txt[.gz] plus ECG5000_TEST.txt[.gz] when present.
BeatData load_ecg5000(const std::filesystem::path& data_dir, Fallback fallback = Fallback::Synthetic,
                      std::uint64_t synthetic_seed = 0);

// Which part of the signal around each R peak makes a beat.
struct BeatWindow {
  double seconds_before = 0.25;
  double seconds_after = 0.4611;
  std::int64_t decimate = 2;  // keep every n-th sample
};

// One MIT-BIH Arrhythmia record (default 100) from mitbih_ecg/raw/<record>.{hea,dat,atr}:
// lead 0 (MLII) in mV cut into beats by `window` (default: 0.25 s before to
// 0.46 s after the R peak at 180 Hz, 128 samples).
BeatData load_mitbih_record(const std::filesystem::path& data_dir, const std::string& record = "100",
                            const BeatWindow& window = {}, Fallback fallback = Fallback::Synthetic,
                            std::uint64_t synthetic_seed = 0);

// Synthetic heartbeats: P wave, QRS complex and T wave as Gaussian bumps with
// jittered timing and amplitude; anomalous beats get a wide, inverted or
// premature QRS, or a missing P wave.
BeatData make_synthetic_beats(std::int64_t normal, std::int64_t anomalous, std::int64_t length, std::uint64_t seed);

// Anomaly-detection split: `train_normal_fraction` of the normal beats to
// train on (normal only); the rest of the normal beats and all anomalous
// beats halved between validation (for the threshold) and test. Stratified,
// deterministic in `seed`.
struct AnomalySplit {
  torch::Tensor train, val, test;  // int64 indices
};
AnomalySplit anomaly_split(const torch::Tensor& anomalous, std::uint64_t seed, double train_normal_fraction = 0.6);

}  // namespace xt::data

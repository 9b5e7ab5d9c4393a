#include "xtorch/data/ecg.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"
#include "xtorch/util/text_file.h"

namespace xt::data {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> split_fields(const std::string& line, const char* separators) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    i = line.find_first_not_of(separators, i);
    if (i == std::string::npos) break;
    const std::size_t end = std::min(line.find_first_of(separators, i), line.size());
    fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

bool parse_double(const std::string& text, double& value) {
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

// MIT annotation codes 1..41 (wfdb's ecgcodes.h).
const char* symbol_of(int code) {
  static const char* const kSymbols[] = {
      " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", " ", "|", " ", "s", "T", "*",
      "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r"};
  return code >= 0 && code <= 41 ? kSymbols[code] : "?";
}

std::int64_t count_true(const torch::Tensor& mask) { return mask.sum().item<std::int64_t>(); }

}  // namespace

UcrSeries read_ucr(const fs::path& path) {
  const std::string text = read_maybe_gzipped(path);
  std::vector<float> values;
  std::vector<std::int64_t> labels;
  std::int64_t length = -1, line_number = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    const auto fields = split_fields(line, " \t,\r");
    if (fields.empty()) continue;
    if (length < 0) length = static_cast<std::int64_t>(fields.size()) - 1;
    if (static_cast<std::int64_t>(fields.size()) - 1 != length || length < 1) {
      throw DataError(path, line_number, "has " + std::to_string(fields.size() - 1) + " values, expected " +
                                             std::to_string(length));
    }
    double label = 0.0;
    if (!parse_double(fields[0], label) || label != std::floor(label)) {
      throw DataError(path, line_number, "class label '" + fields[0] + "' is not an integer");
    }
    labels.push_back(static_cast<std::int64_t>(label));
    for (std::size_t i = 1; i < fields.size(); ++i) {
      double v = 0.0;
      if (!parse_double(fields[i], v) || !std::isfinite(v)) {
        throw DataError(path, line_number, "value " + std::to_string(i) + " is not a number: '" + fields[i] + "'");
      }
      values.push_back(static_cast<float>(v));
    }
  }
  if (labels.empty()) throw DataError(path, 0, "no series (file is empty)");
  const auto n = static_cast<std::int64_t>(labels.size());
  return {torch::tensor(values).reshape({n, length}), torch::tensor(labels, torch::kInt64)};
}

WfdbHeader read_wfdb_header(const fs::path& path) {
  const std::string text = read_maybe_gzipped(path);
  WfdbHeader header;
  std::int64_t line_number = 0, expected_signals = -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    const auto fields = split_fields(line, " \t\r");
    if (fields.empty() || fields[0][0] == '#') continue;
    if (expected_signals < 0) {  // record line: name signals [frequency [samples]]
      if (fields.size() < 4) throw DataError(path, line_number, "record line needs name, signals, frequency, samples");
      header.record = fields[0];
      expected_signals = std::atoll(fields[1].c_str());
      header.frequency = std::atof(fields[2].c_str());
      header.samples = std::atoll(fields[3].c_str());
      if (expected_signals < 1 || header.frequency <= 0 || header.samples < 1) {
        throw DataError(path, line_number, "bad record line '" + line + "'");
      }
      continue;
    }
    if (fields.size() < 8) {
      throw DataError(path, line_number, "signal line needs file, format, gain, bits, zero, first value, checksum, "
                                         "block size");
    }
    WfdbSignal s;
    s.file = fields[0];
    s.format = std::atoi(fields[1].c_str());
    s.gain = std::atof(fields[2].c_str());  // "200" or "200(0)/mV"
    s.bits = std::atoi(fields[3].c_str());
    s.adc_zero = std::atoi(fields[4].c_str());
    s.initial_value = std::atoi(fields[5].c_str());
    s.checksum = std::atoi(fields[6].c_str());
    for (std::size_t i = 8; i < fields.size(); ++i) s.description += (i > 8 ? " " : "") + fields[i];
    if (s.gain == 0.0) s.gain = 200.0;  // WFDB default
    header.signals.push_back(s);
  }
  if (expected_signals < 0) throw DataError(path, 0, "no record line");
  if (static_cast<std::int64_t>(header.signals.size()) != expected_signals) {
    throw DataError(path, 0, "record line announces " + std::to_string(expected_signals) + " signals, found " +
                                 std::to_string(header.signals.size()));
  }
  return header;
}

torch::Tensor read_wfdb_212(const fs::path& dat_path, const WfdbHeader& header) {
  if (header.signals.size() != 2) {
    throw DataError(dat_path, 0, "format 212 reader handles records with 2 signals, header has " +
                                     std::to_string(header.signals.size()));
  }
  for (const auto& s : header.signals) {
    if (s.format != 212) throw DataError(dat_path, 0, "signal format " + std::to_string(s.format) + " is not 212");
  }
  const std::string bytes = read_file(dat_path);
  const auto expected = static_cast<std::size_t>(header.samples) * 3;
  if (bytes.size() < expected) {
    throw DataError(dat_path, 0, "truncated: " + std::to_string(bytes.size()) + " bytes, the header's " +
                                     std::to_string(header.samples) + " samples need " + std::to_string(expected));
  }
  torch::Tensor signal = torch::empty({header.samples, 2}, torch::kInt32);
  auto* out = signal.data_ptr<std::int32_t>();
  std::int32_t checksum[2] = {0, 0};
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::int64_t i = 0; i < header.samples; ++i, b += 3) {
    std::int32_t s0 = b[0] | ((b[1] & 0x0F) << 8);
    std::int32_t s1 = b[2] | ((b[1] & 0xF0) << 4);
    if (s0 > 2047) s0 -= 4096;
    if (s1 > 2047) s1 -= 4096;
    out[2 * i] = s0;
    out[2 * i + 1] = s1;
    checksum[0] += s0;
    checksum[1] += s1;
  }
  for (int k = 0; k < 2; ++k) {
    const auto& s = header.signals[static_cast<std::size_t>(k)];
    if (out[k] != s.initial_value || static_cast<std::int16_t>(checksum[k]) != s.checksum) {
      throw DataError(dat_path, 0, "signal " + std::to_string(k) + " (" + s.description +
                                       ") does not match its header: first value " + std::to_string(out[k]) +
                                       " (header " + std::to_string(s.initial_value) + "), checksum " +
                                       std::to_string(static_cast<std::int16_t>(checksum[k])) + " (header " +
                                       std::to_string(s.checksum) + "); corrupt file or wrong format");
    }
  }
  return signal;
}

std::vector<Annotation> read_mit_annotations(const fs::path& path) {
  const std::string bytes = read_file(path);
  if (bytes.size() % 2 != 0) throw DataError(path, 0, "odd number of bytes: not an MIT annotation file");
  const auto word = [&](std::size_t i) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[2 * i]) |
                                      (static_cast<unsigned char>(bytes[2 * i + 1]) << 8));
  };
  const std::size_t words = bytes.size() / 2;
  std::vector<Annotation> annotations;
  std::int64_t time = 0;
  bool ended = false;
  for (std::size_t i = 0; i < words; ++i) {
    const std::uint16_t w = word(i);
    const int type = w >> 10;
    const int value = w & 0x3FF;
    if (type == 0 && value == 0) {
      ended = true;
      break;
    }
    if (type == 59) {  // SKIP: a 32-bit interval follows, high word first
      if (i + 2 >= words) throw DataError(path, 0, "truncated SKIP record");
      time += static_cast<std::int32_t>((static_cast<std::uint32_t>(word(i + 1)) << 16) | word(i + 2));
      i += 2;
    } else if (type == 60 || type == 61 || type == 62) {  // NUM, SUB, CHN of the last annotation
      continue;
    } else if (type == 63) {  // AUX: `value` bytes of text, padded to an even count
      const std::size_t byte_start = 2 * (i + 1);
      if (byte_start + value > bytes.size()) throw DataError(path, 0, "truncated AUX text");
      if (!annotations.empty()) {
        std::string text = bytes.substr(byte_start, static_cast<std::size_t>(value));
        text.erase(std::find(text.begin(), text.end(), '\0'), text.end());  // C string inside the record
        annotations.back().aux = text;
      }
      i += (static_cast<std::size_t>(value) + 1) / 2;
    } else {
      time += value;
      annotations.push_back({time, symbol_of(type), type, {}});
    }
  }
  if (!ended) throw DataError(path, 0, "truncated: no end-of-file marker");
  return annotations;
}

bool is_beat_symbol(const std::string& symbol) {
  static const std::string kBeats = "NLRBAaJSVrFejnE/fQ?";
  return symbol.size() == 1 && kBeats.find(symbol[0]) != std::string::npos;
}

torch::Tensor z_normalize_rows(const torch::Tensor& rows) {
  const torch::Tensor mean = rows.mean(1, true);
  const torch::Tensor std = rows.std(1, /*unbiased=*/false, /*keepdim=*/true);
  return (rows - mean) / torch::where(std > 0, std, torch::ones_like(std));
}

BeatData cut_beats(const torch::Tensor& signal, double sampling_hz, const std::vector<Annotation>& annotations,
                   std::int64_t before, std::int64_t after, std::int64_t decimate) {
  if (signal.dim() != 1 || before < 0 || after < 1 || decimate < 1) {
    throw std::invalid_argument("cut_beats: signal must be [samples], before >= 0, after >= 1, decimate >= 1");
  }
  std::vector<torch::Tensor> beats;
  std::vector<std::int64_t> classes;
  BeatData data;
  for (const auto& a : annotations) {
    if (!is_beat_symbol(a.symbol) || a.sample - before < 0 || a.sample + after > signal.size(0)) continue;
    beats.push_back(signal.slice(0, a.sample - before, a.sample + after, decimate));
    classes.push_back(a.symbol == "N" ? 0 : 1);
    data.symbols.push_back(a.symbol);
  }
  if (beats.empty()) throw std::invalid_argument("cut_beats: no complete beat in the signal");
  data.beats = z_normalize_rows(torch::stack(beats).to(torch::kFloat32));
  data.classes = torch::tensor(classes, torch::kInt64);
  data.anomalous = data.classes != 0;
  data.sampling_hz = sampling_hz / static_cast<double>(decimate);
  return data;
}

BeatData load_ecg5000(const fs::path& data_dir, Fallback fallback, std::uint64_t synthetic_seed) {
  const auto train = find_data_file(data_dir, {"ecg5000/ECG5000_TRAIN.txt.gz", "ecg5000/ECG5000_TRAIN.txt",
                                               "ECG5000_TRAIN.txt.gz", "ECG5000_TRAIN.txt"});
  if (train) {
    UcrSeries series = read_ucr(*train);
    std::string parts = "TRAIN";
    const auto test = find_data_file(train->parent_path(), {"ECG5000_TEST.txt.gz", "ECG5000_TEST.txt"});
    if (test) {
      const UcrSeries more = read_ucr(*test);
      if (more.values.size(1) != series.values.size(1)) {
        throw DataError(*test, 0, "series length " + std::to_string(more.values.size(1)) + " differs from TRAIN's " +
                                      std::to_string(series.values.size(1)));
      }
      series.values = torch::cat({series.values, more.values});
      series.labels = torch::cat({series.labels, more.labels});
      parts = "TRAIN+TEST";
    }
    BeatData data;
    data.beats = series.values;  // already z-normalized per beat by the archive
    data.classes = series.labels;
    data.anomalous = series.labels != 1;
    data.sampling_hz = 0.0;  // resampled to 140 points per beat
    data.source = {false, *train,
                   "data: ECG5000 " + parts + ", " + std::to_string(series.labels.size(0)) + " beats (" +
                       std::to_string(count_true(~data.anomalous)) + " normal, " +
                       std::to_string(count_true(data.anomalous)) + " anomalous) from " +
                       train->parent_path().string()};
    return data;
  }
  if (fallback == Fallback::Fail) {
    throw DataError(data_dir / "ecg5000/ECG5000_TRAIN.txt.gz", 0,
                    "ECG5000 not found (run tools/download_data.sh, or pass --data-dir)");
  }
  BeatData data = make_synthetic_beats(300, 200, 140, synthetic_seed);
  data.source.description = "data: SYNTHETIC heartbeats (300 normal, 200 anomalous): ECG5000 not found under " +
                            (data_dir / "ecg5000").string() +
                            " (run tools/download_data.sh or pass --data-dir for the real data)";
  return data;
}

BeatData load_mitbih_record(const fs::path& data_dir, const std::string& record, const BeatWindow& window,
                            Fallback fallback, std::uint64_t synthetic_seed) {
  const fs::path dir = data_dir / "mitbih_ecg" / "raw";
  const fs::path hea = dir / (record + ".hea"), dat = dir / (record + ".dat"), atr = dir / (record + ".atr");
  std::error_code ec;
  if (fs::exists(hea, ec) && fs::exists(dat, ec) && fs::exists(atr, ec)) {
    const WfdbHeader header = read_wfdb_header(hea);
    const torch::Tensor adc = read_wfdb_212(dat, header);
    const auto& lead = header.signals.front();
    const torch::Tensor millivolts = (adc.select(1, 0).to(torch::kFloat64) - lead.adc_zero) / lead.gain;
    const auto before = static_cast<std::int64_t>(std::lround(window.seconds_before * header.frequency));
    const auto length =
        static_cast<std::int64_t>(std::lround((window.seconds_before + window.seconds_after) * header.frequency));
    BeatData data = cut_beats(millivolts, header.frequency, read_mit_annotations(atr), before, length - before,
                              window.decimate);
    data.source = {false, dat,
                   "data: MIT-BIH Arrhythmia record " + record + " (" + lead.description + "), " +
                       std::to_string(data.beats.size(0)) + " beats (" + std::to_string(count_true(~data.anomalous)) +
                       " normal, " + std::to_string(count_true(data.anomalous)) + " other) from " + dir.string()};
    return data;
  }
  if (fallback == Fallback::Fail) {
    throw DataError(hea, 0, "MIT-BIH record " + record + " not found (run tools/download_data.sh, or pass --data-dir)");
  }
  const auto samples = static_cast<std::int64_t>(
      std::lround((window.seconds_before + window.seconds_after) * 360.0 / static_cast<double>(window.decimate)));
  BeatData data = make_synthetic_beats(1500, 40, std::max<std::int64_t>(samples, 32), synthetic_seed);
  data.source.description = "data: SYNTHETIC heartbeats (1500 normal, 40 anomalous): MIT-BIH record " + record +
                            " not found under " + dir.string() +
                            " (run tools/download_data.sh or pass --data-dir for the real data)";
  return data;
}

BeatData make_synthetic_beats(std::int64_t normal, std::int64_t anomalous, std::int64_t length, std::uint64_t seed) {
  if (normal < 1 || anomalous < 1 || length < 32) {
    throw std::invalid_argument("make_synthetic_beats: need normal, anomalous >= 1 and length >= 32");
  }
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto n = normal + anomalous;
  const torch::Tensor t = torch::linspace(0.0, 1.0, length).unsqueeze(0);  // [1, T]
  const auto jitter = [&](double scale) { return torch::randn({n, 1}, generator) * scale; };
  const auto bump = [&](const torch::Tensor& center, const torch::Tensor& width, const torch::Tensor& height) {
    return height * torch::exp(-0.5 * ((t - center) / width).pow(2));
  };
  const torch::Tensor is_anomalous = torch::arange(n) >= normal;
  const torch::Tensor kind = torch::randint(0, 3, {n, 1}, generator);  // which anomaly
  const torch::Tensor a = is_anomalous.unsqueeze(1);
  torch::Tensor qrs_center = 0.35 + jitter(0.01);
  torch::Tensor qrs_width = torch::full({n, 1}, 0.015) + jitter(0.001).abs();
  torch::Tensor qrs_height = 1.0 + jitter(0.08);
  torch::Tensor p_height = 0.15 + jitter(0.02);
  qrs_width = torch::where(a & (kind == 0), qrs_width * 3.0, qrs_width);       // wide QRS (PVC-like)
  qrs_height = torch::where(a & (kind == 1), -0.8 * qrs_height, qrs_height);   // inverted QRS
  qrs_center = torch::where(a & (kind == 2), qrs_center - 0.12, qrs_center);   // premature beat ...
  p_height = torch::where(a & (kind == 2), torch::zeros_like(p_height), p_height);  // ... without P wave
  const torch::Tensor beats = bump(qrs_center - 0.15 + jitter(0.01), torch::full({n, 1}, 0.03), p_height) +
                              bump(qrs_center - 0.03, torch::full({n, 1}, 0.01), torch::full({n, 1}, -0.12)) +
                              bump(qrs_center, qrs_width, qrs_height) +
                              bump(qrs_center + 0.03, torch::full({n, 1}, 0.012), torch::full({n, 1}, -0.2)) +
                              bump(0.68 + jitter(0.02), torch::full({n, 1}, 0.06), 0.3 + jitter(0.04)) +
                              0.03 * torch::randn({n, length}, generator);
  BeatData data;
  data.beats = z_normalize_rows(beats).to(torch::kFloat32);
  data.anomalous = is_anomalous;
  data.classes = is_anomalous.to(torch::kInt64);
  data.sampling_hz = 0.0;
  data.source = {true, {}, "data: SYNTHETIC heartbeats"};
  return data;
}

AnomalySplit anomaly_split(const torch::Tensor& anomalous, std::uint64_t seed, double train_normal_fraction) {
  if (!(train_normal_fraction > 0.0 && train_normal_fraction < 1.0)) {
    throw std::invalid_argument("anomaly_split: train_normal_fraction must be in (0, 1)");
  }
  const torch::Tensor flags = anomalous.to(torch::kBool).contiguous();
  std::vector<std::int64_t> normal, other;
  for (std::int64_t i = 0; i < flags.size(0); ++i) (flags[i].item<bool>() ? other : normal).push_back(i);
  if (normal.size() < 3 || other.size() < 2) {
    throw std::invalid_argument("anomaly_split: need at least 3 normal and 2 anomalous samples");
  }
  std::mt19937_64 rng(seed);
  shuffle_in_place(normal, rng);
  shuffle_in_place(other, rng);
  const auto train_count = static_cast<std::size_t>(std::lround(train_normal_fraction * normal.size()));
  const std::size_t normal_val = (normal.size() - train_count) / 2;
  const std::size_t other_val = other.size() / 2;
  std::vector<std::int64_t> train(normal.begin(), normal.begin() + static_cast<std::ptrdiff_t>(train_count));
  std::vector<std::int64_t> val(normal.begin() + static_cast<std::ptrdiff_t>(train_count),
                                normal.begin() + static_cast<std::ptrdiff_t>(train_count + normal_val));
  std::vector<std::int64_t> test(normal.begin() + static_cast<std::ptrdiff_t>(train_count + normal_val), normal.end());
  val.insert(val.end(), other.begin(), other.begin() + static_cast<std::ptrdiff_t>(other_val));
  test.insert(test.end(), other.begin() + static_cast<std::ptrdiff_t>(other_val), other.end());
  return {torch::tensor(train, torch::kInt64), torch::tensor(val, torch::kInt64), torch::tensor(test, torch::kInt64)};
}

}  // namespace xt::data

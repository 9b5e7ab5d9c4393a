#include "xtorch/data/har.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "xtorch/error.h"
#include "xtorch/util/text_file.h"

namespace xt::data {
namespace fs = std::filesystem;
namespace {

torch::Tensor read_signal(const fs::path& path) {
  const std::string text = read_maybe_gzipped(path);
  std::vector<float> values;
  std::int64_t rows = 0, line_number = 0, columns = -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::istringstream fields(line);
    std::int64_t count = 0;
    for (float v = 0; fields >> v; ++count) values.push_back(v);
    if (count == 0 && line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!fields.eof()) throw DataError(path, line_number, "not a number in '" + line + "'");
    if (columns < 0) columns = count;
    if (count != columns) {
      throw DataError(path, line_number, "has " + std::to_string(count) + " values, expected " + std::to_string(columns));
    }
    ++rows;
  }
  if (rows == 0) throw DataError(path, 0, "no samples (file is empty)");
  return torch::tensor(values).reshape({rows, columns});
}

}  // namespace

ActivityData load_hapt(const fs::path& data_dir, Fallback fallback, std::uint64_t synthetic_seed) {
  const fs::path dir = data_dir / "hapt_accel";
  std::error_code ec;
  if (!fs::exists(dir / "labels.txt", ec)) {
    if (fallback == Fallback::Fail) {
      throw DataError(dir / "labels.txt", 0, "UCI HAPT not found (run tools/download_data.sh, or pass --data-dir)");
    }
    ActivityData data = make_synthetic_activities(synthetic_seed);
    data.source.description = "data: SYNTHETIC accelerometer recordings (8 subjects): UCI HAPT not found under " +
                              dir.string() + " (run tools/download_data.sh or pass --data-dir for the real data)";
    return data;
  }
  ActivityData data;
  // Recordings present: acc_expXX_userYY.txt[.gz]
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("acc_exp", 0) == 0) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    int experiment = 0, subject = 0;
    if (std::sscanf(file.filename().c_str(), "acc_exp%d_user%d", &experiment, &subject) != 2) continue;
    data.recordings.push_back({experiment, subject, read_signal(file)});
  }
  if (data.recordings.empty()) throw DataError(dir, 0, "no acc_expXX_userYY.txt files");
  std::map<std::int64_t, const SensorRecording*> by_experiment;
  for (const auto& r : data.recordings) by_experiment[r.experiment] = &r;

  const std::string labels = read_maybe_gzipped(dir / "labels.txt");
  std::istringstream lines(labels);
  std::int64_t line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    ActivitySegment s;
    std::int64_t first = 0, last = 0;
    if (!(fields >> s.experiment >> s.subject >> s.activity >> first >> last) || first < 1 || last < first) {
      throw DataError(dir / "labels.txt", line_number, "expected 'exp user activity start end', got '" + line + "'");
    }
    const auto it = by_experiment.find(s.experiment);
    if (it == by_experiment.end()) continue;  // recording not included
    if (it->second->subject != s.subject || last > it->second->signal.size(0)) {
      throw DataError(dir / "labels.txt", line_number, "segment does not fit recording " + std::to_string(s.experiment));
    }
    s.begin = first - 1;
    s.end = last;
    data.segments.push_back(s);
  }
  std::istringstream names(read_maybe_gzipped(dir / "activity_labels.txt"));
  for (std::string line; std::getline(names, line);) {
    std::istringstream fields(line);
    std::int64_t id = 0;
    std::string name;
    if (fields >> id >> name) {
      if (static_cast<std::int64_t>(data.activity_names.size()) < id) data.activity_names.resize(id);
      data.activity_names[id - 1] = name;
    }
  }
  std::set<std::int64_t> subjects;
  std::int64_t samples = 0;
  for (const auto& r : data.recordings) {
    subjects.insert(r.subject);
    samples += r.signal.size(0);
  }
  data.source = {false, dir / "labels.txt",
                 "data: UCI HAPT accelerometer, " + std::to_string(data.recordings.size()) + " recordings of " +
                     std::to_string(subjects.size()) + " subjects, " + std::to_string(samples) + " samples at 50 Hz from " +
                     dir.string()};
  return data;
}

ActivityData make_synthetic_activities(std::uint64_t seed) {
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * torch::rand({1}, generator).item<double>(); };
  ActivityData data;
  data.activity_names = {"WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"};
  // Gravity direction (g) of the waist-worn phone per posture.
  const double gravity[6][3] = {{1, 0, 0.1}, {0.95, 0, 0.25}, {1, 0, -0.05}, {0.75, 0, 0.65}, {1, 0, 0.05}, {0.05, 0, 1}};
  const double stride_hz[3] = {1.9, 1.6, 2.1}, strength[3] = {0.35, 0.45, 0.55};
  const std::int64_t segment = 1000;  // 20 s per activity bout
  for (std::int64_t subject = 1; subject <= 8; ++subject) {
    const double gait = uniform(0.9, 1.1), tilt = uniform(-0.08, 0.08);
    std::vector<torch::Tensor> parts;
    std::int64_t position = 0;
    for (int round = 0; round < 3; ++round) {
      for (std::int64_t a = 0; a < 6; ++a) {
        const torch::Tensor t = torch::arange(segment, torch::kFloat64) / 50.0;
        torch::Tensor signal = torch::zeros({segment, 3}, torch::kFloat64);
        for (int c = 0; c < 3; ++c) signal.select(1, c).fill_(gravity[a][c] + (c == 2 ? tilt : 0.0));
        if (a < 3) {
          const double f = stride_hz[a] * gait, s = strength[a];
          signal.select(1, 0).add_(s * torch::sin(2 * M_PI * f * t));
          signal.select(1, 1).add_(0.5 * s * torch::sin(M_PI * f * t + 0.5));
          signal.select(1, 2).add_(0.6 * s * torch::sin(2 * M_PI * f * t + 1.2));
        }
        signal.add_(0.04 * torch::randn({segment, 3}, generator, torch::kFloat64));
        parts.push_back(signal.to(torch::kFloat32));
        data.segments.push_back({subject, subject, a + 1, position, position + segment});
        position += segment;
      }
    }
    data.recordings.push_back({subject, subject, torch::cat(parts)});
  }
  data.source = {true, {}, "data: SYNTHETIC accelerometer recordings"};
  return data;
}

LabeledWindows make_activity_windows(const ActivityData& data, std::int64_t length, std::int64_t step,
                                     const std::vector<std::int64_t>& activities) {
  if (length < 1 || step < 1) throw std::invalid_argument("make_activity_windows: length and step must be >= 1");
  std::map<std::int64_t, const SensorRecording*> by_experiment;
  for (const auto& r : data.recordings) by_experiment[r.experiment] = &r;
  std::vector<torch::Tensor> windows;
  std::vector<std::int64_t> labels, subjects;
  for (const auto& s : data.segments) {
    const auto label = std::find(activities.begin(), activities.end(), s.activity) - activities.begin();
    if (label == static_cast<std::ptrdiff_t>(activities.size())) continue;
    const auto& signal = by_experiment.at(s.experiment)->signal;
    for (std::int64_t start = s.begin; start + length <= s.end; start += step) {
      windows.push_back(signal.slice(0, start, start + length).t());
      labels.push_back(label);
      subjects.push_back(s.subject);
    }
  }
  if (windows.empty()) throw std::invalid_argument("make_activity_windows: no window fits any segment");
  return {torch::stack(windows).contiguous(), torch::tensor(labels, torch::kInt64),
          torch::tensor(subjects, torch::kInt64)};
}

SubjectSplit split_by_subject(const torch::Tensor& subjects, double test_fraction, std::uint64_t seed) {
  const torch::Tensor unique = std::get<0>(torch::_unique(subjects, /*sorted=*/true));
  std::vector<std::int64_t> ids(unique.data_ptr<std::int64_t>(), unique.data_ptr<std::int64_t>() + unique.numel());
  if (ids.size() < 2) throw std::invalid_argument("split_by_subject: need at least 2 subjects");
  std::mt19937_64 rng(seed);
  shuffle_in_place(ids, rng);
  const auto test_count = std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(test_fraction * ids.size())), 1,
                                                  ids.size() - 1);
  SubjectSplit split;
  split.test_subjects.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(test_count));
  split.train_subjects.assign(ids.begin() + static_cast<std::ptrdiff_t>(test_count), ids.end());
  std::sort(split.test_subjects.begin(), split.test_subjects.end());
  std::sort(split.train_subjects.begin(), split.train_subjects.end());
  const torch::Tensor is_test = torch::isin(subjects, torch::tensor(split.test_subjects, torch::kInt64));
  split.test = is_test.nonzero().reshape({-1});
  split.train = (~is_test).nonzero().reshape({-1});
  return split;
}

}  // namespace xt::data

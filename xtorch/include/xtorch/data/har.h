#pragma once
// Human activity recognition from body-worn sensors: the UCI HAPT raw
// recordings, labelled fixed-length windows, and splits by subject.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "xtorch/data/datasets.h"

namespace xt::data {

struct SensorRecording {
  std::int64_t experiment = 0;
  std::int64_t subject = 0;
  torch::Tensor signal;  // [samples, channels] float32
};

struct ActivitySegment {
  std::int64_t experiment = 0, subject = 0, activity = 0;  // activity id as in the dataset (1-based)
  std::int64_t begin = 0, end = 0;                         // 0-based sample range [begin, end)
};

struct ActivityData {
  std::vector<SensorRecording> recordings;
  std::vector<ActivitySegment> segments;
  std::vector<std::string> activity_names;  // activity id - 1 -> name
  double sampling_hz = 50.0;
  DataSource source;
};

// UCI HAPT (Reyes-Ortiz et al. 2016) raw accelerometer files from
// hapt_accel/: acc_expXX_userYY.txt[.gz] (ax ay az in g at 50 Hz),
// labels.txt (exp user activity start end, 1-based inclusive) and
// activity_labels.txt. Label rows of recordings that are not present are
// ignored. Not found: synthetic recordings (Fallback::Synthetic) or DataError.
ActivityData load_hapt(const std::filesystem::path& data_dir, Fallback fallback = Fallback::Synthetic,
                       std::uint64_t synthetic_seed = 0);

// Six activities from gravity and motion: walking (3 kinds, periodic with
// different rhythm and strength) and sitting / standing / laying (the
// phone's orientation). 8 subjects with their own gait and posture offsets.
ActivityData make_synthetic_activities(std::uint64_t seed);

struct LabeledWindows {
  torch::Tensor inputs;    // [N, channels, length] float32
  torch::Tensor labels;    // [N] int64: position of the activity in `activities`
  torch::Tensor subjects;  // [N] int64
};

// Windows of `length` samples every `step` samples, lying wholly inside one
// segment of one of `activities` (ids); others are skipped.
LabeledWindows make_activity_windows(const ActivityData& data, std::int64_t length, std::int64_t step,
                                     const std::vector<std::int64_t>& activities);

// Subjects split into test and train groups (about `test_fraction` of the
// subjects in test), deterministic in `seed`. No subject is in both.
struct SubjectSplit {
  std::vector<std::int64_t> train_subjects, test_subjects;
  torch::Tensor train, test;  // window indices
};
SubjectSplit split_by_subject(const torch::Tensor& subjects, double test_fraction, std::uint64_t seed);

}  // namespace xt::data

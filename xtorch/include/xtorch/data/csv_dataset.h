#pragma once
// CSVDataset: rows of a CSV file as (features, target) examples, usable with
// LibTorch's data loaders.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <torch/data/datasets/base.h>
#include <torch/data/example.h>

#include "xtorch/data/csv.h"

namespace xt::data {

class CSVDataset : public torch::data::datasets::Dataset<CSVDataset> {
 public:
  CSVDataset(const CsvTable& table, const std::vector<std::string>& feature_columns,
             const std::vector<std::string>& target_columns);
  CSVDataset(const std::filesystem::path& path, const std::vector<std::string>& feature_columns,
             const std::vector<std::string>& target_columns, const CsvOptions& options = {});

  torch::data::Example<> get(std::size_t index) override;
  c10::optional<std::size_t> size() const override;

  const torch::Tensor& features() const { return features_; }  // [rows, features]
  const torch::Tensor& targets() const { return targets_; }    // [rows, targets]

 private:
  torch::Tensor features_, targets_;
};

}  // namespace xt::data

#include "xtorch/data/csv_dataset.h"

#include <stdexcept>

namespace xt::data {

CSVDataset::CSVDataset(const CsvTable& table, const std::vector<std::string>& feature_columns,
                       const std::vector<std::string>& target_columns)
    : features_(table.to_tensor(feature_columns)), targets_(table.to_tensor(target_columns)) {}

CSVDataset::CSVDataset(const std::filesystem::path& path, const std::vector<std::string>& feature_columns,
                       const std::vector<std::string>& target_columns, const CsvOptions& options)
    : CSVDataset(read_csv(path, options), feature_columns, target_columns) {}

torch::data::Example<> CSVDataset::get(std::size_t index) {
  if (index >= static_cast<std::size_t>(features_.size(0))) {
    throw std::out_of_range("CSVDataset: index " + std::to_string(index) + " >= size " +
                            std::to_string(features_.size(0)));
  }
  const auto i = static_cast<std::int64_t>(index);
  return {features_[i], targets_[i]};
}

c10::optional<std::size_t> CSVDataset::size() const { return static_cast<std::size_t>(features_.size(0)); }

}  // namespace xt::data

// CSV reader: quoting, gzip, date-times, and the errors a user sees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "xtorch/data/csv.h"
#include "xtorch/data/csv_dataset.h"
#include "xtorch/data/datasets.h"
#include "xtorch/error.h"

using namespace xt::data;
using xt::testing::TempDir;
using xt::testing::write_text;
using ::testing::AnyOf;
using ::testing::HasSubstr;

namespace {

// Runs read_csv and returns the DataError message (fails if none is thrown).
std::string csv_error(const std::filesystem::path& path, const CsvOptions& options = {}) {
  try {
    read_csv(path, options);
  } catch (const xt::DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DataError for " << path;
  return {};
}

}  // namespace

TEST(Csv, ReadsQuotedFieldsWithSpacesAndExponents) {
  TempDir dir;
  write_text(dir / "a.csv",
             "\"date\",\"Appliances\",\"T_out\"\n"
             "\"2016-01-11 17:00:00\",\"  60\",\" 6.5999999999999996e+00\"\n"
             "\"2016-01-11 17:10:00\",\"  50\",\"7\"\n");
  CsvOptions options;
  options.datetime_columns = {"date"};
  const CsvTable t = read_csv(dir / "a.csv", options);
  ASSERT_EQ(t.rows(), 2);
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"date", "Appliances", "T_out"}));
  EXPECT_DOUBLE_EQ(t.numeric("Appliances")[0], 60.0);
  EXPECT_DOUBLE_EQ(t.numeric("T_out")[0], 6.6);
  EXPECT_EQ(t.datetime("date")[1] - t.datetime("date")[0], 600);
  EXPECT_EQ(format_datetime(t.datetime("date")[0]), "2016-01-11 17:00:00");
}

TEST(Csv, HandlesCrlfDoubledQuotesDelimitersInQuotesAndBlankLines) {
  TempDir dir;
  write_text(dir / "b.csv", "x,\"y, with comma\",\"q\"\"uote\"\r\n1,2,3\r\n\r\n4,5,6\r\n");
  const CsvTable t = read_csv(dir / "b.csv");
  ASSERT_EQ(t.rows(), 2);
  EXPECT_TRUE(t.has_column("y, with comma"));
  EXPECT_TRUE(t.has_column("q\"uote"));
  EXPECT_DOUBLE_EQ(t.numeric("q\"uote")[1], 6.0);
}

TEST(Csv, GzipRoundTripKeepsEveryValue) {
  TempDir dir;
  CsvTable table;
  table.add_datetime("when", {0, 951782400 /* 2000-02-29 */, 1452531600});
  table.add_numeric("v", {1.0 / 3.0, -2.5e-7, 1e10});
  write_csv(dir / "t.csv.gz", table);
  CsvOptions options;
  options.datetime_columns = {"when"};
  const CsvTable back = read_csv(dir / "t.csv.gz", options);
  EXPECT_EQ(back.datetime("when"), table.datetime("when"));
  EXPECT_EQ(back.numeric("v"), table.numeric("v"));  // 17 significant digits round-trip exactly
}

TEST(Csv, ErrorsNameFileLineAndColumn) {
  TempDir dir;
  write_text(dir / "fields.csv", "a,b\n1,2\n3\n");
  EXPECT_THAT(csv_error(dir / "fields.csv"), HasSubstr("fields.csv:3: expected 2 fields, found 1"));

  write_text(dir / "number.csv", "a,b\n1,2\n3,x7\n");
  EXPECT_THAT(csv_error(dir / "number.csv"), HasSubstr("number.csv:3: column 'b': 'x7' is not a finite number"));

  write_text(dir / "empty_value.csv", "a,b\n1,\n");
  EXPECT_THAT(csv_error(dir / "empty_value.csv"), HasSubstr(":2: column 'b': empty value"));

  write_text(dir / "date.csv", "d,v\n2016-02-30 00:00:00,1\n");
  CsvOptions dates;
  dates.datetime_columns = {"d"};
  EXPECT_THAT(csv_error(dir / "date.csv", dates), HasSubstr(":2: column 'd': '2016-02-30 00:00:00' is not a date-time"));

  write_text(dir / "quote.csv", "a,b\n1,\"2\n");
  EXPECT_THAT(csv_error(dir / "quote.csv"), HasSubstr("unterminated quoted field"));

  CsvOptions required;
  required.required_columns = {"Appliances"};
  EXPECT_THAT(csv_error(dir / "fields.csv", required), HasSubstr("missing required column 'Appliances'"));

  write_text(dir / "empty.csv", "");
  EXPECT_THAT(csv_error(dir / "empty.csv"), HasSubstr("empty.csv: file is empty"));
  EXPECT_THAT(csv_error(dir / "nope.csv"), HasSubstr("nope.csv: file does not exist"));

  write_text(dir / "dup.csv", "a,a\n1,2\n");
  EXPECT_THAT(csv_error(dir / "dup.csv"), HasSubstr("duplicate column name 'a'"));
}

TEST(Csv, TruncatedGzipIsAnErrorNotShortData) {
  TempDir dir;
  CsvTable table;
  std::vector<double> values(20000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i) * 1.37;
  table.add_numeric("v", values);
  write_csv(dir / "big.csv.gz", table);
  const auto size = std::filesystem::file_size(dir / "big.csv.gz");
  std::filesystem::resize_file(dir / "big.csv.gz", size / 2);
  EXPECT_THAT(csv_error(dir / "big.csv.gz"), AnyOf(HasSubstr("truncated"), HasSubstr("decompress")));
}

TEST(Csv, MissingColumnLookupListsTheColumns) {
  CsvTable table("mem.csv");
  table.add_numeric("x", {1, 2});
  try {
    table.numeric("y");
    FAIL() << "expected DataError";
  } catch (const xt::DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("mem.csv: no column 'y' (columns: x)"));
  }
}

TEST(Csv, ParseDatetimeAcceptsIsoFormsAndRejectsBadDates) {
  std::int64_t s = 0;
  ASSERT_TRUE(parse_datetime("1970-01-01 00:00:00", s));
  EXPECT_EQ(s, 0);
  ASSERT_TRUE(parse_datetime("2016-01-11T17:00", s));
  EXPECT_EQ(s, 1452531600);
  ASSERT_TRUE(parse_datetime("2016-02-29", s));
  EXPECT_EQ(format_datetime(s), "2016-02-29 00:00:00");
  EXPECT_FALSE(parse_datetime("2015-02-29 00:00:00", s));
  EXPECT_FALSE(parse_datetime("2016-13-01 00:00:00", s));
  EXPECT_FALSE(parse_datetime("2016-01-01 24:00:00", s));
  EXPECT_FALSE(parse_datetime("2016-01-01 10:00:00junk", s));
  EXPECT_FALSE(parse_datetime("yesterday", s));
}

TEST(CsvDataset, YieldsRowsAsExamples) {
  CsvTable table;
  table.add_numeric("f1", {1, 2, 3});
  table.add_numeric("f2", {4, 5, 6});
  table.add_numeric("y", {7, 8, 9});
  CSVDataset dataset(table, {"f1", "f2"}, {"y"});
  ASSERT_EQ(dataset.size().value(), 3u);
  const auto example = dataset.get(1);
  EXPECT_TRUE(example.data.equal(torch::tensor({2.0f, 5.0f})));
  EXPECT_TRUE(example.target.equal(torch::tensor({8.0f})));
  EXPECT_THROW(dataset.get(3), std::out_of_range);
}

TEST(RealData, UciAppliancesEnergyMatchesItsPublishedStatistics) {
  const auto dir = xt::testing::real_data_dir();
  if (!std::filesystem::exists(dir / "uci_appliances_energy")) GTEST_SKIP() << "no real data under " << dir;
  const auto data = load_appliances_energy(dir, Fallback::Fail);
  EXPECT_FALSE(data.source.synthetic);
  const CsvTable& t = data.table;
  ASSERT_EQ(t.rows(), 19735);
  EXPECT_EQ(t.column_names().size(), 29u);
  EXPECT_EQ(format_datetime(t.datetime("date").front()), "2016-01-11 17:00:00");
  EXPECT_EQ(format_datetime(t.datetime("date").back()), "2016-05-27 18:00:00");
  const torch::Tensor appliances = t.to_tensor({"Appliances"}, torch::kFloat64);
  EXPECT_NEAR(appliances.mean().item<double>(), 97.695, 1e-3);
  EXPECT_NEAR(appliances.std(/*unbiased=*/true).item<double>(), 102.525, 1e-3);
  EXPECT_EQ(t.numeric("rv1"), t.numeric("rv2"));  // identical random columns, as documented upstream
}

TEST(SyntheticData, HasTheRealSchemaAndIsDeterministic) {
  const CsvTable a = make_synthetic_appliances(500, 7);
  const CsvTable b = make_synthetic_appliances(500, 7);
  const CsvTable c = make_synthetic_appliances(500, 8);
  EXPECT_EQ(a.rows(), 500);
  for (const auto& name : appliances_numeric_columns()) EXPECT_TRUE(a.has_column(name)) << name;
  EXPECT_EQ(a.numeric("Appliances"), b.numeric("Appliances"));
  EXPECT_NE(a.numeric("Appliances"), c.numeric("Appliances"));
  EXPECT_EQ(a.datetime("date")[1] - a.datetime("date")[0], 600);
}

TEST(SyntheticData, MissingDatasetFallsBackOrFailsAsAsked) {
  TempDir empty;
  const auto data = load_appliances_energy(empty.path(), Fallback::Synthetic);
  EXPECT_TRUE(data.source.synthetic);
  EXPECT_THAT(data.source.description, HasSubstr("SYNTHETIC"));
  EXPECT_THROW(load_appliances_energy(empty.path(), Fallback::Fail), xt::DataError);
}

// ECG data: UCR files, WFDB header / format 212 / annotations, beats, splits.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <torch/torch.h>

#include "test_util.h"
#include "xtorch/data/csv.h"
#include "xtorch/data/ecg.h"
#include "xtorch/error.h"
#include "xtorch/util/atomic_file.h"

namespace fs = std::filesystem;
using xt::testing::TempDir;
using xt::testing::data_error_of;
using ::testing::HasSubstr;

namespace {

fs::path mitbih_raw() { return xt::testing::real_data_dir() / "mitbih_ecg" / "raw"; }

}  // namespace

TEST(EcgRealData, Ecg5000TrainHasTheArchiveClassCounts) {
  const auto data = xt::data::load_ecg5000(xt::testing::real_data_dir(), xt::data::Fallback::Synthetic);
  if (data.source.synthetic) GTEST_SKIP() << "no real data";
  EXPECT_EQ(data.beats.sizes(), (std::vector<std::int64_t>{500, 140}));
  EXPECT_TRUE(torch::bincount(data.classes).equal(torch::tensor({0, 292, 177, 10, 19, 2}, torch::kInt64)));
  EXPECT_EQ(data.anomalous.sum().item<std::int64_t>(), 208);
  EXPECT_NEAR(data.beats[0][0].item<double>(), -0.11252183, 1e-7);
  EXPECT_THAT(data.source.description, HasSubstr("ECG5000 TRAIN, 500 beats (292 normal, 208 anomalous)"));
}

TEST(EcgRealData, MitBihRecord100DecodesToTheHeadersChecksumsAndTheBeatFile) {
  if (!fs::exists(mitbih_raw() / "100.dat")) GTEST_SKIP() << "no real data under " << mitbih_raw();
  const auto header = xt::data::read_wfdb_header(mitbih_raw() / "100.hea");
  EXPECT_EQ(header.record, "100");
  EXPECT_EQ(header.frequency, 360.0);
  EXPECT_EQ(header.samples, 650000);
  ASSERT_EQ(header.signals.size(), 2u);
  EXPECT_EQ(header.signals[0].description, "MLII");
  EXPECT_EQ(header.signals[1].checksum, 20052);
  const torch::Tensor adc = xt::data::read_wfdb_212(mitbih_raw() / "100.dat", header);  // checks checksums itself
  EXPECT_EQ(adc.min().item<int>(), 481);  // MLII and V5 together: 481..1311

  const auto annotations = xt::data::read_mit_annotations(mitbih_raw() / "100.atr");
  std::map<std::string, int> counts;
  for (const auto& a : annotations) counts[a.symbol]++;
  EXPECT_EQ(annotations.size(), 2274u);
  EXPECT_EQ(counts["N"], 2239);
  EXPECT_EQ(counts["A"], 33);
  EXPECT_EQ(counts["V"], 1);
  EXPECT_EQ(annotations.front().symbol, "+");
  EXPECT_EQ(annotations.front().aux, "(N");
  EXPECT_EQ(annotations[1].sample, 77);

  // The pre-cut beat file (MLII in mV, 90 samples before to 165 after the R peak) agrees with our decoding.
  xt::data::CsvOptions only;
  only.only_columns = {"r_sample", "x0", "x90", "x255"};
  const auto beats_csv =
      xt::data::read_csv(xt::testing::real_data_dir() / "mitbih_ecg" / "100_beats_MLII_90_166.csv.gz", only);
  const torch::Tensor mv = (adc.select(1, 0).to(torch::kFloat64) - 1024) / 200;
  const auto r = static_cast<std::int64_t>(beats_csv.numeric("r_sample")[0]);
  for (int k : {0, 90, 255}) {
    EXPECT_NEAR(mv[r - 90 + k].item<double>(), beats_csv.numeric("x" + std::to_string(k))[0], 5e-4) << k;
  }

  const auto data = xt::data::load_mitbih_record(xt::testing::real_data_dir(), "100", {}, xt::data::Fallback::Fail);
  EXPECT_EQ(data.beats.size(0), 2271);  // 2 beats too close to the ends
  EXPECT_EQ(data.beats.size(1), 128);
  EXPECT_EQ(data.anomalous.sum().item<std::int64_t>(), 34);
  EXPECT_EQ(data.sampling_hz, 180.0);
}

TEST(EcgFiles, CorruptOrTruncatedWfdbFilesAreRejected) {
  if (!fs::exists(mitbih_raw() / "100.dat")) GTEST_SKIP() << "no real data under " << mitbih_raw();
  TempDir dir;
  const auto header = xt::data::read_wfdb_header(mitbih_raw() / "100.hea");
  std::string dat = xt::read_file(mitbih_raw() / "100.dat");
  dat[3000] = static_cast<char>(dat[3000] ^ 0x11);
  xt::write_file_atomically(dir / "flipped.dat", dat);
  EXPECT_THAT(data_error_of([&] { xt::data::read_wfdb_212(dir / "flipped.dat", header); }),
              HasSubstr("does not match its header"));
  xt::write_file_atomically(dir / "cut.dat", dat.substr(0, 1000));
  EXPECT_THAT(data_error_of([&] { xt::data::read_wfdb_212(dir / "cut.dat", header); }), HasSubstr("truncated"));

  const std::string atr = xt::read_file(mitbih_raw() / "100.atr");
  xt::write_file_atomically(dir / "cut.atr", atr.substr(0, 1000));
  EXPECT_THAT(data_error_of([&] { xt::data::read_mit_annotations(dir / "cut.atr"); }), HasSubstr("truncated"));

  xt::testing::write_text(dir / "bad.hea", "# only a comment\n100 2 360 650000\n100.dat 212 200\n");
  EXPECT_THAT(data_error_of([&] { xt::data::read_wfdb_header(dir / "bad.hea"); }), HasSubstr("bad.hea:3: signal line"));
}

TEST(EcgFiles, UcrFormatErrorsNameTheLine) {
  TempDir dir;
  xt::testing::write_text(dir / "ok.txt", "  1.0e+00  0.5  -0.5\n2, 1, 2\n");
  const auto ok = xt::data::read_ucr(dir / "ok.txt");
  EXPECT_TRUE(ok.labels.equal(torch::tensor({1, 2}, torch::kInt64)));
  EXPECT_TRUE(ok.values.equal(torch::tensor({0.5f, -0.5f, 1.f, 2.f}).reshape({2, 2})));
  xt::testing::write_text(dir / "ragged.txt", "1 0.5 0.5\n1 0.5\n");
  EXPECT_THAT(data_error_of([&] { xt::data::read_ucr(dir / "ragged.txt"); }),
              HasSubstr("ragged.txt:2: has 1 values, expected 2"));
  xt::testing::write_text(dir / "label.txt", "1.5 0.5 0.5\n");
  EXPECT_THAT(data_error_of([&] { xt::data::read_ucr(dir / "label.txt"); }), HasSubstr("is not an integer"));
  xt::testing::write_text(dir / "nan.txt", "1 0.5 abc\n");
  EXPECT_THAT(data_error_of([&] { xt::data::read_ucr(dir / "nan.txt"); }), HasSubstr("nan.txt:1: value 2"));
}

TEST(EcgSplits, AnomalySplitTrainsOnNormalOnlyAndIsStratified) {
  const torch::Tensor anomalous = torch::arange(100) >= 60;  // 60 normal, 40 anomalous
  const auto split = xt::data::anomaly_split(anomalous, 3, 0.6);
  EXPECT_EQ(split.train.size(0), 36);
  EXPECT_FALSE(anomalous.index_select(0, split.train).any().item<bool>());
  EXPECT_EQ(anomalous.index_select(0, split.val).sum().item<std::int64_t>(), 20);
  EXPECT_EQ(anomalous.index_select(0, split.test).sum().item<std::int64_t>(), 20);
  EXPECT_EQ(split.val.size(0) + split.test.size(0), 64);
  const torch::Tensor all = torch::cat({split.train, split.val, split.test});
  EXPECT_EQ(std::get<0>(torch::_unique(all)).size(0), 100);
  EXPECT_TRUE(xt::data::anomaly_split(anomalous, 3, 0.6).test.equal(split.test));
  EXPECT_FALSE(xt::data::anomaly_split(anomalous, 4, 0.6).test.equal(split.test));
}

TEST(EcgSynthetic, BeatsAreNormalizedAndLabelled) {
  const auto data = xt::data::make_synthetic_beats(30, 10, 140, 1);
  EXPECT_EQ(data.beats.sizes(), (std::vector<std::int64_t>{40, 140}));
  EXPECT_EQ(data.anomalous.sum().item<std::int64_t>(), 10);
  EXPECT_LT(data.beats.mean(1).abs().max().item<double>(), 1e-5);
  TempDir empty;
  EXPECT_TRUE(xt::data::load_ecg5000(empty.path()).source.synthetic);
  EXPECT_THAT(data_error_of([&] { xt::data::load_mitbih_record(empty.path(), "100", {}, xt::data::Fallback::Fail); }),
              HasSubstr("MIT-BIH record 100 not found"));
}

TEST(EcgFiles, Ecg5000LoaderAddsTheTestFileWhenPresent) {
  TempDir dir;
  fs::create_directories(dir / "ecg5000");
  std::string train, test;
  for (int i = 0; i < 4; ++i) train += (i < 3 ? "1" : "3") + std::string(" 0.5 -0.5 0.25\n");
  for (int i = 0; i < 2; ++i) test += "2 0.1 0.2 0.3\n";
  xt::testing::write_text(dir / "ecg5000" / "ECG5000_TRAIN.txt", train);
  xt::testing::write_text(dir / "ecg5000" / "ECG5000_TEST.txt", test);
  const auto data = xt::data::load_ecg5000(dir.path(), xt::data::Fallback::Fail);
  EXPECT_EQ(data.beats.sizes(), (std::vector<std::int64_t>{6, 3}));
  EXPECT_EQ(data.anomalous.sum().item<std::int64_t>(), 3);
  EXPECT_THAT(data.source.description, HasSubstr("ECG5000 TRAIN+TEST, 6 beats (3 normal, 3 anomalous)"));
  xt::testing::write_text(dir / "ecg5000" / "ECG5000_TEST.txt", "2 0.1 0.2\n");
  EXPECT_THAT(data_error_of([&] { xt::data::load_ecg5000(dir.path(), xt::data::Fallback::Fail); }),
              HasSubstr("series length 2 differs from TRAIN's 3"));
}

#include "xtorch/data/datasets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "xtorch/error.h"

namespace xt::data {
namespace fs = std::filesystem;

fs::path resolve_data_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("XT_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return "data";
}

std::optional<fs::path> find_data_file(const fs::path& data_dir, const std::vector<std::string>& candidates) {
  for (const auto& candidate : candidates) {
    std::error_code ec;
    const fs::path path = data_dir / candidate;
    if (fs::is_regular_file(path, ec)) return path;
  }
  return std::nullopt;
}

void shuffle_in_place(std::vector<std::int64_t>& values, std::mt19937_64& rng) {
  for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[rng() % i]);
}

const std::vector<std::string>& appliances_numeric_columns() {
  static const std::vector<std::string> columns = {
      "Appliances", "lights", "T1",    "RH_1",        "T2",     "RH_2",      "T3",         "RH_3",
      "T4",         "RH_4",   "T5",    "RH_5",        "T6",     "RH_6",      "T7",         "RH_7",
      "T8",         "RH_8",   "T9",    "RH_9",        "T_out",  "Press_mm_hg", "RH_out",   "Windspeed",
      "Visibility", "Tdewpoint", "rv1", "rv2"};
  return columns;
}

AppliancesData load_appliances_energy(const fs::path& data_dir, Fallback fallback, std::uint64_t synthetic_seed) {
  const std::vector<std::string> candidates = {
      "uci_appliances_energy/energydata_complete.csv.gz", "uci_appliances_energy/energydata_complete.csv",
      "energydata_complete.csv.gz", "energydata_complete.csv"};
  if (const auto file = find_data_file(data_dir, candidates)) {
    CsvOptions options;
    options.datetime_columns = {"date"};
    options.required_columns = appliances_numeric_columns();
    AppliancesData data{read_csv(*file, options), {}};
    data.source = {false, *file,
                   "data: UCI Appliances Energy Prediction, " + std::to_string(data.table.rows()) + " rows from " +
                       file->string()};
    return data;
  }
  if (fallback == Fallback::Fail) {
    throw DataError(data_dir / candidates.front(), 0,
                    "UCI Appliances Energy data not found (run tools/download_data.sh, or pass --data-dir)");
  }
  constexpr std::int64_t kSyntheticRows = 6 * 24 * 7 * 8;  // eight weeks of 10-minute steps
  AppliancesData data{make_synthetic_appliances(kSyntheticRows, synthetic_seed), {}};
  data.source = {true, {},
                 "data: SYNTHETIC stand-in (" + std::to_string(kSyntheticRows) +
                     " rows): UCI Appliances Energy not found under " + data_dir.string() +
                     " (run tools/download_data.sh or pass --data-dir for the real data)"};
  return data;
}

CsvTable make_synthetic_appliances(std::int64_t rows, std::uint64_t seed) {
  if (rows < 1) throw std::invalid_argument("make_synthetic_appliances: rows must be >= 1");
  constexpr double kTwoPi = 6.283185307179586;
  constexpr std::int64_t kStart = 1452531600;  // 2016-01-11 17:00:00, the real file's first row
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  const auto n = static_cast<std::size_t>(rows);
  std::vector<std::int64_t> date(n);
  std::vector<std::vector<double>> col(appliances_numeric_columns().size(), std::vector<double>(n));
  const auto index = [&](const std::string& name) {
    const auto& names = appliances_numeric_columns();
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  double pressure = 755.0, weather = 0.0, appliance_state = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = kStart + static_cast<std::int64_t>(i) * 600;
    date[i] = t;
    const double hour = static_cast<double>(t % 86400) / 3600.0;
    const auto weekday = static_cast<int>(((t / 86400) + 3) % 7);  // Monday = 0
    const bool weekend = weekday >= 5;
    const double day_phase = std::sin(kTwoPi * (hour - 9.0) / 24.0);
    weather = 0.995 * weather + 0.1 * noise(rng);
    pressure += 0.05 * noise(rng) + 0.001 * (755.0 - pressure);

    // Occupancy: mornings and evenings, all day at weekends.
    const bool awake = hour >= 6.5 && hour < 23.0;
    const bool home = weekend ? awake : (awake && (hour < 8.5 || hour >= 17.0));
    const double cooking = (hour >= 7.0 && hour < 8.0) || (hour >= 18.0 && hour < 20.0) ? 1.0 : 0.0;
    appliance_state = 0.8 * appliance_state + (home ? 14.0 + 40.0 * cooking : 2.0) + 8.0 * noise(rng);
    double appliances = 40.0 + appliance_state;
    if (home && uniform(rng) < 0.02) appliances += 200.0 + 200.0 * uniform(rng);  // kettle, oven...
    appliances = std::max(10.0, std::round(appliances / 10.0) * 10.0);

    const double t_out = 6.0 + 4.0 * day_phase + 3.0 * weather + 0.3 * noise(rng);
    col[index("Appliances")][i] = appliances;
    col[index("lights")][i] = home && (hour < 8.0 || hour > 17.0) ? 10.0 * std::round(1.0 + uniform(rng) * 2.0) : 0.0;
    for (int room = 1; room <= 9; ++room) {
      const std::string r = std::to_string(room);
      const bool outside = room == 6;
      col[index("T" + r)][i] = outside ? t_out + 0.5 * noise(rng)
                                       : 19.0 + room * 0.3 + (home ? 1.0 : 0.0) + 0.1 * t_out + 0.2 * noise(rng);
      col[index("RH_" + r)][i] = outside ? 80.0 - 5.0 * day_phase + noise(rng) : 40.0 + 3.0 * day_phase + noise(rng);
    }
    col[index("T_out")][i] = t_out;
    col[index("Press_mm_hg")][i] = pressure;
    col[index("RH_out")][i] = std::clamp(80.0 - 8.0 * day_phase + 2.0 * noise(rng), 20.0, 100.0);
    col[index("Windspeed")][i] = std::max(0.0, 4.0 + 2.0 * weather + noise(rng));
    col[index("Visibility")][i] = std::clamp(40.0 + 10.0 * noise(rng), 1.0, 66.0);
    col[index("Tdewpoint")][i] = t_out - 3.0 + 0.5 * noise(rng);
    col[index("rv1")][i] = col[index("rv2")][i] = 50.0 * uniform(rng);
  }
  CsvTable table("<synthetic appliances>");
  table.add_datetime("date", std::move(date));
  for (std::size_t c = 0; c < col.size(); ++c) table.add_numeric(appliances_numeric_columns()[c], std::move(col[c]));
  return table;
}

CitationData load_citation_dataset(const fs::path& data_dir, const std::string& name, GraphSplit split,
                                   std::uint64_t seed, Fallback fallback) {
  if (name != "cora" && name != "citeseer") {
    throw std::invalid_argument("unknown citation dataset '" + name + "' (expected cora or citeseer)");
  }
  const std::string folder = split == GraphSplit::Planetoid ? "cora_planetoid/" + name + "/" : name + "/";
  const std::string stem = folder + name;
  const auto content = find_data_file(data_dir, {stem + ".content.gz", stem + ".content"});
  const auto cites = find_data_file(data_dir, {stem + ".cites", stem + ".cites.gz"});
  const auto split_file = find_data_file(data_dir, {stem + ".planetoid_split.json"});
  const bool found = content && cites && (split == GraphSplit::Random || split_file);
  const std::string split_name = split == GraphSplit::Planetoid ? "Planetoid split" : "random split";

  CitationData data;
  if (found) {
    data.graph = load_linqs(*content, *cites, name);
    if (split == GraphSplit::Planetoid) {
      apply_split_file(data.graph, *split_file);
    } else {
      apply_random_split(data.graph, seed);
    }
    data.source = {false, *content,
                   "data: " + name + " (" + split_name + "), " + std::to_string(data.graph.num_nodes()) + " nodes, " +
                       std::to_string(data.graph.num_edges()) + " edges from " + content->parent_path().string()};
    return data;
  }
  if (fallback == Fallback::Fail) {
    throw DataError(data_dir / (stem + ".content.gz"),
                    0, name + " (" + split_name + ") not found (run tools/download_data.sh, or pass --data-dir)");
  }
  data.graph = make_synthetic_citation_graph(1200, 500, 5, seed);
  apply_random_split(data.graph, seed, 20, 300, 500);
  data.source = {true, {},
                 "data: SYNTHETIC citation graph (1200 nodes, 5 classes): " + name + " not found under " +
                     (data_dir / folder).string() + " (run tools/download_data.sh or pass --data-dir for the real data)"};
  return data;
}

ProteinGraphData load_protein_graph(const fs::path& data_dir, std::uint64_t seed, Fallback fallback) {
  const auto describe = [](const MultiLabelGraph& g, const std::string& what, const fs::path& where) {
    return "data: " + what + ", " + std::to_string(g.num_nodes()) + " nodes, " + std::to_string(g.num_edges()) +
           " edge lines, " + std::to_string(g.num_labels()) + " labels from " + where.string();
  };
  ProteinGraphData data;
  if (const auto graphsage = find_data_file(data_dir, {"ppi/ppi-G.json"})) {
    data.graph = load_graphsage_graph(graphsage->parent_path(), "ppi");
    data.source = {false, *graphsage, describe(data.graph, "PPI (GraphSAGE format)", graphsage->parent_path())};
    return data;
  }
  const auto edges = find_data_file(data_dir, {"ppi_node2vec/ppi.edgelist.gz", "ppi_node2vec/ppi.edgelist"});
  const auto labels = find_data_file(data_dir, {"ppi_node2vec/ppi_labels.txt"});
  if (edges && labels) {
    data.graph = load_node2vec_graph(*edges, *labels, "ppi");
    data.source = {false, *edges, describe(data.graph, "PPI (node2vec, BioGRID + MSigDB)", edges->parent_path())};
    return data;
  }
  if (fallback == Fallback::Fail) {
    throw DataError(data_dir / "ppi_node2vec/ppi.edgelist.gz", 0,
                    "PPI not found (run tools/download_data.sh, or pass --data-dir)");
  }
  data.graph = make_synthetic_multilabel_graph(1500, 12, 16, seed);
  data.source = {true, {},
                 "data: SYNTHETIC multi-label graph (1500 nodes, 12 labels): PPI not found under " +
                     (data_dir / "ppi_node2vec").string() +
                     " (run tools/download_data.sh or pass --data-dir for the real data)"};
  return data;
}

}  // namespace xt::data

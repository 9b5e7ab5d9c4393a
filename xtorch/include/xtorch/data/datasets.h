#pragma once
// Finding datasets on disk, and synthetic stand-ins for a fresh machine.
//
// Every example reads its data from a directory: the --data-dir flag, else
// $XT_DATA_DIR, else ./data. When a dataset is not there the loaders fall back
// to a small synthetic dataset with the same schema and say so in
// DataSource::description: never silently.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "xtorch/data/csv.h"
#include "xtorch/data/graph.h"
#include "xtorch/data/protein_graphs.h"

namespace xt::data {

// flag if not empty, else $XT_DATA_DIR if set, else "data".
std::filesystem::path resolve_data_dir(const std::string& flag_value);

// The first of `candidates` (relative to `data_dir`) that exists.
std::optional<std::filesystem::path> find_data_file(const std::filesystem::path& data_dir,
                                                    const std::vector<std::string>& candidates);

// Fisher-Yates with a fixed generator: the same seed gives the same order on
// every platform (std::shuffle's algorithm is implementation-defined).
void shuffle_in_place(std::vector<std::int64_t>& values, std::mt19937_64& rng);

struct DataSource {
  bool synthetic = false;
  std::filesystem::path file;  // empty when synthetic
  std::string description;     // one line for the user
};

// ---- UCI Appliances Energy Prediction (Candanedo et al. 2017) ----

// The 28 numeric columns of energydata_complete.csv, in file order; the file
// also has a "date" column.
const std::vector<std::string>& appliances_numeric_columns();

struct AppliancesData {
  CsvTable table;  // "date" (date-time) + the numeric columns
  DataSource source;
};

enum class Fallback { Synthetic, Fail };

// Looks for uci_appliances_energy/energydata_complete.csv[.gz] (or the file
// directly in data_dir). Not found: synthetic data (Fallback::Synthetic) or a
// DataError naming where it looked (Fallback::Fail).
AppliancesData load_appliances_energy(const std::filesystem::path& data_dir,
                                      Fallback fallback = Fallback::Synthetic, std::uint64_t synthetic_seed = 0);

// Same schema and 10-minute steps as the real file: daily and weekly cycles,
// occupancy-driven appliance use with spikes, weather, and two random columns.
CsvTable make_synthetic_appliances(std::int64_t rows, std::uint64_t seed);

// ---- Citation graphs: Cora and CiteSeer (Sen et al. 2008) ----

enum class GraphSplit {
  Planetoid,  // the fixed split of Yang et al. 2016 / Kipf & Welling 2017 (20 per class, 500, 1000)
  Random,     // the same sizes drawn at random (seeded) from the full LINQS graph
};

struct CitationData {
  Graph graph;  // with train/val/test indices set
  DataSource source;
};

// `name` is "cora" or "citeseer". Planetoid: cora_planetoid/<name>/<name>.content[.gz], .cites and
// .planetoid_split.json. Random: the original LINQS files <name>/<name>.content[.gz] and .cites.
// Not found: a synthetic citation graph (Fallback::Synthetic) or a DataError.
CitationData load_citation_dataset(const std::filesystem::path& data_dir, const std::string& name, GraphSplit split,
                                   std::uint64_t seed = 0, Fallback fallback = Fallback::Synthetic);

// ---- Protein-protein interactions (multi-label nodes) ----

struct ProteinGraphData {
  MultiLabelGraph graph;
  DataSource source;
};

// The first found of: the GraphSAGE-format PPI (ppi/ppi-G.json and its
// siblings, Hamilton et al. 2017), then node2vec's PPI network
// (ppi_node2vec/ppi.edgelist[.gz] and ppi_labels.txt, Grover & Leskovec
// 2016). Not found: a synthetic overlapping-community graph
// (Fallback::Synthetic) or a DataError.
ProteinGraphData load_protein_graph(const std::filesystem::path& data_dir, std::uint64_t seed = 0,
                                    Fallback fallback = Fallback::Synthetic);

}  // namespace xt::data

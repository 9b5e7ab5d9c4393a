#!/usr/bin/env bash
# Downloads the real datasets into a data directory (default ./data), in the
# layout the examples look for. Needs internet access. Each dataset's origin
# and license are in docs/DATASETS.md.
#   tools/download_data.sh [DATA_DIR]
set -euo pipefail
dir=${1:-data}
mkdir -p "$dir"

fetch() {  # fetch URL FILE
  if [ -s "$2" ]; then echo "have $2"; return; fi
  echo "downloading $1"
  curl -fL --retry 3 -o "$2.part" "$1" && mv "$2.part" "$2"
}

# UCI Appliances Energy Prediction (Candanedo et al. 2017), CC BY 4.0.
mkdir -p "$dir/uci_appliances_energy"
fetch "https://archive.ics.uci.edu/ml/machine-learning-databases/00374/energydata_complete.csv" \
      "$dir/uci_appliances_energy/energydata_complete.csv"
echo "expected sha256 of energydata_complete.csv: 2820bf712ad0275cb18b85a05250926100d8e65ebb9f4d2d016ca91ea152a25d"
sha256sum "$dir/uci_appliances_energy/energydata_complete.csv"

echo "data is in $dir; run the examples with --data-dir $dir or XT_DATA_DIR=$dir"

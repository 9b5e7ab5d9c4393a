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

# Cora and CiteSeer, original LINQS release (Sen et al. 2008).
for name in cora citeseer; do
  if [ ! -s "$dir/$name/$name.cites" ]; then
    fetch "https://linqs-data.soe.ucsc.edu/public/lbc/$name.tgz" "$dir/$name.tgz"
    tar -xzf "$dir/$name.tgz" -C "$dir" && rm "$dir/$name.tgz"
  fi
done

# The Planetoid split of Cora and CiteSeer (Yang et al. 2016), as packaged with
# Kipf & Welling's GCN (MIT license), converted to the LINQS-style text files
# the loader reads (needs /usr/bin/python3 with numpy).
raw="$dir/cora_planetoid/raw"
mkdir -p "$raw"
for name in cora citeseer; do
  for part in x y tx ty allx ally graph test.index; do
    fetch "https://raw.githubusercontent.com/tkipf/gcn/39a4089fe72ad9f055ed6fdb9746abdcfebc4d81/gcn/data/ind.$name.$part" \
          "$raw/ind.$name.$part"
  done
done
/usr/bin/python3 "$(dirname "$0")/python/planetoid_to_linqs.py" "$raw" "$dir/cora_planetoid"

# ECG5000 (UCR Time Series Archive; from PhysioNet BIDMC CHF record chf07):
# TRAIN (500 beats) and TEST (4500 beats).
mkdir -p "$dir/ecg5000"
if [ ! -s "$dir/ecg5000/ECG5000_TRAIN.txt" ]; then
  fetch "https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip" "$dir/ecg5000/ECG5000.zip"
  /usr/bin/python3 -m zipfile -e "$dir/ecg5000/ECG5000.zip" "$dir/ecg5000" && rm "$dir/ecg5000/ECG5000.zip"
fi

# MIT-BIH Arrhythmia Database record 100 (PhysioNet mitdb 1.0.0, ODC-By 1.0).
mkdir -p "$dir/mitbih_ecg/raw"
for part in hea dat atr; do
  fetch "https://physionet.org/files/mitdb/1.0.0/100.$part" "$dir/mitbih_ecg/raw/100.$part"
done

# UCI HAPT (Reyes-Ortiz et al. 2016), raw accelerometer signals and labels.
# The dataset's README forbids commercial use.
if [ ! -s "$dir/hapt_accel/labels.txt" ]; then
  mkdir -p "$dir/hapt_accel"
  fetch "https://archive.ics.uci.edu/static/public/341/smartphone+based+recognition+of+human+activities+and+postural+transitions.zip" \
        "$dir/hapt_accel/hapt.zip"
  /usr/bin/python3 - "$dir/hapt_accel" <<'PY'
import sys, zipfile
out = sys.argv[1]
with zipfile.ZipFile(f"{out}/hapt.zip") as z:
    for name in z.namelist():
        base = name.rsplit("/", 1)[-1]
        if name.startswith("RawData/") and (base.startswith("acc_") or base in ("labels.txt", "activity_labels.txt")):
            with open(f"{out}/{base}", "wb") as f:
                f.write(z.read(name))
PY
  rm "$dir/hapt_accel/hapt.zip"
fi

# node2vec's PPI network (Grover & Leskovec 2016; BioGRID + MSigDB hallmark
# gene sets), as text files in the node2vec repository network.
mkdir -p "$dir/ppi_node2vec"
n2v="https://raw.githubusercontent.com/aditya-grover/node2vec/6636d3a1d9516e29c973a98a365a2fa347fd1af6/data/PPI"
if [ ! -s "$dir/ppi_node2vec/ppi.edgelist.gz" ]; then
  fetch "$n2v/ppi.edgelist" "$dir/ppi_node2vec/ppi.edgelist"
  gzip -n "$dir/ppi_node2vec/ppi.edgelist"
fi
fetch "$n2v/ppi_labels.txt" "$dir/ppi_node2vec/ppi_labels.txt"
echo "expected sha256 of the uncompressed ppi.edgelist: 2075155750d0c979227dfa483b2746ed74ce9a1cade624d1038619d260317b4f"
gzip -dc "$dir/ppi_node2vec/ppi.edgelist.gz" | sha256sum

# The GraphSAGE PPI dataset (Hamilton et al. 2017; 24 graphs, 50 features,
# 121 labels), optional: example 4 prefers it when present (ppi/ppi-G.json).
if [ "${XT_DOWNLOAD_GRAPHSAGE_PPI:-0}" = 1 ] && [ ! -s "$dir/ppi/ppi-G.json" ]; then
  fetch "http://snap.stanford.edu/graphsage/ppi.zip" "$dir/ppi.zip"
  /usr/bin/python3 -m zipfile -e "$dir/ppi.zip" "$dir" && rm "$dir/ppi.zip"
fi

echo "data is in $dir; run the examples with --data-dir $dir or XT_DATA_DIR=$dir"

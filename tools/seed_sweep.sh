#!/usr/bin/env bash
# Runs an example over several seeds and prints mean and spread of its metrics.
#   tools/seed_sweep.sh save_load_lstm 5 --data-dir ../shared/data
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; runs=$2; shift 2
BUILD_DIR=${BUILD_DIR:-build}
binary="$BUILD_DIR/examples/time_series_and_graph_deployment_and_production/model_serialization/$name/$name"
files=()
for seed in $(seq 1 "$runs"); do
  out="${OUT_DIR:-out}/sweep_$name/seed$seed"
  echo "== $name seed $seed"
  "$binary" --seed "$seed" --out-dir "$out" "$@" | tail -n 6
  files+=("$out/results.json")
done
"$BUILD_DIR/tools/xt-results" --aggregate "${files[@]}"

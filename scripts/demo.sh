#!/usr/bin/env bash
# The main job: set up, build, run every finished example on its defaults,
# and print one summary table. Data comes from $XT_DATA_DIR (else ./data; run
# tools/download_data.sh to fill it); without it the examples use synthetic
# data and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
OUT_DIR=${OUT_DIR:-out}
EX="$BUILD_DIR/examples/time_series_and_graph_deployment_and_production/model_serialization"

results=()
run_example() {
  local name=$1; shift
  echo
  echo "==================== $name ===================="
  "$EX/$name/$name" --out-dir "$OUT_DIR/$name" "$@"
  results+=("$OUT_DIR/$name/results.json")
}

run_example save_load_lstm
run_example torchscript_gcn
# Deploy to Python: the exported GCN in torch.jit.load, on the inputs the C++ side saved.
/usr/bin/python3 examples/time_series_and_graph_deployment_and_production/model_serialization/torchscript_gcn/predict.py \
  "$OUT_DIR/torchscript_gcn/gcn.pt" "$OUT_DIR/torchscript_gcn/inputs.pt"
run_example onnx_lstm_ecg
run_example checkpoint_graphsage
run_example mobile_cnn
run_example cross_platform_conv_ae

echo
echo "==================== summary ===================="
"$BUILD_DIR/tools/xt-results" "${results[@]}"

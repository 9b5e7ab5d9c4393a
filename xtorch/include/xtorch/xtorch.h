#pragma once
// Umbrella header for the xtorch library.

#include "xtorch/error.h"
#include "xtorch/version.h"

#include "xtorch/data/csv.h"
#include "xtorch/data/csv_dataset.h"
#include "xtorch/data/datasets.h"
#include "xtorch/data/ecg.h"
#include "xtorch/data/graph.h"
#include "xtorch/data/har.h"
#include "xtorch/data/scaler.h"
#include "xtorch/data/time_series.h"

#include "xtorch/metrics/classification.h"
#include "xtorch/metrics/latency.h"
#include "xtorch/metrics/ranking.h"
#include "xtorch/metrics/regression.h"

#include "xtorch/nn/exportable.h"
#include "xtorch/nn/cnn1d.h"
#include "xtorch/nn/conv_autoencoder.h"
#include "xtorch/nn/gcn.h"
#include "xtorch/nn/lstm_autoencoder.h"
#include "xtorch/nn/lstm_forecaster.h"

#include "xtorch/serialize/manifest.h"
#include "xtorch/serialize/mobile.h"
#include "xtorch/serialize/model_file.h"
#include "xtorch/serialize/onnx.h"
#include "xtorch/serialize/onnx_builder.h"
#include "xtorch/serialize/python.h"
#include "xtorch/serialize/tensor_file.h"
#include "xtorch/serialize/torchscript.h"

#include "xtorch/train/trainer.h"

#include "xtorch/util/atomic_file.h"
#include "xtorch/util/format.h"
#include "xtorch/util/npy.h"
#include "xtorch/util/plot.h"
#include "xtorch/util/process.h"
#include "xtorch/util/progress.h"
#include "xtorch/util/report.h"
#include "xtorch/util/runtime.h"
#include "xtorch/util/sha256.h"
#include "xtorch/util/temp_dir.h"
#include "xtorch/util/text_file.h"

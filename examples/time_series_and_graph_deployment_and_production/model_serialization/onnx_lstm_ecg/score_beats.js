#!/usr/bin/env node
// Deploy to Node.js: score heartbeats with the exported ONNX model.
//
//   NODE_PATH=tools/onnxruntime/node_modules node score_beats.js lstm_autoencoder.onnx test_beats.f32 140
//
// test_beats.f32 holds raw little-endian float32 beats (written by onnx_lstm_ecg),
// each `length` samples, z-normalized. Prints one anomaly score (mean squared
// reconstruction error) per beat. Nothing but onnxruntime-node is needed; the
// same code runs in a browser with onnxruntime-web.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, beatsPath, lengthText] = process.argv.slice(2);
  const length = Number(lengthText);
  const bytes = fs.readFileSync(beatsPath);
  const beats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const count = beats.length / length;

  const session = await ort.InferenceSession.create(modelPath);
  const input = new ort.Tensor('float32', beats, [count, length, 1]);  // [batch, time, features]
  const { reconstruction } = await session.run({ x: input });

  for (let b = 0; b < count; ++b) {
    let score = 0;
    for (let t = 0; t < length; ++t) score += (reconstruction.data[b * length + t] - beats[b * length + t]) ** 2;
    console.log((score / length).toFixed(6));
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });

#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (onnxruntime-node) on .npy inputs.
//
//   node run.js MODEL.onnx --input NAME=FILE.npy [--input ...] --output-dir DIR
//               [--warmup 3] [--repeat 20] [--threads 1]
//
// Writes each model output to DIR/<output name>.npy and prints one JSON line:
//   {"onnxruntime": "<version>", "outputs": {"<name>": {"file": ..., "shape": [...]}},
//    "latency_ms": [per-run milliseconds]}
// Exit code 1 with a message on stderr for a bad model, input or argument.
// .npy: version 1.0/2.0, little-endian float32, float64, int64, int32, uint8 or bool, C order.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const DTYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array], '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) throw new Error(`${file}: malformed .npy header`);
  if (order[1] === 'True') throw new Error(`${file}: Fortran order is not supported`);
  const dtype = DTYPES[descr[1]];
  if (!dtype) throw new Error(`${file}: unsupported dtype ${descr[1]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const bytes = buf.subarray(offset);
  if (bytes.length !== count * dtype[1].BYTES_PER_ELEMENT) {
    throw new Error(`${file}: expected ${count} values of ${descr[1]}, file has ${bytes.length} data bytes`);
  }
  const data = new dtype[1](count);
  Buffer.from(data.buffer).set(bytes);
  return new ort.Tensor(dtype[0] === 'bool' ? 'bool' : dtype[0], data, dims);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(DTYPES).find((k) => DTYPES[k][0] === tensor.type);
  if (!descr) throw new Error(`output type ${tensor.type} cannot be written`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function parseArgs(argv) {
  const args = { inputs: {}, warmup: 3, repeat: 20, threads: 1, outputDir: null, model: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) throw new Error(`--input expects NAME=FILE.npy, got ${v}`);
      args.inputs[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (a === '--output-dir') args.outputDir = value();
    else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--repeat') args.repeat = Number(value());
    else if (a === '--threads') args.threads = Number(value());
    else if (!args.model && !a.startsWith('--')) args.model = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.model) throw new Error('usage: run.js MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR');
  if (!(args.repeat >= 1) || !(args.warmup >= 0) || !(args.threads >= 1)) throw new Error('bad --repeat/--warmup/--threads');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.model)) throw new Error(`${args.model}: file does not exist`);
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads, interOpNumThreads: 1, executionProviders: ['cpu'],
  });
  const feeds = {};
  for (const name of session.inputNames) {
    if (!(name in args.inputs)) throw new Error(`model input '${name}' has no --input (model inputs: ${session.inputNames.join(', ')})`);
    feeds[name] = readNpy(args.inputs[name]);
  }
  for (const name of Object.keys(args.inputs)) {
    if (!session.inputNames.includes(name)) throw new Error(`--input ${name}: the model has no such input (inputs: ${session.inputNames.join(', ')})`);
  }
  for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
  const latency = [];
  let results;
  for (let i = 0; i < args.repeat; ++i) {
    const t0 = process.hrtime.bigint();
    results = await session.run(feeds);
    latency.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const outputs = {};
  if (args.outputDir) fs.mkdirSync(args.outputDir, { recursive: true });
  for (const name of session.outputNames) {
    const entry = { shape: results[name].dims };
    if (args.outputDir) {
      entry.file = path.join(args.outputDir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
      writeNpy(entry.file, results[name]);
    }
    outputs[name] = entry;
  }
  const version = require('onnxruntime-node/package.json').version;
  process.stdout.write(JSON.stringify({ onnxruntime: version, outputs, latency_ms: latency }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`onnxruntime runner: ${e.message}\n`);
  process.exit(1);
});

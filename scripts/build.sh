#!/usr/bin/env bash
# Configures and builds everything (library, examples, tools, tests, bench)
# in ./build with Ninja, ccache and the shared precompiled header.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
start=$(date +%s)
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "build: done in $(( $(date +%s) - start )) s"

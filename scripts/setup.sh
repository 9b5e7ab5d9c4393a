#!/usr/bin/env bash
# Installs what xtorch-examples needs on Debian 12, skipping what is already
# there: compilers, CMake, LibTorch, ONNX, OpenCV, test libraries, OpenBLAS,
# Python's torch/onnx for the cross-checks, Node.js and the pinned npm
# packages (ONNX Runtime). Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git ca-certificates
  libtorch-dev libonnx-dev libopencv-dev
  libgloo-dev                     # headers c10d's ProcessGroupGloo needs (distributed training)
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  libopenblas0-pthread            # fast BLAS for LibTorch (the default reference BLAS is ~5x slower)
  python3 python3-torch python3-onnx python3-numpy
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# Node.js and npm: a nodejs package from another source may already bundle
# npm (and conflict with Debian's npm), so look for the commands, not packages.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime for Node.js, at the versions pinned in package-lock.json.
# ONNXRUNTIME_NODE_INSTALL=skip: the package's install script would try to
# download CUDA binaries; the CPU runtime ships inside the package.
runner=tools/onnxruntime
stamp="$runner/node_modules/.installed-from-package-lock.json"
if ! cmp -s "$runner/package-lock.json" "$stamp"; then
  echo "setup: npm ci in $runner"
  (cd "$runner" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
  cp "$runner/package-lock.json" "$stamp"
fi

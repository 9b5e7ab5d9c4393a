#!/usr/bin/env bash
# Set up, build, and run the whole test suite (GoogleTest via CTest). Tests
# use the real datasets in ../shared/data (or $XT_TEST_DATA_DIR) where present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" -j "${JOBS:-2}" --output-on-failure

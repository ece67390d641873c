#!/bin/sh
# SPDX-License-Identifier: MIT
# make benchmark: run every benchmark suite; JSON lands in bench/results/.
set -eu
cd "$(dirname "$0")/.."
python3 bench/bench_core.py

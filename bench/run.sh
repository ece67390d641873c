#!/bin/sh
# SPDX-License-Identifier: MIT
# make benchmark: every benchmark suite, native vs Ferrovisor in one run; writes
# bench/results/latest.{json,md,png}. Arguments go to bench/ferrobench.py (--help).
set -eu
cd "$(dirname "$0")/.."
exec python3 bench/ferrobench.py "$@"

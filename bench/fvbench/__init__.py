# SPDX-License-Identifier: MIT
"""Ferrovisor benchmark harness (Python 3 stdlib only); entry point bench/ferrobench.py."""

#!/usr/bin/env bash
# Optional, for the benchmark only (not run by CI): the PyTorch side of tests/ResearchKit.Benchmarks' side-by-side table.
set -euo pipefail
# Debian's python3-torch calls whatever
# libblas.so.3 the alternatives system selects; the default netlib reference BLAS is ~100x slower than a tuned one, so
# install OpenBLAS too, in its OpenMP build (torch threads with OpenMP; the pthread build oversubscribes the cores).
# Not fatal: without it the benchmark prints only ResearchKit's figures and says how to install it.
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1 || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing python3-torch and libopenblas0-openmp (PyTorch side of the benchmark; optional)"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y python3-torch libopenblas0-openmp >/dev/null 2>&1 \
      || { $sudo_cmd apt-get update >/dev/null 2>&1 && $sudo_cmd apt-get install -y python3-torch libopenblas0-openmp >/dev/null 2>&1; } \
      || echo "setup: python3-torch not installed (optional: the benchmark then shows only ResearchKit's figures)." >&2
  else
    echo "setup: optional: install PyTorch (e.g. pip install torch) for the benchmark's side-by-side table." >&2
  fi
fi

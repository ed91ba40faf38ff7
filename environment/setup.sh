#!/usr/bin/env bash
# Installs what a fresh machine needs to build and test ResearchKit. Idempotent.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dotnet.microsoft.com/download); install it and re-run." >&2
  exit 1
fi
major=$(dotnet --version | cut -d. -f1)
if [ "$major" -lt 10 ]; then
  echo "setup: .NET SDK $(dotnet --version) found, ResearchKit needs 10 or later." >&2
  exit 1
fi
echo "setup: .NET SDK $(dotnet --version) OK"

# The notebook tests validate executed notebooks against the nbformat 4.5 schema with Python's nbformat.
if ! /usr/bin/python3 -c "import nbformat" >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing python3-nbformat (notebook schema validation in the tests)"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y python3-nbformat >/dev/null || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y python3-nbformat >/dev/null; }
  else
    echo "setup: install Python's nbformat (e.g. pip install nbformat) for the notebook validation tests." >&2
  fi
fi

# Optional: the PyTorch side of the benchmark (tests/ResearchKit.Benchmarks). Debian's python3-torch calls whatever
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

# Figure export (PNG/SVG/PDF): headless Chromium + plotly.js.
"$(dirname "${BASH_SOURCE[0]}")/install-browser.sh"

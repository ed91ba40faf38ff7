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

# Figure export (PNG/SVG/PDF): headless Chromium + plotly.js.
"$(dirname "${BASH_SOURCE[0]}")/install-browser.sh"

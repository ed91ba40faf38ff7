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

# The hand-written x86 kernels (lib/ResearchKit.Tensors/Kernels/Native/*.s): a test checks that the committed bytes are what
# GNU as assembles them to, and environment/assemble-kernels.sh regenerates them.
if ! command -v as >/dev/null 2>&1 || ! command -v objcopy >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing binutils (assembler for the native-kernel check)"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y binutils >/dev/null || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y binutils >/dev/null; }
  else
    echo "setup: install GNU binutils (as, objcopy) for the native-kernel check." >&2
  fi
fi

# Notebooks in Jupyter (JupyterLab, VS Code's Jupyter extension, nbconvert/nbclient in the tests): the .NET
# Interactive tool pinned in .config/dotnet-tools.json registers the .net-csharp kernel.
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if ! /usr/bin/python3 -c "import nbclient, nbconvert, jupyter_client" >/dev/null 2>&1 || ! command -v jupyter-kernelspec >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Jupyter's nbconvert, nbclient and kernelspec tools (Debian packages)"
    pkgs="jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >/dev/null \
      || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >/dev/null; }
  else
    echo "setup: install Jupyter (nbconvert, nbclient, jupyter_client) to run the notebooks in Jupyter and its tests." >&2
  fi
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# rk as a .NET tool: pack lib/ResearchKit.Cli into the repository's local feed (.tools/nupkg, git-ignored); the tool
# manifest pins researchkit.cli next to dotnet-interactive, so the restore below installs both and `dotnet rk ...` works
# anywhere in the repository. The version stays fixed, so NuGet's cached copy of an earlier setup is dropped first
# (else the restore would keep running the old build): re-run this script after changing the CLI or the kit.
rk_version=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tools"]["researchkit.cli"]["version"])' "$repo/.config/dotnet-tools.json")
echo "setup: packing rk $rk_version into .tools/nupkg (builds lib/ResearchKit.Cli)"
# -c Debug (pack defaults to Release): the notebooks #r the kit from lib/ResearchKit/bin/Debug, which this build fills,
# so `dotnet rk nb run` works right after setup (the kit's libraries are optimized in Debug too).
(cd "$repo" && dotnet pack lib/ResearchKit.Cli -c Debug --nologo -v quiet -p:Version="$rk_version" -o .tools/nupkg >/dev/null)
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/researchkit.cli/$rk_version"
(cd "$repo" && dotnet tool restore --add-source .tools/nupkg >/dev/null)
echo "setup: rk $(cd "$repo" && dotnet rk --version | cut -d+ -f1) OK (local tool: dotnet rk)"
echo "setup: dotnet-interactive $(cd "$repo" && dotnet tool run dotnet-interactive --version | cut -d+ -f1) OK (local tool)"
if command -v jupyter-kernelspec >/dev/null 2>&1; then
  (cd "$repo" && dotnet tool run dotnet-interactive jupyter install >/dev/null)
  # The kernel spec starts `dotnet interactive` in the notebook's folder (found through this repository's tool
  # manifest). Its --http-port-range only serves Polyglot's JavaScript bridge, which the kit does not use: drop it,
  # so a kernel listens on no network port.
  spec="$(jupyter-kernelspec list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"][".net-csharp"]["resource_dir"])')/kernel.json"
  /usr/bin/python3 - "$spec" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
argv = spec["argv"]
if "--http-port-range" in argv:
    i = argv.index("--http-port-range")
    del argv[i:i + 2]
json.dump(spec, open(path, "w"), indent=2)
PY
  echo "setup: Jupyter kernel .net-csharp registered ($spec)"
fi

# Figure export (PNG/SVG/PDF): headless Chromium + plotly.js.
"$(dirname "${BASH_SOURCE[0]}")/install-browser.sh"

#!/usr/bin/env bash
# Installs what figure export needs, idempotently: Debian's Chromium (driven by Playwright through its
# executablePath, so no browser download), plotly.js and KaTeX (math in HTML reports) from npm, pinned in environment/package.json and
# package-lock.json, into environment/node_modules (git-ignored). Offline after this: exports use no network.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plotly="$here/node_modules/plotly.js-dist-min/plotly.min.js"
katex="$here/node_modules/katex/dist/katex.min.js"

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

chromium="${RESEARCHKIT_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  echo "install-browser: Chromium OK ($("$chromium" --version 2>/dev/null | head -n1))"
elif [ -n "${RESEARCHKIT_CHROMIUM:-}" ]; then
  echo "install-browser: RESEARCHKIT_CHROMIUM=$RESEARCHKIT_CHROMIUM is not an executable; fix or unset it." >&2
  exit 1
elif command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: installing Debian's chromium (apt-get)"
  sudo_if_needed apt-get update
  # fonts-liberation2 gives the Paper theme's Times New Roman a metric-compatible serif (Liberation Serif).
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation2
else
  echo "install-browser: no Chromium at $chromium and no apt-get; install Chromium and set RESEARCHKIT_CHROMIUM." >&2
  exit 1
fi

if command -v fc-list >/dev/null 2>&1 && ! fc-list : family | grep -qi "liberation serif"; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: installing fonts-liberation2 (serif font for paper figures)"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-liberation2 \
      || echo "install-browser: fonts-liberation2 not installed; paper figures fall back to another serif font." >&2
  fi
fi

# Every package pinned in package.json (plotly.js for figures, KaTeX for the math of HTML reports) must be
# installed at its pinned version; otherwise `npm ci` installs them all from package-lock.json.
missing=""
for pkg in plotly.js-dist-min katex; do
  pinned="$(sed -n "s/.*\"$pkg\": *\"\([^\"]*\)\".*/\1/p" "$here/package.json")"
  installed=""
  if [ -f "$here/node_modules/$pkg/package.json" ]; then
    installed="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$here/node_modules/$pkg/package.json" | head -n1)"
  fi
  if [ "$installed" = "$pinned" ]; then echo "install-browser: $pkg $installed OK"; else missing="$missing $pkg@$pinned"; fi
done
if [ -n "$missing" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-browser: npm is required to install$missing (apt-get install npm), or set RESEARCHKIT_PLOTLY_JS." >&2
    exit 1
  fi
  echo "install-browser: installing$missing (npm ci, from package-lock.json)"
  npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
fi
[ -f "$plotly" ] || { echo "install-browser: npm finished but $plotly is missing." >&2; exit 1; }
[ -f "$katex" ] || { echo "install-browser: npm finished but $katex is missing." >&2; exit 1; }

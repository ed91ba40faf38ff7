#!/usr/bin/env bash
# Packs what a bare GPU machine (no .NET, no internet) needs to run environment/device-check.sh: the .NET runtime of
# this machine, the Release builds of the benchmarks and of the GPU tests (linux-x64 natives only), and xUnit's console
# runner (which needs only the runtime, where `dotnet test` needs the SDK). Output: .device/ (git-ignored), < 32 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
rm -rf .device && mkdir -p .device/stage
dotnet build -c Release tests/ResearchKit.Benchmarks -v q -nologo
dotnet build -c Release tests/ResearchKit.Gpu.Tests -v q -nologo
for p in ResearchKit.Benchmarks ResearchKit.Gpu.Tests; do
  src=tests/$p/bin/Release/net10.0 dst=.device/stage/$p
  mkdir -p "$dst/runtimes"
  (cd "$src" && find . -maxdepth 1 -type f ! -name '*.pdb' ! -name '*.xml' -exec cp {} "$OLDPWD/$dst/" \;)
  [ -d "$src/torch" ] && cp -r "$src/torch" "$dst/"
  [ -d "$src/runtimes/linux-x64" ] && cp -r "$src/runtimes/linux-x64" "$dst/runtimes/"
done
# xunit.runner.console 2.4.1's .NET Core runner (restored into the NuGet cache by a throw-away project).
runner=$HOME/.nuget/packages/xunit.runner.console/2.4.1/tools/netcoreapp2.0
if [ ! -d "$runner" ]; then
  tmp=$(mktemp -d)
  printf '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup><ItemGroup><PackageDownload Include="xunit.runner.console" Version="[2.4.1]" /></ItemGroup></Project>' > "$tmp/r.csproj"
  dotnet restore "$tmp/r.csproj" -v q >/dev/null
  rm -rf "$tmp"
fi
cp -r "$runner" .device/stage/xunit-console
root=$(dirname "$(readlink -f "$(command -v dotnet)")")
(cd "$root" && tar cf - dotnet host shared/Microsoft.NETCore.App) | xz -T0 -6 > .device/dotnet-runtime.tar.xz
tar cf - -C .device/stage . | xz -T0 -6 > .device/builds.tar.xz
rm -rf .device/stage
du -ch .device/* | tail -1

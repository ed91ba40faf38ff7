#!/usr/bin/env bash
# Runs on a lent GPU machine (bare: no .NET, no internet), from the repository root, after environment/device-bundle.sh
# packed .device/ here. One prepared pass, each part under its own time limit, logs into $1 (default $OUT):
#   1. gpu-side-by-side: the tensor API on the first CUDA device against PyTorch CUDA on the same GPU;
#   2. the GPU test project on every CUDA device (RESEARCHKIT_GPU_TEST_DEVICES=cuda: CI runs the CPU-accelerator cases);
#   3. gpu-recipes: each recipe that runs on devices, smoke preset, on the CPU and on CUDA (final metrics side by side);
#   4. gpu-paper-costs: one measured training step of each device recipe's paper preset, times its steps;
#   5. the CPU side-by-side at 16 threads, ours against PyTorch on the same cores (RK_SKIP_CPU=1 leaves it out).
set -uo pipefail
out=${1:-${OUT:?give an output folder}}
rk=/tmp/rk
mkdir -p "$out" "$rk/dotnet"
tar xJf .device/dotnet-runtime.tar.xz -C "$rk/dotnet" && tar xJf .device/builds.tar.xz -C "$rk" || { echo "device-check: unpack failed: run environment/device-bundle.sh first and carry .device"; exit 2; }
export DOTNET_ROOT=$rk/dotnet PATH=$rk/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_NOLOGO=1
{ date -u; nproc; lscpu 2>/dev/null | grep -m1 'Model name'; nvidia-smi -L; python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0))'; } 2>&1 | tee "$out/machine.txt"
bench=$rk/ResearchKit.Benchmarks/ResearchKit.Benchmarks.dll
echo "== 1. gpu-side-by-side"; t0=$SECONDS
timeout "${RK_T_GPU:-200}" dotnet "$bench" gpu-side-by-side --steps 20 --warmup 3 2>&1 | tee "$out/gpu-side-by-side.txt"
echo "   ($((SECONDS - t0)) s)"
echo "== 2. GPU tests on CUDA"; t0=$SECONDS
RESEARCHKIT_GPU_TEST_DEVICES=cuda DOTNET_ROLL_FORWARD=Major timeout "${RK_T_TESTS:-150}" dotnet "$rk/xunit-console/xunit.console.dll" \
  "$rk/ResearchKit.Gpu.Tests/ResearchKit.Gpu.Tests.dll" -parallel none -nocolor -verbose -xml "$out/gpu-tests.xml" > "$out/gpu-tests.txt" 2>&1
grep -E "\[FAIL\]|Total:" "$out/gpu-tests.txt"; echo "   ($((SECONDS - t0)) s)"
echo "== 3. recipes on the CPU and on CUDA (smoke)"; t0=$SECONDS
timeout "${RK_T_RECIPES:-240}" dotnet "$bench" gpu-recipes --preset smoke 2>&1 | tee "$out/gpu-recipes.txt"
echo "   ($((SECONDS - t0)) s)"
echo "== 4. paper presets on this GPU (estimates)"; t0=$SECONDS
timeout "${RK_T_PAPER:-180}" dotnet "$bench" gpu-paper-costs 2>&1 | tee "$out/gpu-paper-costs.txt"
echo "   ($((SECONDS - t0)) s)"
[ -n "${RK_SKIP_CPU:-}" ] && exit 0
echo "== 5. CPU side-by-side, 16 threads"; t0=$SECONDS
timeout "${RK_T_CPU:-120}" dotnet "$bench" side-by-side --threads "${RK_CPU_THREADS:-16}" --steps 10 --warmup 3 ${RK_CPU_ONLY:+--only $RK_CPU_ONLY} 2>&1 | tee "$out/cpu-side-by-side.txt"
echo "   ($((SECONDS - t0)) s)"

#!/usr/bin/env bash
# The GPU path measured in one go, on a machine with a GPU (run from the repository root):
#   bash benches/gpu_check.sh [OUT_DIR]
# Builds, runs the wgpu agreement test, times training on wgpu against the CPU backend in the
# same run (`bench`), and times a headless run at the app's defaults on each device. Everything
# it prints is also written to OUT_DIR/gpu_check.log (default: $OUT, else ./gpu-check).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-gpu-check}}"
mkdir -p "$out"
log="$out/gpu_check.log"
exec > >(tee "$log") 2>&1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/contrastive-lab/target}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
bin="$CARGO_TARGET_DIR/release/contrastive-lab"

echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverName" | head -4

echo "## build"
start=$(date +%s)
cargo build --release 2>&1 | tail -1
echo "build_s=$(($(date +%s) - start))"

echo "## wgpu agreement test (flex vs wgpu on the same batches)"
cargo test --release --test wgpu -- --nocapture 2>&1 | grep -E "wgpu device|test result|panicked|FAILED"

echo "## bench: every method on wgpu, then on the CPU (steps/s; first wgpu steps compile kernels)"
"$bin" bench --device wgpu --steps 300 --no-torch
"$bin" bench --device cpu --steps 300 --no-torch

echo "## headless runs at the app's defaults (SimCLR on blobs), 2000 steps"
for dev in wgpu cpu; do
  start=$(date +%s.%N)
  "$bin" run --device "$dev" --steps 2000 --out "$out/run-$dev" > "$out/run-$dev.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  awk -v d="$dev" -v rc="$rc" -v s="$start" -v e="$end" \
    'BEGIN { printf "run device=%s rc=%s steps=2000 wall_s=%.1f steps_per_s=%.1f\n", d, rc, e - s, 2000 / (e - s) }'
done
echo "## done"

#!/usr/bin/env bash
# The one prepared run on a lent real GPU (BENCHMARKS.md, "On a real GPU"): every figure the
# GPU runtime issue asks for, written under $OUT (or ./real-gpu-out), in one go.
#
# Build here first (same x86-64), then carry the binary and the Vulkan loader:
#   cargo build --release --locked            # target/release/gpusci
#   mkdir -p .gpubin && cp target/release/gpusci .gpubin/   (.gpubin ignored by git)
#   loaders: see the device tool's README (.gl/*.deb unpacked with dpkg -x, then ldconfig)
# and run, with .gpubin and .gl carried:
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash bench/gpu/real_gpu.sh
#
# What it writes:
#   info.txt         gpusci info (the adapters and their limits)
#   bench.json       gpusci bench --backend gpu --json --resident (every standard workload, with
#                    each GPU row's transfer counters, and the resident chain R1)
#   fft.json         the 2^24-point FFT row
#   calibrate.json   gpusci bench --calibrate --json (auto's crossovers, measured) and the file
#   cold_start.txt   the first call of fresh processes: a small blur, pipeline cache cold then warm
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-./real-gpu-out}"
mkdir -p "$out"
bin="${GPUSCI_BIN:-}"
for candidate in "$bin" .gpubin/gpusci target/release/gpusci; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
done
[ -x "$bin" ] || { echo "no gpusci binary (build it and carry .gpubin)"; exit 1; }
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CACHE_HOME="$out/cache"
# The hardware adapter only (auto's choice), so no software adapter's rows slow the run.
export GPUSCI_ADAPTER="${GPUSCI_ADAPTER:-vulkan}"

# REAL_GPU_QUICK=1: small sizes, to try the script on a software adapter before a lent run.
quick=()
[ "${REAL_GPU_QUICK:-0}" = 1 ] && quick=(--quick)
run() { echo "== $*"; timeout 560 "$@"; echo "== rc $?"; }
{ nvidia-smi -L 2>&1 || true; run "$bin" info; } > "$out/info.txt" 2>&1

# Cold start: a fresh process's first call, the pipeline cache empty, then filled.
python3 - "$out/small.npy" <<'PY'
import sys, struct
n = 64
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, n)
header += " " * (63 - len(header) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (n * n), *[float(i % 7) for i in range(n * n)]))
PY
{
    rm -rf "$XDG_CACHE_HOME/gpusci"
    for label in cold warm warm; do
        start=$(date +%s.%N)
        "$bin" blur "$out/small.npy" "$out/small_out.npy" --sigma 2 --backend gpu >/dev/null 2>&1
        end=$(date +%s.%N)
        echo "$label pipeline cache: $(python3 -c "print(f'{$end - $start:.3f}')") s"
    done
} > "$out/cold_start.txt" 2>&1

run "$bin" bench --backend gpu --json --resident "${quick[@]}" > "$out/bench.json" 2> "$out/bench.err"
run "$bin" bench --backend gpu --json --fft "${quick[@]}" > "$out/fft.json" 2> "$out/fft.err"
run "$bin" bench --calibrate --json "${quick[@]}" > "$out/calibrate.json" 2> "$out/calibrate.err"
ls -la "$out"

#!/usr/bin/env bash
# The worker's inference benchmark on a GPU machine, on the CPU and on CUDA in one run, so the figures compare.
# Runs from the repo root of a checkout that carries .devcarry/gpu-bundle.tar.xz (bundle.sh) when the machine has
# no node_modules of its own; writes one JSON per run into $OUT (default bench/results/gpu).
set -euo pipefail
OUT=${OUT:-bench/results/gpu}
mkdir -p "$OUT"
if [ -f .devcarry/gpu-bundle.tar.xz ] && [ ! -d node_modules/node-llama-cpp ]; then
    python3 -c 'import tarfile; tarfile.open(".devcarry/gpu-bundle.tar.xz").extractall(".")'
    export PATH="$PWD/bin:$PATH"
fi
# node-llama-cpp's CUDA build links libcudart.so.13 and libcublas.so.13: take them from the machine's CUDA.
for lib in libcudart.so.13 libcublas.so.13; do
    found=$(find /usr/local/cuda*/ /usr/lib /opt -name "$lib" 2>/dev/null | head -1 || true)
    [ -n "$found" ] && export LD_LIBRARY_PATH="$(dirname "$found"):${LD_LIBRARY_PATH:-}"
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
node --version
bench() { node node_modules/.bin/ts-node --transpile-only worker/bench/enclaveOverhead.ts "$@"; }
big=/tmp/cocoon-bench-0.6b.gguf
# The committed tiny model, then a ~0.6 B-parameter random model where the GPU has work to do.
bench --gpu cuda --requests ${REQUESTS:-50} --out "$OUT/tiny-cuda.json" >"$OUT/tiny-cuda.log" 2>&1 || tail -40 "$OUT/tiny-cuda.log"
bench --gpu cpu --threads ${THREADS:-8} --requests ${REQUESTS:-50} --out "$OUT/tiny-cpu.json" >"$OUT/tiny-cpu.log" 2>&1 || tail -20 "$OUT/tiny-cpu.log"
node node_modules/.bin/ts-node --transpile-only worker/inference/generateTinyModel.ts --out "$big" \
    --embedding 2048 --blocks 12 --ff 5632 --heads 16
bench --model "$big" --gpu cuda --requests ${BIG_REQUESTS:-30} --max-tokens 128 --out "$OUT/0.6b-cuda.json" >"$OUT/0.6b-cuda.log" 2>&1 || tail -40 "$OUT/0.6b-cuda.log"
[ -n "${BIG_CPU:-}" ] && { bench --model "$big" --gpu cpu --threads ${THREADS:-8} --requests 3 --max-tokens 32 --out "$OUT/0.6b-cpu.json" >"$OUT/0.6b-cpu.log" 2>&1 || tail -20 "$OUT/0.6b-cpu.log"; }
for f in "$OUT"/*.json; do
    node -e 'const r=require(require("path").resolve(process.argv[1])); console.log(process.argv[1], r.settings.gpu, r.gpuDevices, "tok/s", r.tokensPerSecond, "enclave ms", r.enclaveWorkMsPerRequest)' "$f"
done

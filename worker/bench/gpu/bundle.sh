#!/usr/bin/env bash
# Packs what an offline GPU machine needs to run the worker's inference benchmark on CUDA: the node binary, the
# runtime packages of the benchmark (worker/bench/enclaveOverhead.ts and what it imports, node-llama-cpp and its
# dependencies) and node-llama-cpp's CUDA backend pruned to one GPU generation (pruneFatbin.ts). Output:
# .devcarry/gpu-bundle.tar.xz (~56 MB; .devcarry/ is git-ignored). worker/bench/gpu/run.sh unpacks and runs it.
# Run from the repo root after `npm ci`. A GPU machine with internet needs none of this: `npm ci` there.
set -euo pipefail
KEEP=${KEEP:-ptx:90}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Runtime closure from the lockfile, resolved the way node resolves nested node_modules.
node -e '
const lock = require("./package-lock.json").packages;
const roots = ["node-llama-cpp", "ts-node", "typescript", "tslib", "@ton/core", "@ton/crypto", "@hpke/core",
  "@hpke/chacha20poly1305", "@hpke/dhkem-x25519", "@peculiar/x509", "reflect-metadata", "zod", "@noble/curves",
  "@noble/hashes", "@noble/ciphers", "@phala/dcap-qvl"];
const seen = new Set();
function visit(name, from) {
  for (let dir = from; ; ) {
    const k = (dir ? dir + "/" : "") + "node_modules/" + name;
    if (lock[k]) {
      if (seen.has(k)) return;
      seen.add(k);
      const p = lock[k];
      for (const d of Object.keys({ ...(p.dependencies || {}), ...(p.optionalDependencies || {}) })) visit(d, k);
      return;
    }
    if (!dir) return;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
}
for (const r of roots) visit(r, "");
const fs = require("fs");
for (const k of seen) if (!k.includes("@node-llama-cpp/") && fs.existsSync(k)) console.log(k);
' >"$stage/paths"

tar -cf "$stage/bundle.tar" \
    --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
    --exclude='node_modules/node-llama-cpp/llama/llama.cpp' \
    -T "$stage/paths" node_modules/@node-llama-cpp/linux-x64 node_modules/.bin/ts-node

cuda="$stage/node_modules/@node-llama-cpp/linux-x64-cuda"
mkdir -p "$(dirname "$cuda")"
cp -r node_modules/@node-llama-cpp/linux-x64-cuda "$cuda"
# PRUNED_SO: reuse an earlier pruneFatbin.ts output (the PTX recompression takes a few minutes).
if [ -n "${PRUNED_SO:-}" ]; then
    cp "$PRUNED_SO" "$cuda/bins/linux-x64-cuda/libggml-cuda.so"
else
    npx ts-node --transpile-only worker/bench/gpu/pruneFatbin.ts \
        node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so \
        "$cuda/bins/linux-x64-cuda/libggml-cuda.so" --keep "$KEEP" --ptx-version "${PTX_VERSION:-9.0}"
fi
tar -rf "$stage/bundle.tar" -C "$stage" node_modules/@node-llama-cpp/linux-x64-cuda
mkdir -p "$stage/bin"
cp "$(command -v node)" "$stage/bin/node"
tar -rf "$stage/bundle.tar" -C "$stage" bin/node

mkdir -p .devcarry
xz -9 -T0 -c "$stage/bundle.tar" >.devcarry/gpu-bundle.tar.xz
ls -l .devcarry/gpu-bundle.tar.xz

/**
 * CLI: writes the tiny test model (`npm run model:tiny`). Usage:
 *   ts-node worker/inference/generateTinyModel.ts [--out models/tiny.gguf] [--seed cocoon-tiny-v1]
 *       [--embedding 64] [--blocks 2] [--ff 128] [--heads 4]
 * Prints the path and the sha256 that the model allowlist and orders name. The size flags make a larger random
 * model for GPU benchmarks (e.g. --embedding 2048 --blocks 12 --ff 5632 --heads 16: ~0.6 B parameters, 2.5 GB of f32; a GGUF file must stay under 4 GB here).
 */
import { createHash } from 'crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'fs';
import { dirname, resolve } from 'path';
import { buildTinyModel, TINY_MODEL_DEFAULTS } from './tinyModel';

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(name);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const out = resolve(arg('--out', 'models/tiny.gguf'));
const seed = arg('--seed', TINY_MODEL_DEFAULTS.seed);
const size = (flag: string, fallback: number): number => {
    const n = Number(arg(flag, String(fallback)));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer`);
    return n;
};
const headCount = size('--heads', TINY_MODEL_DEFAULTS.headCount);
const bytes = buildTinyModel({
    seed,
    embeddingLength: size('--embedding', TINY_MODEL_DEFAULTS.embeddingLength),
    blockCount: size('--blocks', TINY_MODEL_DEFAULTS.blockCount),
    feedForwardLength: size('--ff', TINY_MODEL_DEFAULTS.feedForwardLength),
    headCount,
    headCountKv: headCount,
});
mkdirSync(dirname(out), { recursive: true });
// In pieces: one write(2) takes at most 2 GiB, and the larger benchmark models pass that.
const fd = openSync(out, 'w');
for (let at = 0; at < bytes.length; at += 1 << 30) writeSync(fd, bytes, at, Math.min(1 << 30, bytes.length - at));
closeSync(fd);
const hash = createHash('sha256');
for (let at = 0; at < bytes.length; at += 1 << 30) hash.update(bytes.subarray(at, at + (1 << 30)));
const sha = hash.digest('hex');
console.log(JSON.stringify({ path: out, bytes: bytes.length, sha256: sha, seed }));

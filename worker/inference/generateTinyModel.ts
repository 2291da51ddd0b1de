/**
 * CLI: writes the tiny test model (`npm run model:tiny`). Usage:
 *   ts-node worker/inference/generateTinyModel.ts [--out models/tiny.gguf] [--seed cocoon-tiny-v1]
 *       [--embedding 64] [--blocks 2] [--ff 128] [--heads 4]
 * Prints the path and the sha256 that the model allowlist and orders name. The size flags make a larger random
 * model for GPU benchmarks (e.g. --embedding 2048 --blocks 12 --ff 5632 --heads 16: ~0.6 B parameters, 2.5 GB of f32; a GGUF file must stay under 4 GB here).
 */
import { createHash } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
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
writeFileSync(out, bytes);
const sha = createHash('sha256').update(bytes).digest('hex');
console.log(JSON.stringify({ path: out, bytes: bytes.length, sha256: sha, seed }));

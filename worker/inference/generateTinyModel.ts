/**
 * CLI: writes the tiny test model (`npm run model:tiny`). Usage:
 *   ts-node worker/inference/generateTinyModel.ts [--out models/tiny.gguf] [--seed cocoon-tiny-v1]
 * Prints the path and the sha256 that the model allowlist and orders name.
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
const bytes = buildTinyModel({ seed });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
const sha = createHash('sha256').update(bytes).digest('hex');
console.log(JSON.stringify({ path: out, bytes: bytes.length, sha256: sha, seed }));

import { createHash } from 'crypto';
import { readFileSync, writeFileSync } from 'fs';
import { GgufValidationError, validateGguf } from '../../worker/inference/ggufValidate';
import { buildTinyModel, tinyVocab } from '../../worker/inference/tinyModel';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { writeTinyModel } from './helpers';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('tiny GGUF model', () => {
    test('deterministic bytes for a seed, different for another seed', () => {
        const a = buildTinyModel();
        expect(sha(buildTinyModel())).toBe(sha(a));
        // Pinned: a change here changes the model hash every test and the demo allowlist use.
        expect(sha(a)).toBe('33fba19c2ee51c724110883f5858f458be02d20504648eace6320f51acd11628');
        expect(sha(buildTinyModel({ seed: 'other' }))).not.toBe(sha(a));
        expect(a.length).toBeLessThan(1_000_000);
    });

    test('the generated file validates with the expected shape', () => {
        const path = writeTinyModel();
        const info = validateGguf(path);
        expect(info.version).toBe(3);
        expect(info.architecture).toBe('llama');
        expect(info.vocabSize).toBe(tinyVocab().tokens.length);
        expect(info.tensors.map((t) => t.name)).toContain('blk.1.ffn_down.weight');
        expect(info.metadata.get('tokenizer.chat_template')).toMatch(/im_start/);
    });

    const broken: [string, () => Buffer, RegExp][] = [
        [
            'missing head_count',
            () => buildTinyModel({ omitKeys: ['llama.attention.head_count'] }),
            /head_count missing/,
        ],
        [
            'missing feed_forward_length',
            () => buildTinyModel({ omitKeys: ['llama.feed_forward_length'] }),
            /feed_forward_length/,
        ],
        ['odd head size', () => buildTinyModel({ embeddingLength: 60 }), /head size 15 must be even/],
        ['missing tokens', () => buildTinyModel({ omitKeys: ['tokenizer.ggml.tokens'] }), /tokens missing/],
        ['bad magic', () => Buffer.concat([Buffer.from('GGML'), buildTinyModel().subarray(4)]), /bad magic/],
        ['truncated data', () => buildTinyModel().subarray(0, 400_000), /past the end/],
        ['truncated header', () => buildTinyModel().subarray(0, 2000), /truncated/],
    ];
    test.each(broken)('rejects %s without loading it', async (_name, make, reason) => {
        const path = writeTinyModel();
        writeFileSync(path, make());
        expect(() => validateGguf(path)).toThrow(GgufValidationError);
        expect(() => validateGguf(path)).toThrow(reason);
        // The engine validates before spawning llama.cpp: it rejects synchronously-fast, nothing is loaded.
        const t = Date.now();
        await expect(LlamaEngine.load({ modelPath: path })).rejects.toThrow(GgufValidationError);
        expect(Date.now() - t).toBeLessThan(500);
    });

    test('wrong tensor shape is reported by name', () => {
        const path = writeTinyModel();
        const b = readFileSync(path);
        // Patch blk.0.attn_q.weight's second dim in the tensor table: find its name, then skip to dims.
        const name = Buffer.from('blk.0.attn_q.weight');
        const at = b.indexOf(name) + name.length + 4 + 8; // n_dims u32, dim0 u64, then dim1
        b.writeBigUInt64LE(32n, at);
        writeFileSync(path, b);
        expect(() => validateGguf(path)).toThrow(/blk.0.attn_q.weight has shape \[64, 32\], expected \[64, 64\]/);
    });
});

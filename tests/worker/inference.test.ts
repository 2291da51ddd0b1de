import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { LlamaEngine, ModelHashMismatchError, defaultThreads } from '../../worker/inference/llamaEngine';
import { writeTinyModel } from './helpers';

// Real llama.cpp inference on the generated tiny model: load once for the whole file.
let engine: LlamaEngine;
let path: string;
const progress: number[] = [];

beforeAll(async () => {
    path = writeTinyModel();
    const expectedSha256 = createHash('sha256').update(readFileSync(path)).digest();
    engine = await LlamaEngine.load({
        modelPath: path,
        expectedSha256,
        gpu: false,
        threads: 1,
        onLoadProgress: (f) => progress.push(f),
    });
});
afterAll(async () => {
    await engine?.close();
});

const chat = {
    messages: [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'hello world, what is the price?' },
    ],
};

describe('LlamaEngine with the tiny model', () => {
    test('loads with progress, reports the file hash and settings', () => {
        expect(progress.length).toBeGreaterThan(0);
        expect(progress[progress.length - 1]).toBe(1);
        expect(engine.modelHash).toEqual(createHash('sha256').update(readFileSync(path)).digest());
        expect(engine.info).toMatchObject({ gpu: false, threads: 1, architecture: 'llama', chatWrapper: 'ChatML' });
        expect(defaultThreads(2)).toBe(1);
        expect(defaultThreads(16)).toBe(15);
    });

    test('temperature 0 is deterministic with exact, consistent token counts', async () => {
        const tokens: string[] = [];
        const a = await engine.generate({ ...chat, maxTokens: 40 }, (t) => tokens.push(t));
        const b = await engine.generate({ ...chat, maxTokens: 40 });
        expect(b).toEqual(a);
        expect(a.tokensOut).toBe(40);
        expect(a.finishReason).toBe('length');
        expect(tokens.join('')).toBe(a.text);
        expect(a.text.length).toBeGreaterThan(0);
        // The count is the prompt as the model evaluates it, without BOS, and does not depend on cache history.
        expect(await engine.countInputTokens(chat)).toBe(a.tokensIn);
        expect(a.tokensIn).toBeGreaterThan(10);
    });

    test('maxTokens is respected; a raw prompt works and BOS is not billed', async () => {
        for (const maxTokens of [1, 7, 25]) {
            const r = await engine.generate({ prompt: 'hello', maxTokens });
            expect(r.tokensOut).toBe(maxTokens);
            expect(r.tokensIn).toBe(1); // "hello" is one piece of the tiny vocab
        }
    });

    test('sampling with a seed is reproducible', async () => {
        const r1 = await engine.generate({
            prompt: 'the quick brown fox',
            maxTokens: 20,
            temperature: 0.9,
            topP: 0.9,
            seed: 42,
        });
        const r2 = await engine.generate({
            prompt: 'the quick brown fox',
            maxTokens: 20,
            temperature: 0.9,
            topP: 0.9,
            seed: 42,
        });
        expect(r2.text).toBe(r1.text);
    });

    test('prompt + maxTokens beyond the context is refused without generating', async () => {
        await expect(engine.generate({ prompt: 'hello', maxTokens: 100_000 })).rejects.toThrow(/exceeds the context/);
    });

    test('a file that does not hash to the expected model is refused', async () => {
        await expect(LlamaEngine.load({ modelPath: path, expectedSha256: Buffer.alloc(32) })).rejects.toThrow(
            ModelHashMismatchError,
        );
    });
});

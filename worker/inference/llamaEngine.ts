import { ChildProcess, fork } from 'child_process';
import { createHash } from 'crypto';
import { createReadStream, existsSync } from 'fs';
import { availableParallelism } from 'os';
import { join } from 'path';
import type { GenerationRequest, GenerationResult, InferenceEngine } from './engine';
import type { ChildMessage, GpuSetting, LoadedInfo, LoadSettings, ParentMessage } from './engineProtocol';
import { GgufInfo, validateGguf } from './ggufValidate';

/**
 * node-llama-cpp 3.21.1 inference engine. The model file is untrusted (the provider's host supplies it), so:
 * its GGUF header is validated first (llama.cpp aborts on some malformed files), its sha256 must equal the
 * expected on-chain model hash, and llama.cpp runs in a child process (llamaRuntime.ts) whose crash cannot take
 * the enclave down.
 */

export interface LlamaEngineOptions {
    modelPath: string;
    /** sha256 the file must hash to (hex or bytes): the model id the order names. Omit only for local tools. */
    expectedSha256?: Buffer | string;
    /** false = CPU. 'auto' lets node-llama-cpp pick CUDA/Vulkan. Default: 'auto' only if an NVIDIA driver is present. */
    gpu?: GpuSetting;
    /** CPU threads; always set explicitly because node-llama-cpp's default is very slow on small machines. */
    threads?: number;
    /** Context window in tokens (prompt + maxTokens must fit); capped at the model's training context. */
    contextSize?: number;
    /**
     * mmap keeps reading the file after load, so a host that rewrites the file later would change the weights
     * under a hash already checked. Off by default: weights are read into memory once and the file is re-hashed
     * after loading.
     */
    useMmap?: boolean;
    onLoadProgress?: (fraction: number) => void;
}

export interface LlamaEngineInfo extends LoadedInfo {
    path: string;
    sizeBytes: number;
    architecture: string;
    vocabSize: number;
    threads: number;
}

export class ModelHashMismatchError extends Error {
    constructor(
        readonly expected: string,
        readonly actual: string,
    ) {
        super(`model file hashes to ${actual}, expected ${expected}`);
        this.name = 'ModelHashMismatchError';
    }
}

export class InferenceProcessError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'InferenceProcessError';
    }
}

/** 1 thread on machines with two cores or fewer (measured 2,000+ tokens/s vs 3-4 with the default), else cores-1. */
export function defaultThreads(cores = availableParallelism()): number {
    return cores <= 2 ? 1 : Math.min(cores - 1, 32);
}

export function nvidiaDriverPresent(): boolean {
    return existsSync('/proc/driver/nvidia/version');
}

export function sha256File(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const h = createHash('sha256');
        createReadStream(path, { highWaterMark: 1 << 22 })
            .on('data', (chunk) => h.update(chunk))
            .on('error', reject)
            .on('end', () => resolve(h.digest()));
    });
}

function runtimeEntry(): { file: string; execArgv: string[] } {
    const js = join(__dirname, 'llamaRuntime.js');
    if (existsSync(js)) return { file: js, execArgv: [] };
    // Running from sources (ts-node, jest): the child compiles its single file without type-checking.
    return {
        file: join(__dirname, 'llamaRuntime.ts'),
        execArgv: ['-r', require.resolve('ts-node/register/transpile-only')],
    };
}

interface Pending {
    onToken?: (text: string) => void;
    resolve: (v: any) => void;
    reject: (e: Error) => void;
}

export class LlamaEngine implements InferenceEngine {
    private nextId = 1;
    private pending = new Map<number, Pending>();
    private exited: Error | null = null;

    private constructor(
        private readonly child: ChildProcess,
        readonly modelHash: Buffer,
        readonly info: LlamaEngineInfo,
    ) {
        child.on('message', (m: ChildMessage) => this.onMessage(m));
        child.on('exit', (code, signal) => this.onExit(code, signal));
    }

    /** Validates, hashes and loads a GGUF model. Rejects without ever handing a malformed file to llama.cpp. */
    static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
        const gguf: GgufInfo = validateGguf(options.modelPath);
        const expected =
            options.expectedSha256 === undefined
                ? undefined
                : Buffer.isBuffer(options.expectedSha256)
                  ? options.expectedSha256.toString('hex')
                  : options.expectedSha256.toLowerCase();
        const checkHash = async (): Promise<Buffer> => {
            const h = await sha256File(options.modelPath);
            if (expected !== undefined && h.toString('hex') !== expected) {
                throw new ModelHashMismatchError(expected, h.toString('hex'));
            }
            return h;
        };
        const hash = await checkHash();
        const settings: LoadSettings = {
            modelPath: options.modelPath,
            gpu: options.gpu ?? (nvidiaDriverPresent() ? 'auto' : false),
            threads: options.threads ?? defaultThreads(),
            contextSize: options.contextSize ?? 2048,
            useMmap: options.useMmap ?? false,
        };
        const entry = runtimeEntry();
        const child = fork(entry.file, [], {
            execArgv: entry.execArgv,
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        let loadedInfo: LoadedInfo;
        try {
            loadedInfo = await new Promise<LoadedInfo>((resolve, reject) => {
                const onMessage = (m: ChildMessage) => {
                    if (m.type === 'progress') options.onLoadProgress?.(m.fraction);
                    else if (m.type === 'loaded') done(() => resolve(m.info));
                    else if (m.type === 'loadError') done(() => reject(new InferenceProcessError(m.message)));
                };
                const onExit = (code: number | null, signal: string | null) =>
                    done(() =>
                        reject(new InferenceProcessError(`inference process exited while loading (${signal ?? code})`)),
                    );
                const done = (f: () => void) => {
                    child.off('message', onMessage);
                    child.off('exit', onExit);
                    f();
                };
                child.on('message', onMessage);
                child.on('exit', onExit);
                child.send({ type: 'load', settings } satisfies ParentMessage);
            });
            // The host controls the disk: hash again now the weights are in memory (see useMmap).
            if (!(await checkHash()).equals(hash)) throw new ModelHashMismatchError(hash.toString('hex'), 'changed');
        } catch (e) {
            child.kill('SIGKILL');
            throw e;
        }
        return new LlamaEngine(child, hash, {
            ...loadedInfo,
            path: options.modelPath,
            sizeBytes: gguf.fileSize,
            architecture: gguf.architecture,
            vocabSize: gguf.vocabSize,
            threads: settings.threads,
        });
    }

    countInputTokens(request: Omit<GenerationRequest, 'maxTokens'>): Promise<number> {
        return this.call<number>({ type: 'count', id: 0, request: stripMaxTokens(request) });
    }

    generate(request: GenerationRequest, onToken?: (text: string) => void): Promise<GenerationResult> {
        if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
            return Promise.reject(new Error('maxTokens must be a positive integer'));
        }
        return this.call<GenerationResult>({ type: 'generate', id: 0, request }, onToken);
    }

    async close(): Promise<void> {
        if (this.exited) return;
        const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
        this.child.send({ type: 'close' } satisfies ParentMessage);
        await exited;
    }

    private call<T>(message: ParentMessage & { id: number }, onToken?: (text: string) => void): Promise<T> {
        if (this.exited) return Promise.reject(this.exited);
        const id = this.nextId++;
        return new Promise<T>((resolve, reject) => {
            this.pending.set(id, { resolve, reject, onToken });
            this.child.send({ ...message, id });
        });
    }

    private onMessage(m: ChildMessage): void {
        if (!('id' in m)) return;
        const p = this.pending.get(m.id);
        if (!p) return;
        if (m.type === 'tokens') p.onToken?.(m.text);
        else if (m.type === 'counted') this.settle(m.id, () => p.resolve(m.tokensIn));
        else if (m.type === 'done') this.settle(m.id, () => p.resolve(m.result));
        else if (m.type === 'error') this.settle(m.id, () => p.reject(new InferenceProcessError(m.message)));
    }

    private settle(id: number, f: () => void): void {
        this.pending.delete(id);
        f();
    }

    private onExit(code: number | null, signal: string | null): void {
        this.exited = new InferenceProcessError(`inference process exited (${signal ?? code})`);
        for (const p of this.pending.values()) p.reject(this.exited);
        this.pending.clear();
    }
}

function stripMaxTokens(r: Omit<GenerationRequest, 'maxTokens'> & { maxTokens?: number }) {
    return { messages: r.messages, prompt: r.prompt };
}

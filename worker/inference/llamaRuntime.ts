/**
 * Child-process entry that runs llama.cpp through node-llama-cpp 3.21.1; LlamaEngine forks it and talks to it
 * over IPC (engineProtocol.ts). It lives in its own process because llama.cpp aborts the process on some
 * malformed models, and node-llama-cpp (ESM with top-level await) can only be loaded with a real import().
 * Prompts and answers cross only the parent-child IPC channel, inside the same enclave VM; nothing is logged.
 */
import type * as NodeLlamaCpp from 'node-llama-cpp';
import type { GenerationRequest, GenerationResult } from './engine';
import type { ChildMessage, LoadSettings, ParentMessage } from './engineProtocol';

// TypeScript compiles `import()` to require() under CommonJS; this keeps a native dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<typeof NodeLlamaCpp>;

interface Loaded {
    lib: typeof NodeLlamaCpp;
    model: NodeLlamaCpp.LlamaModel;
    sequence: NodeLlamaCpp.LlamaContextSequence;
    completion: NodeLlamaCpp.LlamaCompletion;
    chatWrapper: NodeLlamaCpp.ChatWrapper;
    contextSize: number;
}

let loaded: Loaded | null = null;
// One context sequence, so requests run one at a time in arrival order.
let queue: Promise<void> = Promise.resolve();

function send(m: ChildMessage): void {
    process.send?.(m);
}

async function load(s: LoadSettings): Promise<void> {
    const lib = await importEsm('node-llama-cpp');
    const llama = await lib.getLlama({
        gpu: s.gpu,
        build: 'never',
        maxThreads: s.threads,
        logLevel: lib.LlamaLogLevel.error,
    });
    const model = await llama.loadModel({
        modelPath: s.modelPath,
        useMmap: s.useMmap,
        gpuLayers: s.gpu === false ? 0 : 'auto',
        onLoadProgress: (fraction: number) => send({ type: 'progress', fraction }),
    });
    const contextSize = Math.min(s.contextSize, model.trainContextSize);
    const context = await model.createContext({ contextSize, threads: s.threads, sequences: 1 });
    const sequence = context.getSequence();
    const completion = new lib.LlamaCompletion({ contextSequence: sequence });
    const chatWrapper = lib.resolveChatWrapper(model);
    loaded = { lib, model, sequence, completion, chatWrapper, contextSize };
    send({
        type: 'loaded',
        info: {
            gpu: llama.gpu,
            gpuDevices: llama.gpu === false ? [] : await llama.getGpuDeviceNames(),
            gpuLayers: model.gpuLayers,
            contextSize,
            trainContextSize: model.trainContextSize,
            chatWrapper: chatWrapper.wrapperName,
        },
    });
}

/** The exact token sequence the model evaluates for a request, and any stop triggers of the chat format. */
function render(l: Loaded, r: Omit<GenerationRequest, 'maxTokens'>) {
    if ((r.messages === undefined) === (r.prompt === undefined))
        throw new Error('give exactly one of messages or prompt');
    if (r.prompt !== undefined) {
        const bos = l.model.tokens.bos;
        const withBos = bos !== null && l.model.tokens.shouldPrependBosToken;
        // Plain text only (specialTokens = false): a prompt cannot smuggle in control tokens.
        const body = l.model.tokenize(r.prompt, false);
        return { tokens: withBos ? [bos, ...body] : body, hasBos: withBos, stops: [] };
    }
    const history: NodeLlamaCpp.ChatHistoryItem[] = r.messages!.map((m) =>
        m.role === 'system'
            ? { type: 'system', text: m.content }
            : m.role === 'user'
              ? { type: 'user', text: m.content }
              : { type: 'model', response: [m.content] },
    );
    history.push({ type: 'model', response: [] });
    const state = l.chatWrapper.generateContextState({ chatHistory: history });
    // Message contents are plain LlamaText strings, tokenized without special tokens: no role injection.
    const tokens = state.contextText.tokenize(l.model.tokenizer);
    const bos = l.model.tokens.bos;
    return { tokens, hasBos: bos !== null && tokens[0] === bos, stops: state.stopGenerationTriggers ?? [] };
}

async function generate(id: number, r: GenerationRequest): Promise<void> {
    const l = loaded;
    if (!l) throw new Error('model not loaded');
    const { tokens, hasBos, stops } = render(l, r);
    if (tokens.length + r.maxTokens > l.contextSize) {
        throw new Error(
            `prompt (${tokens.length}) + maxTokens (${r.maxTokens}) exceeds the context (${l.contextSize})`,
        );
    }
    // A fresh evaluation per request: reusing cached prefixes would make the metered input depend on history.
    await l.sequence.clearHistory();
    const before = l.sequence.tokenMeter.getState();
    let tokensOut = 0;
    const res = await l.completion.generateCompletionWithMeta(tokens, {
        maxTokens: r.maxTokens,
        temperature: r.temperature ?? 0,
        topP: r.topP,
        seed: r.seed,
        customStopTriggers: stops,
        disableContextShift: true,
        onToken: (t) => {
            tokensOut += t.length;
        },
        onTextChunk: (text) => send({ type: 'tokens', id, text }),
    });
    const used = l.sequence.tokenMeter.diff(before);
    const result: GenerationResult = {
        text: res.response,
        finishReason: res.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
        // The meter counts every prompt token actually evaluated; BOS is not billed (TOOLCHAIN.md).
        tokensIn: used.usedInputTokens - (hasBos ? 1 : 0),
        tokensOut,
    };
    send({ type: 'done', id, result });
}

process.on('message', (m: ParentMessage) => {
    if (m.type === 'load') {
        load(m.settings).catch((e: Error) => send({ type: 'loadError', message: e.message }));
    } else if (m.type === 'count') {
        queue = queue.then(() => {
            try {
                if (!loaded) throw new Error('model not loaded');
                const { tokens, hasBos } = render(loaded, m.request);
                send({ type: 'counted', id: m.id, tokensIn: tokens.length - (hasBos ? 1 : 0) });
            } catch (e) {
                send({ type: 'error', id: m.id, message: (e as Error).message });
            }
        });
    } else if (m.type === 'generate') {
        queue = queue.then(() =>
            generate(m.id, m.request).catch((e: Error) => send({ type: 'error', id: m.id, message: e.message })),
        );
    } else if (m.type === 'close') {
        queue.finally(() => process.exit(0));
    }
});
// The parent is gone: nothing may keep running with its prompts.
process.on('disconnect', () => process.exit(0));

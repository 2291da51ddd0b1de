import { createHash } from 'crypto';
import { alignUp, GGUF_DEFAULT_ALIGNMENT, GGUF_VALUE, TOKEN_TYPE } from './ggufTypes';

/**
 * Writes a tiny GGUF v3 llama model with seeded random weights. CI cannot download a model, so tests and the
 * local demo run real llama.cpp inference on this file instead (TOOLCHAIN.md "Tiny GGUF model facts").
 * The bytes depend only on the options, so its sha256 (the on-chain model hash) is stable for a given seed.
 */

export interface TinyModelOptions {
    seed?: string;
    embeddingLength?: number;
    blockCount?: number;
    feedForwardLength?: number;
    headCount?: number;
    headCountKv?: number;
    contextLength?: number;
    /** Metadata keys to leave out: tests use it to produce the broken files llama.cpp would abort on. */
    omitKeys?: string[];
}

export const TINY_MODEL_DEFAULTS = {
    seed: 'cocoon-tiny-v1',
    embeddingLength: 64,
    blockCount: 2,
    feedForwardLength: 128,
    headCount: 4,
    headCountKv: 4,
    contextLength: 4096,
} as const;

/** ChatML: with a template the chat wrapper is ChatML and no ~260-token Llama-2 default system prompt appears. */
export const CHATML_TEMPLATE =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const SPACE = '\u2581'; // SentencePiece's visible space
const WORDS = [
    'the',
    'of',
    'and',
    'to',
    'in',
    'is',
    'it',
    'that',
    'for',
    'on',
    'with',
    'as',
    'was',
    'at',
    'by',
    'be',
    'this',
    'from',
    'or',
    'an',
    'are',
    'not',
    'but',
    'all',
    'we',
    'you',
    'they',
    'can',
    'one',
    'has',
    'ton',
    'coin',
    'chain',
    'block',
    'enclave',
    'cocoon',
    'model',
    'token',
    'hello',
    'world',
    'answer',
    'question',
    'secret',
    'market',
    'price',
    'order',
    'receipt',
    'proof',
    'node',
    'data',
    'light',
    'water',
    'stone',
    'river',
    'cloud',
    'green',
    'quick',
    'brown',
    'fox',
    'jumps',
    'over',
    'lazy',
    'dog',
    'what',
    'who',
    'why',
    'how',
    'when',
    'where',
    'yes',
    'no',
];

interface Vocab {
    tokens: string[];
    scores: number[];
    types: number[];
}

/** <unk>, <s>, </s>, 256 byte tokens, ChatML control tokens, then printable characters and word pieces. */
export function tinyVocab(): Vocab {
    const tokens: string[] = [];
    const scores: number[] = [];
    const types: number[] = [];
    const add = (t: string, type: number, score = 0) => {
        tokens.push(t);
        types.push(type);
        scores.push(score);
    };
    add('<unk>', TOKEN_TYPE.UNKNOWN);
    add('<s>', TOKEN_TYPE.CONTROL);
    add('</s>', TOKEN_TYPE.CONTROL);
    for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_TYPE.BYTE);
    add('<|im_start|>', TOKEN_TYPE.CONTROL);
    add('<|im_end|>', TOKEN_TYPE.CONTROL);
    // Normal pieces. The SPM tokenizer merges adjacent symbols only when the concatenation is in the vocab, so
    // every prefix of a word piece is present too; longer pieces get higher scores so they win merges.
    const pieces = new Set<string>([SPACE]);
    for (let c = 0x21; c <= 0x7e; c++) pieces.add(String.fromCharCode(c));
    for (let c = 0x61; c <= 0x7a; c++) pieces.add(SPACE + String.fromCharCode(c));
    for (const w of WORDS) {
        for (let i = 2; i <= w.length; i++) pieces.add(w.slice(0, i));
        for (let i = 1; i <= w.length; i++) pieces.add(SPACE + w.slice(0, i));
    }
    for (const p of pieces) add(p, TOKEN_TYPE.NORMAL, p.length);
    return { tokens, scores, types };
}

/** sfc32 seeded from sha256(seed): small, fast and identical on every platform. */
function seededRandom(seed: string): () => number {
    const h = createHash('sha256').update(seed).digest();
    let a = h.readUInt32LE(0);
    let b = h.readUInt32LE(4);
    let c = h.readUInt32LE(8);
    let d = h.readUInt32LE(12);
    return () => {
        a >>>= 0;
        b >>>= 0;
        c >>>= 0;
        d >>>= 0;
        let t = (a + b) | 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) | 0;
        c = (c << 21) | (c >>> 11);
        d = (d + 1) | 0;
        t = (t + d) | 0;
        c = (c + t) | 0;
        return (t >>> 0) / 4294967296;
    };
}

/** Little-endian byte builder for the GGUF header, metadata and tensor infos. */
class ByteWriter {
    private chunks: Buffer[] = [];
    length = 0;

    push(b: Buffer): void {
        this.chunks.push(b);
        this.length += b.length;
    }
    u8(v: number): void {
        this.push(Buffer.from([v]));
    }
    u32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v);
        this.push(b);
    }
    i32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeInt32LE(v);
        this.push(b);
    }
    u64(v: number | bigint): void {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(v));
        this.push(b);
    }
    f32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v);
        this.push(b);
    }
    str(s: string): void {
        const b = Buffer.from(s, 'utf8');
        this.u64(b.length);
        this.push(b);
    }
    toBuffer(): Buffer {
        return Buffer.concat(this.chunks);
    }
}

type KvValue =
    | { t: 'u32'; v: number }
    | { t: 'f32'; v: number }
    | { t: 'bool'; v: boolean }
    | { t: 'str'; v: string }
    | { t: 'strs'; v: string[] }
    | { t: 'f32s'; v: number[] }
    | { t: 'i32s'; v: number[] };

function writeKv(w: ByteWriter, key: string, value: KvValue): void {
    w.str(key);
    switch (value.t) {
        case 'u32':
            w.u32(GGUF_VALUE.UINT32);
            w.u32(value.v);
            break;
        case 'f32':
            w.u32(GGUF_VALUE.FLOAT32);
            w.f32(value.v);
            break;
        case 'bool':
            w.u32(GGUF_VALUE.BOOL);
            w.u8(value.v ? 1 : 0);
            break;
        case 'str':
            w.u32(GGUF_VALUE.STRING);
            w.str(value.v);
            break;
        case 'strs':
            w.u32(GGUF_VALUE.ARRAY);
            w.u32(GGUF_VALUE.STRING);
            w.u64(value.v.length);
            for (const s of value.v) w.str(s);
            break;
        case 'f32s':
            w.u32(GGUF_VALUE.ARRAY);
            w.u32(GGUF_VALUE.FLOAT32);
            w.u64(value.v.length);
            for (const f of value.v) w.f32(f);
            break;
        case 'i32s':
            w.u32(GGUF_VALUE.ARRAY);
            w.u32(GGUF_VALUE.INT32);
            w.u64(value.v.length);
            for (const i of value.v) w.i32(i);
            break;
    }
}

interface TensorSpec {
    name: string;
    dims: number[]; // innermost first, as GGUF stores them
    data: Float32Array;
}

/** Builds the whole GGUF file in memory (~0.5 MB). */
export function buildTinyModel(options: TinyModelOptions = {}): Buffer {
    const o = { ...TINY_MODEL_DEFAULTS, ...options };
    const E = o.embeddingLength;
    const F = o.feedForwardLength;
    const headDim = Math.floor(E / o.headCount);
    const kvDim = headDim * o.headCountKv;
    const vocab = tinyVocab();
    const V = vocab.tokens.length;
    const rand = seededRandom(o.seed);

    const randomMatrix = (n: number, scale: number): Float32Array => {
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
        return a;
    };
    const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

    const output = randomMatrix(E * V, 1 / Math.sqrt(E));
    // Random weights would otherwise emit end-of-text or invalid UTF-8 early: zero the rows of control, unknown
    // and byte tokens so greedy decoding produces readable gibberish that runs to maxTokens.
    for (let v = 0; v < V; v++) {
        if (vocab.types[v] !== TOKEN_TYPE.NORMAL) output.fill(0, v * E, (v + 1) * E);
    }
    const tensors: TensorSpec[] = [
        { name: 'token_embd.weight', dims: [E, V], data: randomMatrix(E * V, 1) },
        { name: 'output_norm.weight', dims: [E], data: ones(E) },
        { name: 'output.weight', dims: [E, V], data: output },
    ];
    for (let l = 0; l < o.blockCount; l++) {
        const p = `blk.${l}.`;
        const s = 1 / Math.sqrt(E);
        tensors.push(
            { name: p + 'attn_norm.weight', dims: [E], data: ones(E) },
            { name: p + 'attn_q.weight', dims: [E, E], data: randomMatrix(E * E, s) },
            { name: p + 'attn_k.weight', dims: [E, kvDim], data: randomMatrix(E * kvDim, s) },
            { name: p + 'attn_v.weight', dims: [E, kvDim], data: randomMatrix(E * kvDim, s) },
            { name: p + 'attn_output.weight', dims: [E, E], data: randomMatrix(E * E, s) },
            { name: p + 'ffn_norm.weight', dims: [E], data: ones(E) },
            { name: p + 'ffn_gate.weight', dims: [E, F], data: randomMatrix(E * F, s) },
            { name: p + 'ffn_up.weight', dims: [E, F], data: randomMatrix(E * F, s) },
            { name: p + 'ffn_down.weight', dims: [F, E], data: randomMatrix(F * E, 1 / Math.sqrt(F)) },
        );
    }

    const kv: [string, KvValue][] = [
        ['general.architecture', { t: 'str', v: 'llama' }],
        ['general.name', { t: 'str', v: 'cocoon-tiny' }],
        ['general.alignment', { t: 'u32', v: GGUF_DEFAULT_ALIGNMENT }],
        ['llama.context_length', { t: 'u32', v: o.contextLength }],
        ['llama.embedding_length', { t: 'u32', v: E }],
        ['llama.block_count', { t: 'u32', v: o.blockCount }],
        ['llama.feed_forward_length', { t: 'u32', v: F }],
        ['llama.attention.head_count', { t: 'u32', v: o.headCount }],
        ['llama.attention.head_count_kv', { t: 'u32', v: o.headCountKv }],
        ['llama.rope.dimension_count', { t: 'u32', v: headDim }],
        ['llama.rope.freq_base', { t: 'f32', v: 10000 }],
        ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
        ['llama.vocab_size', { t: 'u32', v: V }],
        ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
        ['tokenizer.ggml.tokens', { t: 'strs', v: vocab.tokens }],
        ['tokenizer.ggml.scores', { t: 'f32s', v: vocab.scores }],
        ['tokenizer.ggml.token_type', { t: 'i32s', v: vocab.types }],
        ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 1 }],
        ['tokenizer.ggml.eos_token_id', { t: 'u32', v: 2 }],
        ['tokenizer.ggml.eot_token_id', { t: 'u32', v: vocab.tokens.indexOf('<|im_end|>') }],
        ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: 0 }],
        ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
        ['tokenizer.ggml.add_eos_token', { t: 'bool', v: false }],
        ['tokenizer.chat_template', { t: 'str', v: CHATML_TEMPLATE }],
    ];
    const kept = kv.filter(([k]) => !o.omitKeys?.includes(k));

    const header = new ByteWriter();
    header.push(Buffer.from('GGUF', 'ascii'));
    header.u32(3);
    header.u64(tensors.length);
    header.u64(kept.length);
    for (const [k, v] of kept) writeKv(header, k, v);
    const alignment = BigInt(GGUF_DEFAULT_ALIGNMENT);
    let offset = 0n;
    for (const t of tensors) {
        header.str(t.name);
        header.u32(t.dims.length);
        for (const d of t.dims) header.u64(d);
        header.u32(0); // F32
        header.u64(offset);
        offset = alignUp(offset + BigInt(t.data.byteLength), alignment);
    }
    const headerBuf = header.toBuffer();
    const dataStart = Number(alignUp(BigInt(headerBuf.length), alignment));
    const out = Buffer.alloc(dataStart + Number(offset));
    headerBuf.copy(out, 0);
    let pos = dataStart;
    for (const t of tensors) {
        // Float32Array is host-endian; every platform node-llama-cpp ships for is little-endian, and GGUF is too.
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
        pos += Number(alignUp(BigInt(t.data.byteLength), alignment));
    }
    return out;
}

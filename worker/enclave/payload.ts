import type { ChatMessage, FinishReason, GenerationRequest } from '../inference/engine';

/**
 * The plaintext inside the HPKE envelope, as the client writes it and the enclave reads it (JSON, UTF-8):
 *   request:  {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}...]} or {"prompt": "..."},
 *             optional "temperature" (0..2, default 0), "top_p" (0..1], "seed" (uint32)
 *   response: {"text": "...", "finishReason": "stop"|"length", "tokensIn": n, "tokensOut": n}
 * maxTokens is not here: the client signs it in the request cell, so the host cannot change it.
 */
export interface RequestPayload {
    messages?: ChatMessage[];
    prompt?: string;
    temperature?: number;
    top_p?: number;
    seed?: number;
}

export interface ResponsePayload {
    text: string;
    finishReason: FinishReason;
    tokensIn: number;
    tokensOut: number;
}

const ROLES = new Set(['system', 'user', 'assistant']);

/** Parses and strictly validates a request plaintext; throws Error with a reason on anything unexpected. */
export function parseRequestPayload(plaintext: Buffer): Omit<GenerationRequest, 'maxTokens'> {
    const p = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as RequestPayload;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new Error('payload must be a JSON object');
    for (const k of Object.keys(p)) {
        if (!['messages', 'prompt', 'temperature', 'top_p', 'seed'].includes(k)) throw new Error(`unknown field ${k}`);
    }
    if ((p.messages === undefined) === (p.prompt === undefined))
        throw new Error('give exactly one of messages or prompt');
    if (p.prompt !== undefined && typeof p.prompt !== 'string') throw new Error('prompt must be a string');
    if (p.messages !== undefined) {
        if (!Array.isArray(p.messages) || p.messages.length === 0)
            throw new Error('messages must be a non-empty array');
        for (const m of p.messages) {
            if (typeof m !== 'object' || m === null || !ROLES.has(m.role) || typeof m.content !== 'string') {
                throw new Error('each message needs a role (system, user, assistant) and a string content');
            }
        }
    }
    const t = p.temperature;
    if (t !== undefined && (typeof t !== 'number' || !(t >= 0 && t <= 2)))
        throw new Error('temperature must be in [0, 2]');
    const tp = p.top_p;
    if (tp !== undefined && (typeof tp !== 'number' || !(tp > 0 && tp <= 1)))
        throw new Error('top_p must be in (0, 1]');
    const s = p.seed;
    if (s !== undefined && (!Number.isInteger(s) || s < 0 || s > 0xffffffff)) throw new Error('seed must be a uint32');
    return {
        messages: p.messages?.map((m) => ({ role: m.role, content: m.content })),
        prompt: p.prompt,
        temperature: t,
        topP: tp,
        seed: s,
    };
}

export function encodeResponsePayload(r: ResponsePayload): Buffer {
    return Buffer.from(
        JSON.stringify({ text: r.text, finishReason: r.finishReason, tokensIn: r.tokensIn, tokensOut: r.tokensOut }),
    );
}

import { z } from 'zod';
import { AttestationDoc, attestationDocSchema } from './attestation';
import { ClientError } from './errors';

/**
 * The worker host's HTTP API as a client uses it:
 *   GET  {endpoint}/v1/attestation                   -> AttestationDoc (JSON, hex fields)
 *   POST {endpoint}/v1/orders/{order}/requests       -> RequestReply (JSON, base64 fields)
 * A worker that cannot be reached (connection refused, reset, timeout, 502/503/504) is WORKER_UNREACHABLE;
 * any other error answer is WORKER_REFUSED, with the enclave's refusal code when the body names one.
 */
export interface RequestBody {
    requestBoc: string;
    clientSignature: string;
    payload: { enc: string; ciphertext: string };
    lastReceipt?: { boc: string; signature: string };
}

const b64 = z
    .string()
    .regex(/^[A-Za-z0-9+/_-]*={0,2}$/)
    .transform((s) => Buffer.from(s, 'base64'));

/**
 * The real worker host sends the receipt's 64-byte signature as hex (docs/WORKER-HOST.md); hex digits are also
 * base64 characters, so decoding it as base64 silently gave 96 wrong bytes. 128 hex digits are read as hex.
 */
const sig = z
    .string()
    .regex(/^[A-Za-z0-9+/_-]*={0,2}$/)
    .transform((s) => (/^[0-9a-fA-F]{128}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64')));

export const requestReplySchema = z.object({
    responseCiphertext: b64,
    receipt: z.object({ boc: b64, signature: sig }),
    tokensIn: z.number().int().nonnegative(),
    tokensOut: z.number().int().nonnegative(),
});
export type RequestReply = z.infer<typeof requestReplySchema>;

const UNREACHABLE_STATUSES = new Set([502, 503, 504]);

export function workerUrl(endpoint: string, path: string): string {
    return endpoint.replace(/\/+$/, '') + path;
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
    let res: Response;
    try {
        res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
        throw new ClientError('WORKER_UNREACHABLE', `${url}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    if (UNREACHABLE_STATUSES.has(res.status)) {
        throw new ClientError('WORKER_UNREACHABLE', `${url}: HTTP ${res.status}`, { status: res.status });
    }
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        body = undefined;
    }
    if (!res.ok) {
        // { code, message } or { error: { code, message } } (the worker host's shape) or { error: "CODE" }
        const raw = (body ?? {}) as { code?: unknown; error?: unknown; message?: unknown };
        const b = raw.error && typeof raw.error === 'object' ? (raw.error as typeof raw) : raw;
        const refusal = typeof b.code === 'string' ? b.code : typeof b.error === 'string' ? b.error : undefined;
        const msg = typeof b.message === 'string' ? b.message : text.slice(0, 200);
        throw new ClientError('WORKER_REFUSED', `${url}: HTTP ${res.status} ${refusal ?? ''} ${msg}`.trim(), {
            status: res.status,
            refusal,
        });
    }
    if (body === undefined) throw new ClientError('RESPONSE_INVALID', `${url}: the answer is not JSON`);
    return body;
}

/** With `nonce` (32 bytes) the worker quotes afresh over the client's own challenge. */
export async function fetchAttestation(endpoint: string, nonce?: Buffer, timeoutMs = 15_000): Promise<AttestationDoc> {
    const query = nonce ? `?nonce=${nonce.toString('hex')}` : '';
    const body = await call(workerUrl(endpoint, `/v1/attestation${query}`), { method: 'GET' }, timeoutMs);
    const parsed = attestationDocSchema.safeParse(body);
    if (!parsed.success) {
        throw new ClientError('ATTESTATION_INVALID', `malformed attestation document: ${parsed.error.message}`);
    }
    return parsed.data;
}

export async function postRequest(
    endpoint: string,
    order: string,
    req: RequestBody,
    timeoutMs = 300_000,
): Promise<RequestReply> {
    const url = workerUrl(endpoint, `/v1/orders/${encodeURIComponent(order)}/requests`);
    const body = await call(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) },
        timeoutMs,
    );
    const parsed = requestReplySchema.safeParse(body);
    if (!parsed.success) throw new ClientError('RESPONSE_INVALID', `malformed reply: ${parsed.error.message}`);
    return parsed.data;
}

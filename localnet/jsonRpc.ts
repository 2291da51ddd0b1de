/**
 * toncenter's request envelope: JSON-RPC 2.0 in, `{ok, result}` / `{ok: false, error, code}` out.
 *
 * toncenter does not follow JSON-RPC error objects; clients (TonClient included) read `ok`, so the
 * envelope copies toncenter rather than the JSON-RPC spec. `id` and `jsonrpc` are echoed back.
 */
import { RpcError } from './errors';
import { MethodHandler } from './toncenterMethods';

export type RpcReply = { status: number; body: Record<string, unknown> };

export type RpcLogger = { error: (obj: object, msg: string) => void };

/** Runs one method with `params`, turning any failure into toncenter's error envelope. */
export async function callMethod(
    methods: Record<string, MethodHandler>,
    method: string,
    params: Record<string, unknown>,
    envelope: Record<string, unknown> = {},
    log?: RpcLogger,
): Promise<RpcReply> {
    const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
    if (!handler) {
        return { status: 404, body: { ok: false, error: `Method not found: ${method}`, code: 404, ...envelope } };
    }
    try {
        const result = await handler(params);
        return { status: 200, body: { ok: true, result, ...envelope } };
    } catch (e) {
        if (e instanceof RpcError) {
            return { status: e.code, body: { ok: false, error: e.message, code: e.code, ...envelope } };
        }
        log?.error({ err: e, method }, 'internal error');
        const message = e instanceof Error ? e.message : String(e);
        return { status: 500, body: { ok: false, error: message, code: 500, ...envelope } };
    }
}

/** Handles a parsed JSON-RPC POST body. */
export async function handleJsonRpc(
    methods: Record<string, MethodHandler>,
    body: unknown,
    log?: RpcLogger,
): Promise<RpcReply> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
        return { status: 422, body: { ok: false, error: 'Expected a JSON-RPC object', code: 422 } };
    }
    const req = body as { id?: unknown; jsonrpc?: unknown; method?: unknown; params?: unknown };
    const envelope = { jsonrpc: '2.0', id: req.id ?? null };
    if (typeof req.method !== 'string') {
        return { status: 422, body: { ok: false, error: 'Missing method', code: 422, ...envelope } };
    }
    const params = req.params && typeof req.params === 'object' ? (req.params as Record<string, unknown>) : {};
    return callMethod(methods, req.method, params, envelope, log);
}

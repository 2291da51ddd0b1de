/**
 * Errors answered in toncenter's shape `{ok: false, error, code}`, with `code` also used as the HTTP
 * status (toncenter does the same, and TonClient throws on any non-200 answer, so a client never hangs).
 */
export class RpcError extends Error {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
        this.name = 'RpcError';
    }
}

/** toncenter answers liteserver failures (rejected externals, failed emulation) with code 500. */
export function liteServerError(message: string): RpcError {
    return new RpcError(500, `LITE_SERVER_UNKNOWN: ${message}`);
}

/**
 * HTTP routing for the localnet: toncenter's JSON-RPC endpoint and REST forms, plus the localnet's
 * own /localnet/* endpoints (info, wallets, faucet).
 *
 * Plain node:http: the surface is a handful of routes and this keeps the request path (and its
 * failure modes) small and visible.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { callMethod, handleJsonRpc, RpcLogger, RpcReply } from './jsonRpc';
import { MethodHandler } from './toncenterMethods';

const MAX_BODY = 16 * 1024 * 1024;

export type LocalnetRoutes = {
    methods: Record<string, MethodHandler>;
    /** GET/POST /localnet/<name>: the localnet's own endpoints. */
    extras: Record<string, (params: Record<string, unknown>, httpMethod: string) => Promise<RpcReply>>;
    log?: RpcLogger;
};

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
                reject(new Error('body too large'));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

function send(res: http.ServerResponse, reply: RpcReply): void {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        // Browser dev tools and dapps talk to the localnet directly.
        'Access-Control-Allow-Origin': '*',
    });
    res.end(text);
}

function error(status: number, message: string): RpcReply {
    return { status, body: { ok: false, error: message, code: status } };
}

async function route(routes: LocalnetRoutes, req: http.IncomingMessage): Promise<RpcReply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Accept toncenter's `/api/v2/...` prefix too, so endpoints copied from toncenter URLs work.
    const p = url.pathname.replace(/^\/api\/v2(?=\/)/, '').replace(/\/+$/, '');
    const httpMethod = req.method ?? 'GET';
    let body: unknown = undefined;
    if (httpMethod === 'POST') {
        const text = await readBody(req);
        if (text.length > 0) {
            try {
                body = JSON.parse(text);
            } catch {
                return error(422, 'Invalid JSON body');
            }
        }
    } else if (httpMethod !== 'GET') {
        return error(405, `Method ${httpMethod} not allowed`);
    }
    const query = Object.fromEntries(url.searchParams.entries());

    if (p === '/jsonRPC') {
        if (httpMethod !== 'POST') {
            return error(405, 'Use POST for /jsonRPC');
        }
        return handleJsonRpc(routes.methods, body, routes.log);
    }
    const extra = /^\/localnet\/([A-Za-z]+)$/.exec(p);
    if (extra) {
        const handler = routes.extras[extra[1]];
        if (!handler) {
            return error(404, `Not found: ${p}`);
        }
        const params =
            httpMethod === 'POST' && body && typeof body === 'object' ? (body as Record<string, unknown>) : query;
        return handler(params, httpMethod);
    }
    const rest = /^\/([A-Za-z]+)$/.exec(p);
    if (rest) {
        // REST form: GET /getAddressInformation?address=..., or POST /sendBoc {boc}.
        const params =
            httpMethod === 'POST' && body && typeof body === 'object' ? (body as Record<string, unknown>) : query;
        return callMethod(routes.methods, rest[1], params, {}, routes.log);
    }
    return error(404, `Not found: ${p}`);
}

export function createHttpServer(routes: LocalnetRoutes): http.Server {
    return http.createServer((req, res) => {
        if (req.method === 'OPTIONS') {
            res.writeHead(204, {
                'Access-Control-Allow-Origin': '*',
                'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
                'Access-Control-Allow-Headers': 'Content-Type, X-API-Key, X-Ton-Client-Version',
            });
            res.end();
            return;
        }
        route(routes, req).then(
            (reply) => send(res, reply),
            (e: unknown) => send(res, error(500, e instanceof Error ? e.message : String(e))),
        );
    });
}

export function listen(server: http.Server, port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            server.off('error', reject);
            resolve((server.address() as AddressInfo).port);
        });
    });
}

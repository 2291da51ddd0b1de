/**
 * A chain endpoint that misbehaves on command: an HTTP proxy on 127.0.0.1 in front of the localnet that passes,
 * drops (connection reset before the request reaches the chain), delays, or loses the answer (the request IS
 * applied, the caller never hears back: the nastiest case for wallet sends). Bounded: at most MAX_IN_FLIGHT
 * requests are held at once, the rest are answered 503 at once; delays are capped.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export type ProxyMode = { kind: 'pass' } | { kind: 'drop' } | { kind: 'delay'; ms: number } | { kind: 'lose-answer' };

const MAX_IN_FLIGHT = 64;
const MAX_DELAY_MS = 10_000;

export class ChaosProxy {
    mode: ProxyMode = { kind: 'pass' };
    readonly counts = { passed: 0, dropped: 0, delayed: 0, lostAnswers: 0, overloaded: 0 };
    private inFlight = 0;
    private revert?: NodeJS.Timeout;

    private constructor(
        private readonly server: http.Server,
        private readonly target: URL,
    ) {}

    static async start(targetUrl: string): Promise<ChaosProxy> {
        const target = new URL(targetUrl);
        const server = http.createServer();
        const self = new ChaosProxy(server, target);
        server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => self.handle(req, res));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        return self;
    }

    get port(): number {
        return (this.server.address() as AddressInfo).port;
    }

    /** The proxied form of a localnet URL (same path). */
    get url(): string {
        return `http://127.0.0.1:${this.port}${this.target.pathname}`;
    }

    /** Switches mode, back to pass after `forMs`. */
    set(mode: ProxyMode, forMs?: number): void {
        if (this.revert) clearTimeout(this.revert);
        this.mode = mode.kind === 'delay' ? { kind: 'delay', ms: Math.min(mode.ms, MAX_DELAY_MS) } : mode;
        if (forMs !== undefined) this.revert = setTimeout(() => (this.mode = { kind: 'pass' }), forMs);
    }

    async close(): Promise<void> {
        if (this.revert) clearTimeout(this.revert);
        this.server.closeAllConnections();
        await new Promise((r) => this.server.close(r));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse) {
        if (this.inFlight >= MAX_IN_FLIGHT) {
            this.counts.overloaded++;
            res.writeHead(503).end();
            return;
        }
        const mode = this.mode;
        if (mode.kind === 'drop') {
            this.counts.dropped++;
            req.socket.destroy();
            return;
        }
        this.inFlight++;
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('error', () => undefined);
        req.on('end', () => {
            const forward = () => {
                const up = http.request(
                    {
                        host: this.target.hostname,
                        port: this.target.port,
                        method: req.method,
                        path: req.url,
                        headers: { ...req.headers, host: this.target.host },
                    },
                    (upRes) => {
                        const body: Buffer[] = [];
                        upRes.on('data', (c: Buffer) => body.push(c));
                        upRes.on('end', () => {
                            this.inFlight--;
                            if (mode.kind === 'lose-answer') {
                                this.counts.lostAnswers++;
                                req.socket.destroy();
                                return;
                            }
                            if (mode.kind === 'pass') this.counts.passed++;
                            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                            res.end(Buffer.concat(body));
                        });
                    },
                );
                up.on('error', () => {
                    this.inFlight--;
                    req.socket.destroy();
                });
                up.end(Buffer.concat(chunks));
            };
            if (mode.kind === 'delay') {
                this.counts.delayed++;
                setTimeout(forward, mode.ms);
            } else forward();
        });
    }
}

/**
 * The keeper's HTTP API (docs/KEEPER.md): the book for clients choosing providers (they still check each
 * provider on-chain before trusting it), market data, the verifier endpoint for workers, published quotes,
 * health and Prometheus metrics.
 */
import Fastify, { FastifyInstance } from 'fastify';
import { Keeper } from './keeper';
import { QuoteVerifier } from './verifier/verifier';
import { VerifyRefusal } from './verifier/protocol';

export interface HttpOptions {
    keeper: Keeper;
    verifier?: QuoteVerifier;
    /** Seconds without a completed sync after which /health answers 503. */
    maxLagSeconds?: number;
}

export function buildHttp(opts: HttpOptions): FastifyInstance {
    const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
    const { keeper } = opts;

    app.get('/book', async () => keeper.book());
    app.get('/market', async () => ({ market: keeper.book().market }));
    app.get('/providers', async () => ({ providers: keeper.db.providers() }));
    app.get<{ Params: { id: string } }>('/orders/:id', async (req, reply) => {
        const o = keeper.db.order(req.params.id);
        if (!o)
            return reply
                .code(404)
                .send({ error: { code: 'NOT_FOUND', message: `order ${req.params.id} is not indexed` } });
        return { order: o, unmatchedReasons: keeper.explain(req.params.id) };
    });

    app.post('/verify', async (req, reply) => {
        if (!opts.verifier) {
            return reply
                .code(404)
                .send({ error: { code: 'NOT_A_VERIFIER', message: 'this keeper has no verifier key configured' } });
        }
        try {
            const res = await opts.verifier.verify(req.body);
            keeper.metrics.quotesCertified.inc();
            return res;
        } catch (e) {
            keeper.metrics.quotesRefused.inc();
            if (e instanceof VerifyRefusal)
                return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
            return reply.code(500).send({ error: { code: 'INTERNAL', message: (e as Error).message } });
        }
    });

    app.get<{ Params: { hash: string } }>('/quotes/:hash', async (req, reply) => {
        const q = /^[0-9a-fA-F]{64}$/.test(req.params.hash) ? keeper.db.quote(req.params.hash) : undefined;
        if (!q)
            return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no quote certified with this hash' } });
        return q;
    });

    app.get('/health', async (_req, reply) => {
        const lag = keeper.lastSyncAt ? (Date.now() - keeper.lastSyncAt) / 1000 : null;
        const ok = lag !== null && lag <= (opts.maxLagSeconds ?? 60);
        const t = keeper.totals();
        return reply.code(ok ? 200 : 503).send({
            ok,
            lagSeconds: lag,
            ordersSeen: keeper.db.maxOrderId() + 1,
            providers: keeper.db.providerOwners().length,
            matchesWon: t.wins,
            quotesCertified: keeper.db.quoteCount(),
        });
    });

    app.get('/metrics', async (_req, reply) => {
        reply.header('content-type', keeper.metrics.registry.contentType);
        return keeper.metrics.registry.metrics();
    });
    return app;
}

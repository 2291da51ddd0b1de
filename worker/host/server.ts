/**
 * The worker's HTTP API (docs/WORKER-HOST.md): attestation, encrypted requests, health, metrics. The host is
 * untrusted: it reads the order's terms on-chain, hands them to the enclave, and persists the signed receipt
 * (fsync) before it answers.
 */
import { Address, Cell } from '@ton/core';
import Fastify, { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { OrderState } from '../../wrappers/Constants';
import { receiptCost } from '../../wrappers/formats/receipt';
import { requestFromCell, SignedRequestFields } from '../../wrappers/formats/request';
import { uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { Enclave } from '../enclave/enclave';
import { EnclaveRefusal } from '../enclave/refusal';
import type { ChainClient } from './chain';
import type { WorkerMetrics } from './metrics';
import { ReceiptStore, ServedRecord } from './store';

export interface AttestationView {
    quote: string;
    nonce: string;
    measurement?: string;
    validUntil?: number;
}

export interface ServerDeps {
    enclave: Enclave;
    chain: ChainClient;
    store: ReceiptStore;
    metrics: WorkerMetrics;
    log: Logger;
    network: { name: string; id: number };
    teeKind: 'tdx' | 'simulated';
    models: { sha256: string; priceIn: bigint; priceOut: bigint }[];
    /** The registration's quote and nonce (undefined until registered). */
    attestation: () => AttestationView | undefined;
}

/** Refusal codes the host adds to the enclave's (worker/enclave/refusal.ts). */
export type HostRefusalCode =
    | 'ORDER_NOT_FOUND'
    | 'ORDER_NOT_LIVE'
    | 'WRONG_PROVIDER'
    | 'BUDGET_EXCEEDED'
    | 'BAD_REQUEST'
    | 'REPLAYED_REQUEST'
    | 'CHAIN_UNAVAILABLE';

export class HostRefusal extends Error {
    constructor(
        readonly code: HostRefusalCode,
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

const STATUS: Record<string, number> = {
    BAD_CLIENT_SIGNATURE: 401,
    WRONG_ORDER: 400,
    MODEL_NOT_LOADED: 404,
    REPLAYED_REQUEST: 409,
    REQUEST_IN_FLIGHT: 409,
    SPEND_CAP_EXCEEDED: 402,
    BUDGET_EXCEEDED: 402,
    CONTEXT_OVERFLOW: 413,
    INFERENCE_FAILED: 500,
};

const b64 = z.string().regex(/^[A-Za-z0-9+/=_-]*$/, 'base64');
const requestBody = z.object({
    requestBoc: b64,
    clientSignature: z.string().min(1),
    payload: z.object({ enc: b64, ciphertext: b64 }),
    lastReceipt: z.object({ boc: b64, signature: z.string().min(1) }).optional(),
});

/** 64-byte signatures may come as hex or base64. */
function sigBytes(s: string): Buffer {
    return /^[0-9a-fA-F]{128}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
}

export function responseOf(r: ServedRecord) {
    return {
        responseCiphertext: r.responseCiphertext,
        receipt: { boc: r.receiptBoc, signature: r.signature },
        tokensIn: r.tokensIn,
        tokensOut: r.tokensOut,
    };
}

export function buildServer(deps: ServerDeps) {
    const app = Fastify({
        loggerInstance: deps.log.child({ component: 'http' }),
        bodyLimit: 32 * 1024 * 1024,
        disableRequestLogging: false,
    });
    const locks = new Map<string, Promise<unknown>>();

    function refuse(reply: FastifyReply, status: number, code: string, message: string) {
        deps.metrics.refusals.inc({ code });
        deps.metrics.requests.inc({ outcome: 'refused' });
        return reply.code(status).send({ error: { code, message } });
    }

    app.get('/health', async () => ({ ok: true, tee: deps.teeKind, registered: deps.attestation() !== undefined }));

    app.get('/metrics', async (_req, reply) => {
        reply.header('content-type', deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
    });

    app.get<{ Querystring: { nonce?: string } }>('/v1/attestation', async (req, reply) => {
        const keys = deps.enclave.publicKeys();
        let att = deps.attestation();
        if (req.query.nonce !== undefined) {
            // A client's own freshness challenge: a new quote over its 32-byte nonce.
            if (!/^[0-9a-fA-F]{64}$/.test(req.query.nonce)) {
                return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: 'nonce must be 32 bytes hex' } });
            }
            const fresh = await deps.enclave.attest(Buffer.from(req.query.nonce, 'hex'));
            att = { ...att, quote: fresh.quote.toString('hex'), nonce: req.query.nonce };
        }
        if (!att) return reply.code(503).send({ error: { code: 'NOT_REGISTERED', message: 'not registered yet' } });
        return {
            quote: att.quote,
            nonce: att.nonce,
            ed25519Pub: keys.ed25519Pub.toString('hex'),
            x25519Pub: keys.x25519Pub.toString('hex'),
            measurement: att.measurement,
            validUntil: att.validUntil,
            tee: deps.teeKind,
            models: deps.models.map((m) => ({
                sha256: m.sha256,
                priceIn: m.priceIn.toString(),
                priceOut: m.priceOut.toString(),
            })),
            provider: (await deps.chain.providerAddress()).toString(),
            providerWallet: deps.chain.walletAddress.toString(),
            registry: deps.chain.registry.toString(),
            network: deps.network,
        };
    });

    app.post<{ Params: { address: string } }>('/v1/orders/:address/requests', async (req, reply) => {
        let order: Address;
        try {
            order = Address.parse(req.params.address);
        } catch {
            return refuse(reply, 400, 'BAD_REQUEST', 'the path does not name an order address');
        }
        const parsed = requestBody.safeParse(req.body);
        if (!parsed.success)
            return refuse(
                reply,
                400,
                'BAD_REQUEST',
                parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            );
        const body = parsed.data;
        let cell: Cell;
        let fields: SignedRequestFields;
        try {
            cell = Cell.fromBoc(Buffer.from(body.requestBoc, 'base64'))[0];
            fields = requestFromCell(cell);
        } catch (e) {
            return refuse(reply, 400, 'BAD_REQUEST', `request cell: ${(e as Error).message}`);
        }
        if (!fields.order.equals(order)) return refuse(reply, 400, 'WRONG_ORDER', 'the request names another order');

        // One request per order at a time: a retry that races the original waits and is served from the cache.
        const key = order.toRawString();
        const prev = locks.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const chained = prev.then(() => mine);
        locks.set(key, chained);
        await prev;
        try {
            return await handle(order, cell, fields, body, reply);
        } catch (e) {
            if (e instanceof HostRefusal) return refuse(reply, e.status, e.code, e.message);
            if (e instanceof EnclaveRefusal) return refuse(reply, STATUS[e.code] ?? 400, e.code, e.message);
            deps.log.error({ err: (e as Error).message }, 'request failed');
            deps.metrics.requests.inc({ outcome: 'error' });
            return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
        } finally {
            release();
            if (locks.get(key) === chained) locks.delete(key);
        }
    });

    async function handle(
        order: Address,
        cell: Cell,
        fields: SignedRequestFields,
        body: z.infer<typeof requestBody>,
        reply: FastifyReply,
    ) {
        const requestHash = cell.hash();
        const cached = deps.store.findByRequest(order, requestHash);
        if (cached) {
            deps.metrics.requests.inc({ outcome: 'cached' });
            deps.log.info(
                { order: order.toString(), seqno: cached.seqno },
                'retried request answered from the receipt store',
            );
            return reply.send(responseOf(cached));
        }
        const latest = deps.store.latest(order);
        if (latest && fields.seqno <= latest.seqno) {
            throw new HostRefusal('REPLAYED_REQUEST', 409, `seqno ${fields.seqno} of this order was already served`);
        }
        let data;
        try {
            data = await deps.chain.orderData(order);
        } catch (e) {
            throw new HostRefusal('CHAIN_UNAVAILABLE', 503, `cannot read the order: ${(e as Error).message}`);
        }
        if (!data) throw new HostRefusal('ORDER_NOT_FOUND', 404, 'no order at this address');
        const state = Number(data.state);
        if (state !== OrderState.MATCHED && state !== OrderState.CLOSING) {
            throw new HostRefusal('ORDER_NOT_LIVE', 409, `the order is not matched (state ${state})`);
        }
        if (!data.provider.equals(await deps.chain.providerAddress())) {
            throw new HostRefusal('WRONG_PROVIDER', 403, 'the order is matched to another provider');
        }
        const soFar = latest
            ? receiptCost(
                  { tokensIn: BigInt(latest.totalIn), tokensOut: BigInt(latest.totalOut) },
                  data.priceIn,
                  data.priceOut,
              )
            : 0n;
        if (soFar + BigInt(fields.maxTokens) * data.priceOut > data.budget) {
            throw new HostRefusal(
                'BUDGET_EXCEEDED',
                402,
                'the order budget does not cover maxTokens at the agreed price',
            );
        }
        const accepted = [data.enclaveKey, data.prevEnclaveKey].filter((k) => k !== 0n).map(uint256ToBuffer);
        const result = await deps.enclave.serve({
            requestCell: cell,
            clientSignature: sigBytes(body.clientSignature),
            payload: {
                enc: Buffer.from(body.payload.enc, 'base64'),
                ciphertext: Buffer.from(body.payload.ciphertext, 'base64'),
            },
            lastReceipt: body.lastReceipt
                ? { cell: Buffer.from(body.lastReceipt.boc, 'base64'), signature: sigBytes(body.lastReceipt.signature) }
                : undefined,
            order: {
                address: order,
                clientKey: uint256ToBuffer(data.clientKey),
                model: uint256ToBuffer(data.model),
                priceIn: data.priceIn,
                priceOut: data.priceOut,
                budget: data.budget,
            },
            acceptedEnclaveKeys: accepted,
        });
        const r = result.receipt;
        // Durable before the answer leaves: the receipt is the provider's payment, the response the client's copy.
        deps.store.recordServed({
            order: order.toRawString(),
            seqno: r.fields.seqno,
            requestHash: requestHash.toString('hex'),
            receiptBoc: r.cell.toBoc().toString('base64'),
            signature: r.signature.toString('hex'),
            responseCiphertext: result.responseCiphertext.toString('base64'),
            tokensIn: result.tokensIn,
            tokensOut: result.tokensOut,
            totalIn: r.fields.tokensIn.toString(),
            totalOut: r.fields.tokensOut.toString(),
            priceIn: data.priceIn.toString(),
            priceOut: data.priceOut.toString(),
            enclaveKey: deps.enclave.publicKeys().ed25519Pub.toString('hex'),
            servedAt: Date.now(),
        });
        deps.metrics.requests.inc({ outcome: 'served' });
        deps.metrics.tokens.inc({ direction: 'in' }, result.tokensIn);
        deps.metrics.tokens.inc({ direction: 'out' }, result.tokensOut);
        deps.log.info(
            {
                order: order.toString(),
                seqno: r.fields.seqno,
                tokensIn: result.tokensIn,
                tokensOut: result.tokensOut,
                ms: Math.round(result.timings.inferenceMs),
            },
            'served',
        );
        return reply.send(responseOf(deps.store.findByRequest(order, requestHash)!));
    }

    return app;
}

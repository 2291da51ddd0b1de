import OpenAI from 'openai';
import { Address, beginCell } from '@ton/core';
import { AddressInfo } from 'net';
import { FastifyInstance } from 'fastify';
import { buildGateway, MarketView } from '../../client/gateway/server';
import { MarketClient, OrderManager } from '../../client/gateway/orderManager';
import { ClientError } from '../../client/sdk/errors';
import { receiptFromCell, receiptToCell, ZERO_HASH } from '../../wrappers/formats/receipt';

/**
 * The gateway's OpenAI surface and order policy, driven by the official `openai` package. The market behind
 * it is a scripted MarketClient (test double) so every answer, price and failure is exact; the end-to-end
 * run over localnet, a worker and a keeper is tests/gateway/gatewayMarket.test.ts.
 */
const HASH = 'ab'.repeat(32);
const addr = (n: number) => new Address(0, Buffer.alloc(32, n)).toString();

class ScriptedMarket implements MarketClient {
    calls: string[] = [];
    orders = 0;
    fail?: ClientError;
    async createOrder(args: { budget: bigint; maxPriceIn: bigint }) {
        this.calls.push(`create ${args.budget} ${args.maxPriceIn}`);
        this.orders++;
        return { order: addr(this.orders) } as never;
    }
    async waitForMatch(order: string) {
        this.calls.push(`wait ${order}`);
        return { provider: Address.parse(addr(99)), budget: 1_000_000n, priceIn: 10n, priceOut: 20n } as never;
    }
    spent = 0n;
    seqno = 0;
    async ask(order: string, input: unknown, opts?: { maxTokens?: number; maxCost?: bigint }) {
        if (this.fail) throw this.fail;
        this.calls.push(`ask ${order} max=${opts?.maxTokens} cap=${opts?.maxCost}`);
        this.seqno++;
        const tokensIn = 7;
        const tokensOut = 5;
        this.spent += BigInt(tokensIn) * 10n + BigInt(tokensOut) * 20n;
        const cell = receiptToCell({
            network: 7357,
            registry: Address.parse(addr(1)),
            order: Address.parse(order),
            clientKey: ZERO_HASH,
            model: Buffer.from(HASH, 'hex'),
            seqno: this.seqno,
            requestHash: ZERO_HASH,
            tokensIn: BigInt(tokensIn * this.seqno),
            tokensOut: BigInt(tokensOut * this.seqno),
            transcript: ZERO_HASH,
        });
        return {
            text: 'hello from the enclave',
            finishReason: 'stop',
            tokensIn,
            tokensOut,
            cost: 170n,
            totalCost: this.spent,
            receipt: { cell, signature: Buffer.alloc(64), fields: receiptFromCell(cell) },
        } as never;
    }
    async orderData() {
        return {} as never;
    }
    async topUp() {}
    async close(order: string) {
        this.calls.push(`close ${order}`);
        return { state: 'settled', refund: 0n, balanceDelta: 0n, paid: 0n };
    }
}

const market: MarketView = {
    async models() {
        return [{ id: 'tiny', hash: HASH, bestAskIn: 10n, bestAskOut: 20n, providers: 2, freeCapacity: 5 }];
    },
};

describe('OpenAI-compatible gateway', () => {
    let app: FastifyInstance;
    let backend: ScriptedMarket;
    let openai: OpenAI;
    let orders: OrderManager;

    beforeEach(async () => {
        backend = new ScriptedMarket();
        orders = new OrderManager(backend, {
            budgetPerOrder: 1_000_000n,
            maxPricePerToken: 50n,
            totalSpendCap: 1_500_000n,
            matchTimeoutMs: 1000,
            orderLifeS: 600,
        });
        app = buildGateway({ market, orders, created: () => 1700000000 });
        await app.listen({ port: 0, host: '127.0.0.1' });
        const port = (app.server.address() as AddressInfo).port;
        openai = new OpenAI({ apiKey: 'unused', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    });
    afterEach(async () => app.close());

    it('lists allowlisted models with price, providers and capacity', async () => {
        const list = await openai.models.list();
        expect(list.data.map((m) => m.id)).toEqual(['tiny']);
        expect((list.data[0] as unknown as { cocoon: unknown }).cocoon).toEqual({
            sha256: HASH,
            best_ask_nanoton_per_token: { input: '10', output: '20' },
            providers: 2,
            free_capacity: 5,
        });
    });

    it('answers a chat completion with tokens and nanoTON in usage, reusing one order', async () => {
        const first = await openai.chat.completions.create({
            model: 'tiny',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 8,
        });
        expect(first.choices[0].message.content).toBe('hello from the enclave');
        expect(first.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
        expect((first.usage as unknown as { cost_nanoton: unknown }).cost_nanoton).toEqual({
            prompt: '70',
            completion: '100',
            total: '170',
        });
        const second = await openai.chat.completions
            .create({
                model: 'tiny',
                messages: [{ role: 'user', content: 'again' }],
                max_tokens: 8,
            })
            .withResponse();
        expect(second.response.headers.get('x-cocoon-order')).toBe(addr(1));
        expect(second.response.headers.get('x-cocoon-provider')).toBe(Address.parse(addr(99)).toString());
        expect((second.data.usage as unknown as { receipt_seqno: number }).receipt_seqno).toBe(2);
        expect(backend.calls.filter((c) => c.startsWith('create'))).toEqual(['create 1000000 50']);
        // the signed spend cap is what is left of the order's budget
        expect(backend.calls[2]).toBe(`ask ${addr(1)} max=8 cap=1000000`);
        expect(backend.calls[3]).toBe(`ask ${addr(1)} max=8 cap=${1_000_000 - 170}`);
    });

    it('streams OpenAI chunks with usage in the last one', async () => {
        const stream = await openai.chat.completions.create({
            model: 'tiny',
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
        });
        let text = '';
        let usage: unknown;
        let finish: string | null = null;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta?.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
            if (chunk.usage) usage = chunk.usage;
        }
        expect(text).toBe('hello from the enclave');
        expect(finish).toBe('stop');
        expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
    });

    it('serves legacy completions', async () => {
        const c = await openai.completions.create({ model: HASH, prompt: 'Once', max_tokens: 4 });
        expect(c.choices[0].text).toBe('hello from the enclave');
        expect(c.usage?.total_tokens).toBe(12);
    });

    it('answers bad requests in OpenAI error shape', async () => {
        await expect(
            openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
        ).rejects.toMatchObject({
            status: 404,
            code: 'model_not_found',
            param: 'model',
        });
        await expect(openai.chat.completions.create({ model: 'tiny', messages: [] })).rejects.toMatchObject({
            status: 400,
            type: 'invalid_request_error',
            param: 'messages',
        });
        expect(backend.calls).toEqual([]);
    });

    it('refuses with 402 once the spend cap would be passed, and 503 above max_price', async () => {
        // the first order's budget is spent down: the next request does not fit, a second order would pass the cap
        backend.spent = 999_990n;
        await openai.chat.completions.create({
            model: 'tiny',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 8,
        });
        await expect(
            openai.chat.completions.create({
                model: 'tiny',
                messages: [{ role: 'user', content: 'hi' }],
                max_tokens: 8,
            }),
        ).rejects.toMatchObject({ status: 402, code: 'spend_cap_reached' });
        expect(backend.calls).toContain(`close ${addr(1)}`);
        const fresh = new OrderManager(new ScriptedMarket(), {
            budgetPerOrder: 1n,
            maxPricePerToken: 50n,
            totalSpendCap: 10n,
            matchTimeoutMs: 1,
            orderLifeS: 1,
        });
        await fresh.serve(HASH, 'x', { maxTokens: 1 }).catch(() => undefined);
        await expect(fresh.serve(HASH, 'x', { maxTokens: 1, maxPrice: 5n })).rejects.toMatchObject({ status: 503 });
    });

    it('maps an attestation failure to 502 and avoids that provider afterwards', async () => {
        backend.fail = new ClientError('ATTESTATION_INVALID', 'measurement not allowlisted');
        await expect(
            openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }),
        ).rejects.toMatchObject({
            status: 502,
            code: 'attestation_failed',
        });
        backend.fail = undefined;
        // the next order is matched to the same (avoided) provider: closed at once, tried again, then refused
        await expect(
            openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }),
        ).rejects.toMatchObject({
            status: 503,
        });
        expect(backend.calls.filter((c) => c.startsWith('close')).length).toBeGreaterThanOrEqual(2);
    });

    it('closes its orders at shutdown', async () => {
        await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] });
        const settled = await orders.closeAll();
        expect(settled).toHaveLength(1);
        expect(backend.calls[backend.calls.length - 1]).toBe(`close ${addr(1)}`);
        expect(orders.openOrders()).toEqual([]);
        void beginCell;
    });
});

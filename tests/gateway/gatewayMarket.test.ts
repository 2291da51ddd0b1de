import OpenAI from 'openai';
import { join } from 'path';
import { AddressInfo } from 'net';
import { Address, toNano } from '@ton/core';
import { FastifyInstance } from 'fastify';
import pino from 'pino';
import { devCollateral } from '../../attestation';
import { CocoonClient } from '../../client/sdk/client';
import { ChainMarketView } from '../../client/gateway/marketView';
import { OrderManager } from '../../client/gateway/orderManager';
import { buildGateway } from '../../client/gateway/server';
import { Chain } from '../../keeper/chain/chain';
import { KeeperWallet } from '../../keeper/chain/wallet';
import { KeeperDb } from '../../keeper/db';
import { buildHttp } from '../../keeper/http';
import { Keeper } from '../../keeper/keeper';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { parseConfig } from '../../worker/host/config';
import { RunningWorker, startWorker } from '../../worker/host/worker';
import { OrderState } from '../../wrappers/Constants';
import { Order } from '../../wrappers/Order';
import { MarketFixture, startMarket, waitUntil, workerConfigFor } from '../worker-host/fixture';

/**
 * The gateway end to end, driven by the official `openai` package: an in-process localnet with the market
 * deployed, a real worker host (tiny model, simulated TDX, LocalVerifier) and a real keeper doing the
 * matching and serving its book. Wallets: 0 governance, 1 worker, 2 the gateway's buyer, 3 keeper.
 */
const PRICE_IN = 1_000_000n;
const PRICE_OUT = 2_000_000n;
const silent = pino({ level: 'silent' });

let f: MarketFixture;
let engine: LlamaEngine;
let worker: RunningWorker;
let keeper: Keeper;
let keeperDb: KeeperDb;
let keeperHttp: FastifyInstance;
let keeperUrl: string;
let client: CocoonClient;
let orders: OrderManager;
let gateway: FastifyInstance;
let openai: OpenAI;

type CocoonUsage = { cost_nanoton: { prompt: string; completion: string; total: string }; receipt_seqno: number };
const cocoon = (u: unknown) => u as CocoonUsage;

beforeAll(async () => {
    f = await startMarket();
    engine = await LlamaEngine.load({ modelPath: f.modelPath, gpu: false, threads: 1 });
    worker = await startWorker(
        parseConfig(
            workerConfigFor(
                f,
                { priceIn: PRICE_IN, priceOut: PRICE_OUT },
                { claim: { intervalMs: 60_000, externalMin: '10000000' } },
            ),
        ),
        {
            verifiers: [f.localVerifier()],
            mnemonic: f.wallets[1].mnemonic,
            engines: new Map([[f.modelSha256, engine]]),
            logger: silent,
            background: false, // claims are sent explicitly below
        },
    );

    const chain = new Chain(f.localnet.url, { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 });
    keeperDb = new KeeperDb(join(f.dataDir, 'keeper.db'));
    keeper = new Keeper({
        chain,
        db: keeperDb,
        registry: f.registry,
        log: silent,
        wallet: await KeeperWallet.fromMnemonic(chain, f.wallets[3].mnemonic, 20_000),
        // A match costs the keeper more gas than localnet's fee: allowed here, as in tests/keeper.
        policy: {
            matchValue: 50_000_000n,
            matchCostEstimate: 32_000_000n,
            spendAboveFee: true,
            refundExpired: true,
            timeoutValue: 20_000_000n,
            relayRevocations: true,
            relayValue: 30_000_000n,
            resendAfterMs: 30_000,
        },
        pollIntervalMs: 300,
    });
    keeper.start();
    keeperHttp = buildHttp({ keeper });
    await keeperHttp.listen({ host: '127.0.0.1', port: 0 });
    keeperUrl = `http://127.0.0.1:${(keeperHttp.server.address() as AddressInfo).port}`;
    await waitUntil(
        'keeper indexed the worker',
        async () => keeperDb.providers().some((p) => p.asks[f.modelSha256] !== undefined),
        30_000,
    );

    client = await CocoonClient.create({
        endpoint: f.localnet.url,
        wallet: { mnemonic: f.wallets[2].mnemonic },
        registry: f.registry,
        network: 'localnet',
        trust: { rootDer: f.devRoot.rootCertDer, collateral: await devCollateral(f.devRoot) },
        dataDir: join(f.dataDir, 'client'),
        pollMs: 300,
    });
    orders = new OrderManager(client, {
        budgetPerOrder: toNano('1'),
        maxPricePerToken: 5_000_000n,
        totalSpendCap: toNano('3'),
        matchTimeoutMs: 30_000,
        orderLifeS: 600,
    });
    const market = new ChainMarketView({ endpoint: f.localnet.url, registry: f.registry, keeperUrl, cacheMs: 500 });
    gateway = buildGateway({ market, orders, defaultMaxTokens: 16 });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    const port = (gateway.server.address() as AddressInfo).port;
    openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
}, 90_000);

afterAll(async () => {
    await gateway?.close();
    await keeperHttp?.close();
    await keeper?.stop();
    keeperDb?.close();
    await worker?.close();
    await engine?.close();
    await f?.close();
});

describe('OpenAI-compatible gateway over localnet, a worker and a keeper', () => {
    const costs: bigint[] = [];
    let order = '';

    it("lists the allowlisted tiny model with the worker's ask and capacity (keeper book and chain scan)", async () => {
        const list = await openai.models.list();
        expect(list.data.map((m) => m.id)).toEqual(['tiny']);
        const expected = {
            sha256: f.modelSha256,
            best_ask_nanoton_per_token: { input: PRICE_IN.toString(), output: PRICE_OUT.toString() },
            providers: 1,
            free_capacity: 4,
        };
        expect((list.data[0] as unknown as { cocoon: unknown }).cocoon).toEqual(expected);

        // Without a keeper the same view comes from the Provider contracts on the chain...
        const scan = await new ChainMarketView({ endpoint: f.localnet.url, registry: f.registry }).models();
        expect(scan).toEqual([
            {
                id: 'tiny',
                hash: f.modelSha256,
                bestAskIn: PRICE_IN,
                bestAskOut: PRICE_OUT,
                providers: 1,
                freeCapacity: 4,
            },
        ]);
        // ...and with the scan off, providers are reported unknown (0, no ask).
        const blind = await new ChainMarketView({
            endpoint: f.localnet.url,
            registry: f.registry,
            scanChain: false,
        }).models();
        expect(blind[0]).toMatchObject({ id: 'tiny', bestAskIn: null, providers: 0, freeCapacity: 0 });
    });

    it('answers a chat completion with tokens, nanoTON and the receipt; headers name provider and order', async () => {
        const { data, response } = await openai.chat.completions
            .create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8 })
            .withResponse();
        expect(data.object).toBe('chat.completion');
        expect(typeof data.choices[0].message.content).toBe('string');
        expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
        expect(data.usage!.completion_tokens).toBeGreaterThan(0);
        expect(data.usage!.completion_tokens).toBeLessThanOrEqual(8);
        const u = cocoon(data.usage);
        const cost = BigInt(data.usage!.prompt_tokens) * PRICE_IN + BigInt(data.usage!.completion_tokens) * PRICE_OUT;
        expect(u.cost_nanoton.total).toBe(cost.toString());
        expect(u.receipt_seqno).toBe(1);
        costs.push(cost);
        order = response.headers.get('x-cocoon-order')!;
        expect(Address.parse(response.headers.get('x-cocoon-provider')!).equals(worker.providerAddress)).toBe(true);
        const d = await client.orderData(order);
        expect(Number(d.state)).toBe(OrderState.MATCHED);
        expect([d.priceIn, d.priceOut]).toEqual([PRICE_IN, PRICE_OUT]);
    });

    it('streams a chat completion as SSE chunks with usage in the last chunk', async () => {
        const { data: stream, response } = await openai.chat.completions
            .create({
                model: 'tiny',
                messages: [{ role: 'user', content: 'Tell me more' }],
                max_tokens: 8,
                stream: true,
            })
            .withResponse();
        expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
        expect(response.headers.get('x-cocoon-order')).toBe(order);
        let text = '';
        let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
        let chunks = 0;
        for await (const chunk of stream) {
            chunks++;
            text += chunk.choices[0]?.delta?.content ?? '';
            last = chunk;
        }
        expect(chunks).toBeGreaterThan(1);
        expect(last!.choices[0].finish_reason).not.toBeNull();
        const usage = last!.usage!;
        expect(usage.completion_tokens).toBeGreaterThan(0);
        expect(cocoon(usage).receipt_seqno).toBe(2);
        const cost = BigInt(usage.prompt_tokens) * PRICE_IN + BigInt(usage.completion_tokens) * PRICE_OUT;
        expect(cocoon(usage).cost_nanoton.total).toBe(cost.toString());
        costs.push(cost);
        expect(typeof text).toBe('string');
    });

    it('answers a legacy completion on the same order', async () => {
        const { data, response } = await openai.completions
            .create({ model: f.modelSha256, prompt: 'Once upon a time', max_tokens: 6 })
            .withResponse();
        expect(data.object).toBe('text_completion');
        expect(typeof data.choices[0].text).toBe('string');
        expect(response.headers.get('x-cocoon-order')).toBe(order);
        const u = cocoon(data.usage);
        expect(u.receipt_seqno).toBe(3);
        const cost = BigInt(data.usage!.prompt_tokens) * PRICE_IN + BigInt(data.usage!.completion_tokens) * PRICE_OUT;
        expect(u.cost_nanoton.total).toBe(cost.toString());
        costs.push(cost);
    });

    it('answers bad requests with OpenAI-shaped errors', async () => {
        await expect(openai.chat.completions.create({ model: 'tiny' } as never)).rejects.toMatchObject({
            status: 400,
            type: 'invalid_request_error',
            param: 'messages',
        });
        await expect(
            openai.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] }),
        ).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
        await expect(openai.completions.create({ model: 'tiny' } as never)).rejects.toMatchObject({
            status: 400,
            param: 'prompt',
        });
    });

    it('on-chain: the claim pays exactly the receipts; closing the orders refunds the rest', async () => {
        const address = Address.parse(order);
        const claim = await worker.claimer.claimOrder(address);
        expect(claim.action).not.toBe('none');
        const o = f.client.open(Order.fromAddress(address));
        const total = costs.reduce((a, b) => a + b, 0n);
        await waitUntil('claim applied', async () => (await o.getOrderData()).seqno === 3n, 30_000);
        const d = await o.getOrderData();
        expect(d.paid).toBe(total);
        expect(client.lastReceipt(order)!.fields.seqno).toBe(3);

        const settled = await orders.closeEach(60_000);
        expect(settled).toHaveLength(1);
        expect(settled[0].order).toBe(order);
        const s = settled[0].settlement!;
        expect(s.state).toBe('settled');
        expect(s.paid).toBe(total);
        // The refund is the budget less what was paid (the order's leftover gas reserve rides along).
        expect(s.refund).toBeGreaterThan(d.budget - total - toNano('0.05'));
        expect(s.refund).toBeLessThanOrEqual(d.budget - total + toNano('0.1'));
        expect(s.balanceDelta).toBeGreaterThan(s.refund - toNano('0.05'));
        expect(Number((await o.getOrderData()).state)).toBe(OrderState.SETTLED);
        expect(orders.openOrders()).toEqual([]);
    }, 90_000);
});

import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { Address, Cell } from '@ton/core';
import pino from 'pino';
import { Enclave } from '../../worker/enclave/enclave';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { ChainClient } from '../../worker/host/chain';
import { ConfigError, parseConfig, WorkerConfig } from '../../worker/host/config';
import { RunningWorker, startWorker } from '../../worker/host/worker';
import { Claimer } from '../../worker/host/claimer';
import { createSimulatedBackend } from '../../attestation';
import { Order } from '../../wrappers/Order';
import { Provider } from '../../wrappers/Provider';
import { externalClaimMin } from '../../wrappers/Constants';
import { receiptFromCell, verifyReceipt } from '../../wrappers/formats/receipt';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { TestClient, LastReceipt } from '../worker/helpers';
import { createOrder, MarketFixture, matchOrder, startMarket, workerConfigFor } from './fixture';

const PRICE_IN = 200_000n;
const PRICE_OUT = 400_000n;
const silent = pino({ level: 'silent' });

let f: MarketFixture;
let engine: LlamaEngine;
let worker: RunningWorker;
let config: WorkerConfig;

function orderFile(order: Address) {
    return join(config.dataDir, 'orders', `0_${order.hash.toString('hex')}.jsonl`);
}

async function post(order: Address, body: unknown) {
    const res = await fetch(`${worker.url}/v1/orders/${order.toString()}/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
}

function wire(input: Awaited<ReturnType<TestClient['request']>>['input']) {
    return {
        requestBoc: Buffer.from(input.requestCell as Buffer).toString('base64'),
        clientSignature: input.clientSignature.toString('hex'),
        payload: { enc: input.payload.enc.toString('base64'), ciphertext: input.payload.ciphertext.toString('base64') },
        lastReceipt: input.lastReceipt
            ? {
                  boc: Buffer.from(input.lastReceipt.cell as Buffer).toString('base64'),
                  signature: input.lastReceipt.signature.toString('hex'),
              }
            : undefined,
    };
}

beforeAll(async () => {
    f = await startMarket();
    engine = await LlamaEngine.load({ modelPath: f.modelPath, gpu: false, threads: 1 });
    config = parseConfig(
        workerConfigFor(
            f,
            { priceIn: PRICE_IN, priceOut: PRICE_OUT },
            { claim: { intervalMs: 60_000, externalMin: '20000000' } },
        ),
    );
    worker = await startWorker(config, {
        verifiers: [f.localVerifier()],
        mnemonic: f.wallets[1].mnemonic,
        engines: new Map([[f.modelSha256, engine]]),
        logger: silent,
        background: false,
    });
}, 60_000);

afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await f?.close();
});

describe('worker host on localnet', () => {
    let client: TestClient;
    let order: Address;
    let last: LastReceipt;

    it('registers through the verifier and publishes its offers', async () => {
        const p = f.client.open(Provider.fromAddress(worker.providerAddress));
        const d = await p.getProviderData();
        expect(d.enclaveKey).toBe(bufferToUint256(worker.enclave.publicKeys().ed25519Pub));
        expect(d.x25519Key).toBe(bufferToUint256(worker.enclave.publicKeys().x25519Pub));
        expect(d.measurement).toBe(bufferToUint256(f.measurement));
        expect(d.endpoint).toBe(worker.url);
        expect(d.capacity).toBe(4n);
        expect(d.stake).toBe(2_000_000_000n);
        const ask = (await p.getAsks()).get(BigInt('0x' + f.modelSha256));
        expect([ask?.priceIn, ask?.priceOut]).toEqual([PRICE_IN, PRICE_OUT]);

        const att = (await (await fetch(`${worker.url}/v1/attestation`)).json()) as any;
        expect(att.x25519Pub).toBe(worker.enclave.publicKeys().x25519Pub.toString('hex'));
        expect(att.measurement).toBe(f.measurement.toString('hex'));
        expect(att.tee).toBe('simulated');
        expect(att.models).toEqual([{ sha256: f.modelSha256, priceIn: '200000', priceOut: '400000' }]);
        expect(Address.parse(att.provider).equals(worker.providerAddress)).toBe(true);
        expect(att.nonce).toMatch(/^[0-9a-f]{64}$/);
    });

    it('serves an encrypted request for its order and persists the receipt before answering', async () => {
        const att = (await (await fetch(`${worker.url}/v1/attestation`)).json()) as any;
        client = new TestClient(Buffer.from(att.x25519Pub, 'hex'), {
            order: Address.parse('0:' + '00'.repeat(32)),
            model: Buffer.from(f.modelSha256, 'hex'),
            priceIn: PRICE_IN,
            priceOut: PRICE_OUT,
        });
        order = await createOrder(f, f.wallets[2], client.key.publicKey);
        client.terms.order = order;
        expect(
            await matchOrder(f, f.wallets[3], order, worker.walletAddress, { askIn: PRICE_IN, askOut: PRICE_OUT }),
        ).toBe(2);

        const req = await client.request({ payload: { prompt: 'hello worker' }, maxTokens: 16 });
        const res = await post(order, wire(req.input));
        expect(res.status).toBe(200);
        const answer = req.open(Buffer.from(res.body.responseCiphertext, 'base64'));
        expect(answer.tokensOut).toBe(16);
        expect(res.body.tokensOut).toBe(16);
        const cell = Cell.fromBoc(Buffer.from(res.body.receipt.boc, 'base64'))[0];
        const sig = Buffer.from(res.body.receipt.signature, 'hex');
        expect(verifyReceipt(cell, sig, worker.enclave.publicKeys().ed25519Pub)).toBe(true);
        last = { cell, signature: sig, fields: receiptFromCell(cell) };
        expect(last.fields.seqno).toBe(1);

        // On disk, with the exact receipt returned.
        const lines = readFileSync(orderFile(order), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ kind: 'served', seqno: 1, receiptBoc: res.body.receipt.boc });

        // A retry of the identical request is answered from the store, never re-run.
        const again = await post(order, wire(req.input));
        expect(again.status).toBe(200);
        expect(again.body).toEqual(res.body);
        expect(readFileSync(orderFile(order), 'utf8').trim().split('\n')).toHaveLength(1);
        const metrics = await (await fetch(`${worker.url}/metrics`)).text();
        expect(metrics).toMatch(/cocoon_worker_requests_total\{outcome="cached"\} 1/);
        expect(metrics).toMatch(/cocoon_worker_requests_total\{outcome="served"\} 1/);
    });

    it('claims the receipt on-chain (internal Claim below the external minimum): seqno and paid exact', async () => {
        const cost = last.fields.tokensIn * PRICE_IN + last.fields.tokensOut * PRICE_OUT;
        expect(cost).toBeLessThan(10_000_000n);
        const out = await worker.claimer.claimOrder(order);
        expect(out).toMatchObject({ action: 'claimed', seqno: 1, via: 'internal', final: false, delta: cost });
        const d = await f.client.open(Order.fromAddress(order)).getOrderData();
        expect(d.seqno).toBe(1n);
        expect(d.paid).toBe(cost);
        // Nothing new to claim: a second pass sends nothing.
        expect(await worker.claimer.claimOrder(order)).toMatchObject({ action: 'none' });
    });

    it('continues the session and claims by external message when the delta covers its fee', async () => {
        const req = await client.request({ payload: { prompt: 'more please' }, maxTokens: 64, last });
        const res = await post(order, wire(req.input));
        expect(res.status).toBe(200);
        const cell = Cell.fromBoc(Buffer.from(res.body.receipt.boc, 'base64'))[0];
        const fields = receiptFromCell(cell);
        expect(fields.seqno).toBe(2);
        const cost = fields.tokensIn * PRICE_IN + fields.tokensOut * PRICE_OUT;
        const before = await f.client.open(Order.fromAddress(order)).getOrderData();
        const out = await worker.claimer.claimOrder(order);
        expect(out).toMatchObject({ action: 'claimed', seqno: 2, via: 'external', delta: cost - before.paid });
        const d = await f.client.open(Order.fromAddress(order)).getOrderData();
        expect(d.seqno).toBe(2n);
        expect(d.paid).toBe(cost);
        last = { cell, signature: Buffer.from(res.body.receipt.signature, 'hex'), fields };
    });

    it('the claims are held in the Order; past payoutMin the wallet asks it to forward them to the Provider', async () => {
        const o = f.client.open(Order.fromAddress(order));
        const before = await o.getOrderData();
        expect(before.heldNet).toBeGreaterThan(0n);
        const provider = f.client.open(Provider.fromAddress(worker.providerAddress));
        const pBefore = await provider.getProviderData();
        // the configured threshold (default 1 TON) is far above this session: nothing happens
        expect(await worker.claimer.payoutIfWorth(order)).toBe(false);
        // a claimer with a threshold below what the order holds sends OrderPayout from the wallet
        const claimer = new Claimer(
            worker.chain,
            worker.store,
            { ...config.claim, payoutMin: before.heldNet },
            silent,
            worker.metrics,
        );
        expect(await claimer.payoutIfWorth(order)).toBe(true);
        const after = await o.getOrderData();
        expect([after.held, after.heldNet, after.paid]).toEqual([0n, 0n, before.paid]);
        const pAfter = await provider.getProviderData();
        expect(pAfter.feesOwed - pBefore.feesOwed).toBe((before.held * 100n) / 10000n);
        expect(pAfter.pendingNew + pAfter.pendingOld).toBeGreaterThan(
            pBefore.pendingNew + pBefore.pendingOld + before.heldNet - pAfter.feesOwed,
        );
        const metrics = await (await fetch(`${worker.url}/metrics`)).text();
        expect(metrics).toMatch(/cocoon_worker_payouts_total 1/);
    });

    it('refuses a seqno it already served with a different request (no second receipt)', async () => {
        const req = await client.request({ payload: { prompt: 'again' }, maxTokens: 4, override: { seqno: 2 } });
        const res = await post(order, wire(req.input));
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('REPLAYED_REQUEST');
    });

    it('refuses orders that are not matched, or matched to another provider: 4xx, no receipt', async () => {
        const other = new TestClient(client.enclaveX25519, { ...client.terms });
        const open = await createOrder(f, f.wallets[2], other.key.publicKey);
        other.terms.order = open;
        const r1 = await post(open, wire((await other.request({ payload: { prompt: 'x' }, maxTokens: 4 })).input));
        expect(r1.status).toBe(409);
        expect(r1.body.error.code).toBe('ORDER_NOT_LIVE');

        // A second provider (wallet 0) registers with its own enclave; the order goes to it.
        const chain0 = await ChainClient.create({
            endpoint: f.localnet.url,
            network: 'localnet',
            registry: f.registry,
            mnemonic: f.wallets[0].mnemonic,
            logger: silent,
        });
        const enclave0 = await Enclave.create({
            network: 7357,
            registry: f.registry,
            provider: chain0.walletAddress,
            models: new Map(),
            tee: await createSimulatedBackend({ dataDir: f.dataDir }),
        });
        await chain0.register(enclave0, [f.localVerifier()], 1_000_000_000n);
        await chain0.configureOffers(
            [{ sha256: Buffer.from(f.modelSha256, 'hex'), priceIn: 1n, priceOut: 1n }],
            2,
            'http://other',
        );
        expect(await matchOrder(f, f.wallets[3], open, chain0.walletAddress, { askIn: 1n, askOut: 1n })).toBe(2);
        const r2 = await post(open, wire((await other.request({ payload: { prompt: 'x' }, maxTokens: 4 })).input));
        expect(r2.status).toBe(403);
        expect(r2.body.error.code).toBe('WRONG_PROVIDER');
        expect(existsSync(orderFile(open))).toBe(false);

        // An enclave refusal keeps its code: a bad client signature.
        const bad = await client.request({
            payload: { prompt: 'x' },
            maxTokens: 4,
            last,
            signWith: other.key.secretKey,
        });
        const r3 = await post(order, wire(bad.input));
        expect(r3.status).toBe(401);
        expect(r3.body.error.code).toBe('BAD_CLIENT_SIGNATURE');
    });
});

describe('worker config', () => {
    it('lists every problem with its path', () => {
        expect(() =>
            parseConfig({ network: 'moon', models: [{ path: 'x', sha256: 'zz', priceIn: 1, priceOut: 1 }] }),
        ).toThrow(ConfigError);
        try {
            parseConfig({ network: 'moon', models: [{ path: 'x', sha256: 'zz', priceIn: 1, priceOut: 1 }] });
        } catch (e) {
            const m = (e as Error).message;
            expect(m).toMatch(/network/);
            expect(m).toMatch(/endpoint/);
            expect(m).toMatch(/models\.0\.sha256/);
        }
    });
    it('defaults the claim policy from the contracts, and refuses a payout threshold below a payout', () => {
        const base = {
            network: 'localnet',
            endpoint: 'http://127.0.0.1:1/jsonRPC',
            registry: '0:' + '11'.repeat(32),
            dataDir: '/tmp/x',
            models: [{ path: 'x', priceIn: '1', priceOut: '1' }],
        };
        const c = parseConfig(base);
        expect(c.claim.externalMin).toBe(externalClaimMin(false));
        expect(c.claim.payoutMin).toBe(1_000_000_000n);
        expect(parseConfig({ ...base, claim: { payoutMin: '0' } }).claim.payoutMin).toBe(0n);
        expect(parseConfig({ ...base, claim: { payoutMin: '0.25' } }).claim.payoutMin).toBe(250_000_000n);
        expect(() => parseConfig({ ...base, claim: { payoutMin: '0.01' } })).toThrow(/claim\.payoutMin/);
    });
    it('refuses a mainnet worker without real TDX', () => {
        expect(() =>
            parseConfig({
                network: 'mainnet',
                endpoint: 'https://toncenter.com/api/v2/jsonRPC',
                registry: '0:' + '11'.repeat(32),
                teeMode: 'auto',
                dataDir: '/tmp/x',
                models: [{ path: 'x', priceIn: '1', priceOut: '1' }],
            }),
        ).toThrow(/tdx/);
    });
});

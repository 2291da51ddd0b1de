/**
 * A worker restarts with NEW enclave keys (a reboot of the TDX guest): the same provider wallet renews its
 * attestation (RegisterProvider renewal), pushes the new key to its live order (PushKey → the Order keeps the
 * old key as prevEnclaveKey), serves the client's next request that carries the receipt the OLD enclave signed,
 * and both the old-key receipt and the new one are claimed on-chain. Two restarts before a claim: every unclaimed
 * receipt is claimed before the new key is pushed, so receipts of the first enclave still get paid.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Address, Cell } from '@ton/core';
import pino from 'pino';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { parseConfig, WorkerConfig } from '../../worker/host/config';
import { RunningWorker, startWorker } from '../../worker/host/worker';
import { OrderState } from '../../wrappers/Constants';
import { Order } from '../../wrappers/Order';
import { Provider } from '../../wrappers/Provider';
import { receiptCost, receiptFromCell, verifyReceipt } from '../../wrappers/formats/receipt';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { LastReceipt, TestClient } from '../worker/helpers';
import { createOrder, MarketFixture, matchOrder, startMarket, workerConfigFor } from './fixture';

const PRICE_IN = 100_000n;
const PRICE_OUT = 200_000n;
const silent = pino({ level: 'silent' });

let f: MarketFixture;
let engine: LlamaEngine;
let config: WorkerConfig;
const running: RunningWorker[] = [];

async function start(): Promise<RunningWorker> {
    const w = await startWorker(config, {
        verifiers: [f.localVerifier()],
        mnemonic: f.wallets[1].mnemonic,
        engines: new Map([[f.modelSha256, engine]]),
        logger: silent,
        background: false,
    });
    running.push(w);
    return w;
}

async function post(w: RunningWorker, order: Address, req: Awaited<ReturnType<TestClient['request']>>) {
    const i = req.input;
    const res = await fetch(`${w.url}/v1/orders/${order.toString()}/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            requestBoc: Buffer.from(i.requestCell as Buffer).toString('base64'),
            clientSignature: i.clientSignature.toString('hex'),
            payload: { enc: i.payload.enc.toString('base64'), ciphertext: i.payload.ciphertext.toString('base64') },
            lastReceipt: i.lastReceipt
                ? {
                      boc: Buffer.from(i.lastReceipt.cell as Buffer).toString('base64'),
                      signature: i.lastReceipt.signature.toString('hex'),
                  }
                : undefined,
        }),
    });
    const body = (await res.json()) as any;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
    const cell = Cell.fromBoc(Buffer.from(body.receipt.boc, 'base64'))[0];
    const signature = Buffer.from(body.receipt.signature, 'hex');
    const answer = req.open(Buffer.from(body.responseCiphertext, 'base64'));
    return { answer, receipt: { cell, signature, fields: receiptFromCell(cell) } as LastReceipt };
}

beforeAll(async () => {
    f = await startMarket();
    engine = await LlamaEngine.load({ modelPath: f.modelPath, gpu: false, threads: 1 });
    config = parseConfig(
        workerConfigFor(
            f,
            { priceIn: PRICE_IN, priceOut: PRICE_OUT },
            { claim: { intervalMs: 60_000, externalMin: '10000000' } },
        ),
    );
}, 60_000);

afterAll(async () => {
    for (const w of running) await w.close().catch(() => undefined);
    await engine?.close();
    await f?.close();
});

describe('worker restart with new enclave keys', () => {
    it('renews, pushes the key to the live order, serves on the old receipt and claims both', async () => {
        const first = await start();
        const oldKey = first.enclave.publicKeys().ed25519Pub;
        const client = new TestClient(first.enclave.publicKeys().x25519Pub, {
            order: Address.parse('0:' + '00'.repeat(32)),
            model: Buffer.from(f.modelSha256, 'hex'),
            priceIn: PRICE_IN,
            priceOut: PRICE_OUT,
        });
        const order = await createOrder(f, f.wallets[2], client.key.publicKey);
        client.terms.order = order;
        expect(
            await matchOrder(f, f.wallets[3], order, first.walletAddress, { askIn: PRICE_IN, askOut: PRICE_OUT }),
        ).toBe(2);
        const one = await post(first, order, await client.request({ payload: { prompt: 'before' }, maxTokens: 16 }));
        expect(one.receipt.fields.seqno).toBe(1);
        expect(verifyReceipt(one.receipt.cell, one.receipt.signature, oldKey)).toBe(true);
        await first.close();
        running.splice(running.indexOf(first), 1);

        // A new instance on the same data dir and wallet: fresh enclave keys.
        const second = await start();
        const newKey = second.enclave.publicKeys().ed25519Pub;
        expect(newKey.equals(oldKey)).toBe(false);
        expect(second.registration?.renewal).toBe(true);
        const p = await f.client.open(Provider.fromAddress(second.providerAddress)).getProviderData();
        expect(p.enclaveKey).toBe(bufferToUint256(newKey));
        const o = f.client.open(Order.fromAddress(order));
        let d = await o.getOrderData();
        expect(d.enclaveKey).toBe(bufferToUint256(newKey));
        expect(d.prevEnclaveKey).toBe(bufferToUint256(oldKey));

        // The old-key receipt (the only one persisted so far) was claimed by the new instance at start-up,
        // before the key push.
        expect(await second.claimer.claimOrder(order)).toMatchObject({ action: 'none' });
        d = await o.getOrderData();
        expect(d.seqno).toBe(1n);
        expect(d.paid).toBe(receiptCost(one.receipt.fields, PRICE_IN, PRICE_OUT));

        // The client continues with the receipt the old enclave signed; the new enclave serves it.
        client.enclaveX25519 = second.enclave.publicKeys().x25519Pub;
        const two = await post(
            second,
            order,
            await client.request({ payload: { prompt: 'after' }, maxTokens: 64, last: one.receipt }),
        );
        expect(two.answer.tokensOut).toBeGreaterThan(0);
        expect(two.receipt.fields.seqno).toBe(2);
        expect(verifyReceipt(two.receipt.cell, two.receipt.signature, newKey)).toBe(true);

        const c2 = await second.claimer.claimOrder(order);
        expect(c2).toMatchObject({ action: 'claimed', seqno: 2 });
        d = await o.getOrderData();
        expect(d.seqno).toBe(2n);
        expect(d.paid).toBe(receiptCost(two.receipt.fields, PRICE_IN, PRICE_OUT));

        // Both receipts are on disk, each with the key that signed it.
        const lines = readFileSync(join(config.dataDir, 'orders', `0_${order.hash.toString('hex')}.jsonl`), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
            .filter((l) => l.kind === 'served');
        expect(lines.map((l) => [l.seqno, l.enclaveKey])).toEqual([
            [1, oldKey.toString('hex')],
            [2, newKey.toString('hex')],
        ]);
    }, 120_000);

    it('two restarts before a claim: receipts the first enclave signed are still paid', async () => {
        for (const w of running.splice(0)) await w.close();
        const first = await start();
        const k1 = first.enclave.publicKeys().ed25519Pub;
        const terms = () => ({
            order: Address.parse('0:' + '00'.repeat(32)),
            model: Buffer.from(f.modelSha256, 'hex'),
            priceIn: PRICE_IN,
            priceOut: PRICE_OUT,
        });
        // Order A: a receipt worth more than minClaim; order B: one below it (the Order refuses it non-final).
        const ca = new TestClient(first.enclave.publicKeys().x25519Pub, terms());
        const cb = new TestClient(first.enclave.publicKeys().x25519Pub, terms());
        const a = await createOrder(f, f.wallets[2], ca.key.publicKey);
        ca.terms.order = a;
        const b = await createOrder(f, f.wallets[2], cb.key.publicKey);
        cb.terms.order = b;
        for (const o of [a, b]) {
            expect(
                await matchOrder(f, f.wallets[3], o, first.walletAddress, { askIn: PRICE_IN, askOut: PRICE_OUT }),
            ).toBe(2);
        }
        const ra = await post(first, a, await ca.request({ payload: { prompt: 'first enclave' }, maxTokens: 16 }));
        const rb = await post(first, b, await cb.request({ payload: { prompt: 'a' }, maxTokens: 1 }));
        const oa = f.client.open(Order.fromAddress(a));
        const ob = f.client.open(Order.fromAddress(b));
        const { minClaim } = await first.chain.orderConfig(a);
        const costA = receiptCost(ra.receipt.fields, PRICE_IN, PRICE_OUT);
        const costB = receiptCost(rb.receipt.fields, PRICE_IN, PRICE_OUT);
        expect(costA).toBeGreaterThanOrEqual(minClaim);
        expect(costB).toBeLessThan(minClaim);
        await first.close();
        running.splice(running.indexOf(first), 1);

        // Restart 1: A's receipt is claimed (non-final) before the key push; B's stays claimable under the
        // previous key (the Order would refuse it below minClaim unless final).
        const second = await start();
        const k2 = second.enclave.publicKeys().ed25519Pub;
        let da = await oa.getOrderData();
        expect(da.seqno).toBe(1n);
        expect(da.paid).toBe(costA);
        expect(da.enclaveKey).toBe(bufferToUint256(k2));
        let db = await ob.getOrderData();
        expect(db.seqno).toBe(0n);
        expect(db.prevEnclaveKey).toBe(bufferToUint256(k1));
        await second.close();
        running.splice(running.indexOf(second), 1);

        // Restart 2: the push would drop k1, so B's receipt is claimed first, as final (the only claim the Order
        // takes below minClaim). A (already paid) just learns the new key and stays live.
        const third = await start();
        const k3 = third.enclave.publicKeys().ed25519Pub;
        db = await ob.getOrderData();
        expect(Number(db.state)).toBe(OrderState.SETTLED);
        expect(db.seqno).toBe(1n);
        expect(db.paid).toBe(costB);
        da = await oa.getOrderData();
        expect(Number(da.state)).toBe(OrderState.MATCHED);
        expect(da.paid).toBe(costA);
        expect(da.enclaveKey).toBe(bufferToUint256(k3));
        expect(da.prevEnclaveKey).toBe(bufferToUint256(k2));
        expect(third.store.get(b)?.claimed).toMatchObject({ seqno: 1, final: true });
        expect(third.store.get(b)?.done).toBeDefined();
    }, 180_000);
});

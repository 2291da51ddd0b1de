/**
 * A worker restarts with NEW enclave keys (a reboot of the TDX guest): the same provider wallet renews its
 * attestation (RegisterProvider renewal), pushes the new key to its live order (PushKey → the Order keeps the
 * old key as prevEnclaveKey), serves the client's next request that carries the receipt the OLD enclave signed,
 * and both the old-key receipt and the new one are claimed on-chain.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Address, Cell } from '@ton/core';
import pino from 'pino';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { parseConfig, WorkerConfig } from '../../worker/host/config';
import { RunningWorker, startWorker } from '../../worker/host/worker';
import { Order } from '../../wrappers/Order';
import { Provider } from '../../wrappers/Provider';
import { receiptCost, receiptFromCell, verifyReceipt } from '../../wrappers/formats/receipt';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { LastReceipt, TestClient } from '../worker/helpers';
import { createOrder, MarketFixture, matchOrder, startMarket } from './fixture';

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
    config = parseConfig({
        network: 'localnet',
        endpoint: f.localnet.url,
        registry: f.registry.toString(),
        teeMode: 'simulated',
        dataDir: f.dataDir,
        models: [
            { path: f.modelPath, sha256: f.modelSha256, priceIn: PRICE_IN.toString(), priceOut: PRICE_OUT.toString() },
        ],
        capacity: 4,
        listen: { host: '127.0.0.1', port: 0 },
        stake: '2',
        claim: { intervalMs: 60_000, externalMin: '10000000' },
        withdrawIntervalMs: 0,
        logLevel: 'silent',
    });
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

        // The old-key receipt (the only one persisted so far) is claimed by the new instance.
        const c1 = await second.claimer.claimOrder(order);
        expect(c1).toMatchObject({ action: 'claimed', seqno: 1 });
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
});

/**
 * The buyer's path end to end: a real Enclave (tiny model) behind a test double of the worker host, a market on
 * an in-process localnet, and the SDK doing everything a client does: order, match, attestation, two encrypted
 * questions with verified cumulative receipts, refusals of bad attestations and tampered receipts, closing
 * with a refund, and an unreachable worker that gets its order closed.
 */
import { Address, Cell } from '@ton/core';
import * as path from 'path';
import { buildSimulatedQuote, computeReportData, INTEL_SGX_ROOT_CA_DER } from '../../attestation';
import { CocoonClient, ClientError } from '../../client/sdk';
import { OrderState } from '../../wrappers/Constants';
import { receiptCost, receiptFromCell, receiptToCell } from '../../wrappers/formats/receipt';
import { Harness, NETWORK, PRICE_IN, PRICE_OUT, startHarness } from './harness';

let h: Harness;
let client: CocoonClient;

async function makeClient(over: Partial<Parameters<typeof CocoonClient.create>[0]> = {}) {
    return CocoonClient.create({
        tonClient: h.ton,
        wallet: { keyPair: h.localnet.wallets[0].keyPair },
        registry: h.registry,
        network: 'localnet',
        trust: { rootDer: h.devRoot.rootCertDer, collateral: h.collateral },
        dataDir: path.join(h.dir, 'client'),
        pollMs: 100,
        ...over,
    });
}

async function expectCode(p: Promise<unknown>, code: string): Promise<ClientError> {
    try {
        await p;
    } catch (e) {
        expect(e).toBeInstanceOf(ClientError);
        expect((e as ClientError).code).toBe(code);
        return e as ClientError;
    }
    throw new Error(`expected ${code}, nothing was thrown`);
}

/** Creates an order, lets the keeper match it to `owner`, waits for the match. */
async function matchedOrder(owner?: Address) {
    const s = await client.createOrder({
        model: h.model,
        budget: 100_000_000n,
        maxPriceIn: 1000n,
        maxPriceOut: 1000n,
        matchWithinS: 60,
        firstReceiptWindowS: 300,
        lifeS: 1200,
    });
    const waiting = client.waitForMatch(s.order, 30_000);
    await h.match(BigInt(s.orderId), owner);
    await waiting;
    return s;
}

beforeAll(async () => {
    h = await startHarness();
    client = await makeClient();
}, 60_000);

afterAll(async () => {
    await h?.close();
});

describe('a session with a verified enclave', () => {
    let order: string;

    it('creates an order with a fresh session key, the budget escrowed and the key kept locally', async () => {
        const s = await matchedOrder();
        order = s.order;
        const d = await client.orderData(order);
        expect(Number(d.state)).toBe(OrderState.MATCHED);
        expect(d.client.equals(client.walletAddress)).toBe(true);
        expect(d.clientKey.toString(16).padStart(64, '0')).toBe(s.clientKey);
        // the budget is what arrived less match fee and reserve: the unused part of the creation gas joins it
        expect(d.budget).toBeGreaterThanOrEqual(100_000_000n);
        expect(d.budget).toBeLessThan(100_000_000n + 30_000_000n);
        expect([d.priceIn, d.priceOut]).toEqual([PRICE_IN, PRICE_OUT]);
        const key = client.store.loadKey(order);
        expect(key.subarray(32).toString('hex')).toBe(s.clientKey);
    });

    it('answers two questions with verified cumulative receipts and the right cost', async () => {
        const a1 = await client.ask(order, 'Hello there', { maxTokens: 8 });
        expect(a1.text.length).toBeGreaterThan(0);
        expect(a1.tokensOut).toBeGreaterThan(0);
        expect(a1.receipt.fields.seqno).toBe(1);
        expect(a1.cost).toBe(BigInt(a1.tokensIn) * PRICE_IN + BigInt(a1.tokensOut) * PRICE_OUT);

        const a2 = await client.ask(order, [{ role: 'user', content: 'And again?' }], { maxTokens: 6 });
        expect(a2.receipt.fields.seqno).toBe(2);
        expect(a2.receipt.fields.tokensIn).toBe(BigInt(a1.tokensIn + a2.tokensIn));
        expect(a2.receipt.fields.tokensOut).toBe(BigInt(a1.tokensOut + a2.tokensOut));
        expect(a2.totalCost).toBe(a1.cost + a2.cost);
        expect(receiptCost(a2.receipt.fields, PRICE_IN, PRICE_OUT)).toBe(a2.totalCost);
        expect(client.session(order).receipts.map((r) => r.seqno)).toEqual([1, 2]);
        expect(client.session(order).provider?.ed25519Pub).toBe(h.enclave.publicKeys().ed25519Pub.toString('hex'));
    });

    it('accepts the genuine attestation document', async () => {
        const doc = await client.fetchAttestation(h.hostUrl);
        const v = await client.verifyProvider(doc, order);
        expect(v.tcbStatus).toBe('UpToDate');
        expect(v.owner.equals(h.providerOwner)).toBe(true);
    });

    it('refuses a quote whose measurement is not allowlisted', async () => {
        const doc = await client.fetchAttestation(h.hostUrl);
        const rogue = buildSimulatedQuote(h.devRoot, computeReportData({ ...keysOf(doc), ...bind(doc) }), {
            image: 'rogue image',
        });
        const e = await expectCode(
            client.verifyProvider({ ...doc, quote: Buffer.from(rogue) }, order),
            'ATTESTATION_INVALID',
        );
        expect(e.message).toMatch(/measurement/);
    });

    it('refuses a quote whose REPORTDATA binds another provider', async () => {
        const doc = await client.fetchAttestation(h.hostUrl);
        const other = buildSimulatedQuote(
            h.devRoot,
            computeReportData({ ...keysOf(doc), ...bind(doc), provider: h.deadProviderOwner }),
        );
        const e = await expectCode(
            client.verifyProvider({ ...doc, quote: Buffer.from(other) }, order),
            'ATTESTATION_INVALID',
        );
        expect(e.message).toMatch(/REPORTDATA/);
    });

    it("refuses a simulated quote when the client trusts Intel's root", async () => {
        const intel = await makeClient({ trust: { rootDer: INTEL_SGX_ROOT_CA_DER, collateral: h.collateral } });
        const doc = await intel.fetchAttestation(h.hostUrl);
        const e = await expectCode(intel.verifyProvider(doc, order), 'ATTESTATION_INVALID');
        expect(e.details.attestation).toBe('CERT_CHAIN');
    });

    it('refuses a document not bound to its own freshness challenge', async () => {
        const nonce = Buffer.alloc(32, 7);
        const doc = await client.fetchAttestation(h.hostUrl, nonce);
        expect(doc.nonce.equals(nonce)).toBe(true);
        await client.verifyProvider(doc, order, nonce);
        const stale = await client.fetchAttestation(h.hostUrl);
        const e = await expectCode(client.verifyProvider(stale, order, nonce), 'ATTESTATION_INVALID');
        expect(e.message).toMatch(/nonce/);
    });

    it("passes the enclave's refusal through when the signed spend cap is too low", async () => {
        const e = await expectCode(client.ask(order, 'expensive', { maxTokens: 8, maxCost: 1n }), 'WORKER_REFUSED');
        expect(e.details.refusal).toBe('SPEND_CAP_EXCEEDED');
        expect(client.session(order).receipts).toHaveLength(2);
    });

    it('refuses a tampered receipt and keeps the last good one', async () => {
        h.tamper.reply = (r) => {
            const cell = Cell.fromBoc(Buffer.from(r.receipt.boc, 'base64'))[0];
            const f = receiptFromCell(cell);
            const forged = receiptToCell({ ...f, tokensOut: f.tokensOut + 1000n });
            return { ...r, receipt: { ...r.receipt, boc: forged.toBoc().toString('base64') } };
        };
        try {
            await expectCode(client.ask(order, 'one more', { maxTokens: 4 }), 'RECEIPT_INVALID');
        } finally {
            h.tamper.reply = undefined;
        }
        expect(client.session(order).receipts).toHaveLength(2);
    });

    it('closes: the provider claims the last receipt in the grace window and the rest comes back', async () => {
        const last = client.lastReceipt(order)!;
        const budget = (await client.orderData(order)).budget;
        const wallet = client.chain.ton.open(client.chain.wallet);
        const seqno = await wallet.getSeqno();
        // The SDK closes with an ExternalClose signed by the session key: no wallet transaction.
        const closing = client.close(order, { timeoutMs: 30_000 });
        // the provider's claimer answers the close with its final claim
        await waitState(order, OrderState.CLOSING);
        await h.claim(Address.parse(order), last.cell, last.signature, true);
        const s = await closing;
        const cost = receiptCost(last.fields, PRICE_IN, PRICE_OUT);
        expect(s.state).toBe('settled');
        expect(s.paid).toBe(cost);
        // budget - paid comes back, plus what is left of the storage reserve and of the close gas
        expect(s.refund).toBeGreaterThan(budget - cost);
        expect(s.refund).toBeLessThan(budget - cost + 50_000_000n);
        expect(s.balanceDelta).toBeGreaterThan(budget - cost - 50_000_000n);
        expect(client.session(order).closed?.state).toBe('settled');
        expect(await wallet.getSeqno()).toBe(seqno);
    });
});

describe('a lost answer', () => {
    it('ask posts the same bytes again and gets the stored answer; a later ask recovers a pending one', async () => {
        const c = await makeClient({ askRetries: 2, askRetryBaseMs: 50, closeOnUnreachable: false });
        const s = await matchedOrder();
        // The worker serves, then the answer is lost once: the retry of the same bytes is answered from its
        // cache, no second run, no REPLAYED_REQUEST.
        h.tamper.dropAnswers = 1;
        const before = h.served.count;
        const a1 = await c.ask(s.order, 'first', { maxTokens: 4 });
        expect(h.tamper.dropAnswers).toBe(0);
        expect(h.served.count).toBe(before + 1);
        expect(a1.receipt.fields.seqno).toBe(1);
        expect(c.session(s.order).pending).toBeUndefined();

        // Every answer lost: ask gives up (bounded), the request stays pending on disk.
        h.tamper.dropAnswers = 100;
        await expectCode(c.ask(s.order, 'second', { maxTokens: 4 }), 'WORKER_UNREACHABLE');
        h.tamper.dropAnswers = 0;
        const pending = c.session(s.order).pending;
        expect(pending?.seqno).toBe(2);
        expect(h.served.count).toBe(before + 2);

        // A new client process (same data dir): its next ask first recovers seqno 2, then asks seqno 3.
        const again = await makeClient({ askRetries: 2, askRetryBaseMs: 50 });
        const a3 = await again.ask(s.order, 'third', { maxTokens: 4 });
        expect(a3.receipt.fields.seqno).toBe(3);
        expect(h.served.count).toBe(before + 3);
        const session = again.session(s.order);
        expect(session.receipts.map((r) => r.seqno)).toEqual([1, 2, 3]);
        expect(session.receipts[1].requestHash).toBe(
            Cell.fromBoc(Buffer.from(pending!.body.requestBoc, 'base64'))[0].hash().toString('hex'),
        );
        expect(session.pending).toBeUndefined();
        // Closing from the wallet instead (Close with CLOSE_GAS): the order moves to its grace window.
        const closed = await again.close(s.order, { wait: false, via: 'wallet' });
        expect(closed.state).toBe('closing');
    });
});

describe('failures', () => {
    it('an unreachable worker gives WORKER_UNREACHABLE and the order is closed so it refunds', async () => {
        const s = await matchedOrder(h.deadProviderOwner);
        const e = await expectCode(client.ask(s.order, 'anyone there?'), 'WORKER_UNREACHABLE');
        expect(e.details.closed).toBe(true);
        expect(Number((await client.orderData(s.order)).state)).toBe(OrderState.CLOSING);
        const settled = await client.waitForSettlement(s.order, { timeoutMs: 30_000 });
        expect(settled.state).toBe('settled');
        expect(settled.paid).toBe(0n);
        expect(settled.refund).toBeGreaterThan(90_000_000n);
    });

    it('no match before the deadline gives NO_PROVIDER with the order refunded', async () => {
        const s = await client.createOrder({
            model: h.model,
            budget: 60_000_000n,
            maxPriceIn: 1000n,
            maxPriceOut: 1000n,
            matchWithinS: 30,
        });
        const e = await expectCode(client.waitForMatch(s.order, 500), 'NO_PROVIDER');
        expect(e.details.refund).toBeGreaterThan(60_000_000n);
        expect(Number((await client.orderData(s.order)).state)).toBe(OrderState.EXPIRED);
    });

    it('a budget under the minimum is refused before anything is sent', async () => {
        await expectCode(
            client.createOrder({ model: h.model, budget: 1000n, maxPriceIn: 1n, maxPriceOut: 1n }),
            'BUDGET_TOO_SMALL',
        );
    });
});

function keysOf(doc: { ed25519Pub: Buffer; x25519Pub: Buffer }) {
    return { ed25519Pub: doc.ed25519Pub, x25519Pub: doc.x25519Pub };
}

function bind(doc: { nonce: Buffer }) {
    return { network: NETWORK, registry: h.registry, provider: h.providerOwner, nonce: doc.nonce };
}

async function waitState(order: string, state: number) {
    const deadline = Date.now() + 20_000;
    while (Number((await client.orderData(order)).state) !== state) {
        if (Date.now() > deadline) throw new Error(`order never reached state ${state}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

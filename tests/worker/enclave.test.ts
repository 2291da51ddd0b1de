import { Cell } from '@ton/core';
import { inspect } from 'util';
import { computeReportData } from '../../attestation/measurement';
import { openResponseChunk } from '../../crypto/hpke';
import { Enclave, OrderTerms, ServeResult } from '../../worker/enclave/enclave';
import { EnclaveRefusal, RefusalCode } from '../../worker/enclave/refusal';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { newEd25519KeyPair, signCell } from '../../wrappers/formats/ed25519';
import {
    nextTranscript,
    receiptCost,
    receiptFromCell,
    receiptToCell,
    verifyReceipt,
    ZERO_HASH,
} from '../../wrappers/formats/receipt';
import { addr, fakeTee, LastReceipt, NETWORK, TestClient, writeTinyModel } from './helpers';
import { createHash } from 'crypto';

const REGISTRY = addr(1);
const PROVIDER = addr(2);
const PRICE_IN = 2n;
const PRICE_OUT = 5n;

let engine: LlamaEngine;
let model: Buffer;
let enclave: Enclave;
let orderSeq = 100;

beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: writeTinyModel(), gpu: false, threads: 1 });
    model = engine.modelHash;
    enclave = await Enclave.create({
        network: NETWORK,
        registry: REGISTRY,
        provider: PROVIDER,
        models: new Map([[model.toString('hex'), engine]]),
        tee: fakeTee,
    });
});
afterAll(async () => {
    await engine?.close();
});

/** A fresh order and its client, so each test has its own session. */
function session(terms: Partial<OrderTerms> = {}) {
    const address = addr(orderSeq++);
    const client = new TestClient(enclave.publicKeys().x25519Pub, {
        order: address,
        model,
        priceIn: PRICE_IN,
        priceOut: PRICE_OUT,
    });
    const order: OrderTerms = {
        address,
        clientKey: client.key.publicKey,
        model,
        priceIn: PRICE_IN,
        priceOut: PRICE_OUT,
        budget: 10n ** 9n,
        ...terms,
    };
    return { client, order };
}

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

function asLast(r: ServeResult): LastReceipt {
    return { cell: r.receipt.cell, signature: r.receipt.signature, fields: r.receipt.fields };
}

async function expectRefusal(p: Promise<unknown>, code: RefusalCode): Promise<void> {
    const err = await p.then(
        () => null,
        (e) => e,
    );
    expect(err).toBeInstanceOf(EnclaveRefusal);
    expect((err as EnclaveRefusal).code).toBe(code);
}

describe('Enclave', () => {
    test('attest binds this boot keys to network, registry, provider and nonce', async () => {
        const nonce = Buffer.alloc(32, 0x42);
        const a = await enclave.attest(nonce);
        const keys = enclave.publicKeys();
        expect(a.ed25519Pub).toEqual(keys.ed25519Pub);
        expect(a.x25519Pub).toEqual(keys.x25519Pub);
        expect(a.reportData).toEqual(
            computeReportData({ ...keys, network: NETWORK, registry: REGISTRY, provider: PROVIDER, nonce }),
        );
        expect(a.quote).toEqual(Buffer.concat([Buffer.from('fake-quote:'), a.reportData]));
    });

    test('keys are redacted from JSON and inspect', () => {
        const s = JSON.stringify(enclave) + inspect(enclave, { depth: 10, showHidden: true });
        expect(s).toContain(enclave.publicKeys().ed25519Pub.toString('hex'));
        expect(s).not.toMatch(/secretKey|privateKey|signingKey/);
    });

    test('happy path over 3 requests: cumulative receipts, transcript chain, signatures, decryptable answers', async () => {
        const { client, order } = session();
        let last: LastReceipt | undefined;
        let totalIn = 0n;
        let totalOut = 0n;
        for (let i = 1; i <= 3; i++) {
            const req = await client.request({ payload: ask(`question number ${i}`), last, maxTokens: 8 + i });
            const r = await enclave.serve({ ...req.input, order });
            const answer = req.open(r.responseCiphertext);
            expect(answer).toEqual({
                text: expect.any(String),
                finishReason: 'length',
                tokensIn: r.tokensIn,
                tokensOut: 8 + i,
            });
            totalIn += BigInt(r.tokensIn);
            totalOut += BigInt(r.tokensOut);
            const f = receiptFromCell(r.receipt.cell);
            expect(f).toMatchObject({ network: NETWORK, seqno: i, tokensIn: totalIn, tokensOut: totalOut });
            expect(f.registry.equals(REGISTRY) && f.order.equals(order.address)).toBe(true);
            expect(f.clientKey).toEqual(client.key.publicKey);
            expect(f.model).toEqual(model);
            expect(f.requestHash).toEqual(Cell.fromBoc(req.input.requestCell as Buffer)[0].hash());
            const responseHash = createHash('sha256').update(r.responseCiphertext).digest();
            expect(f.transcript).toEqual(
                nextTranscript(last?.fields.transcript ?? ZERO_HASH, f.requestHash, responseHash),
            );
            expect(verifyReceipt(r.receipt.cell, r.receipt.signature, enclave.publicKeys().ed25519Pub)).toBe(true);
            expect(receiptToCell(f).hash()).toEqual(r.receipt.cell.hash());
            expect(r.timings.enclaveMs).toBeGreaterThan(0);
            last = asLast(r);
        }
        expect(receiptCost(last!.fields, PRICE_IN, PRICE_OUT)).toBe(totalIn * PRICE_IN + totalOut * PRICE_OUT);
    });

    test('streams sealed chunks that decrypt to the final answer', async () => {
        const { client, order } = session();
        const req = await client.request({ payload: { prompt: 'the quick brown fox' }, maxTokens: 12 });
        const chunks: { index: number; ciphertext: Buffer }[] = [];
        const r = await enclave.serve({ ...req.input, order }, { onSealedChunk: (c) => chunks.push(c) });
        const aad = { network: NETWORK, order: order.address, seqno: 1 };
        expect(chunks.length).toBeGreaterThan(1);
        expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i + 1));
        expect(chunks.every((c) => c.ciphertext.length === 256 + 16)).toBe(true); // padded: lengths leak nothing
        const streamed = chunks.map((c) =>
            openResponseChunk(req.responseKey, aad, c.index, false, c.ciphertext).toString(),
        );
        expect(streamed.join('')).toBe(req.open(r.responseCiphertext).text);
        expect(() => openResponseChunk(Buffer.alloc(32), aad, 1, false, chunks[0].ciphertext)).toThrow();
    });

    test('its own last receipt is recognised as BOC or Cell, and the host changing returned objects changes nothing', async () => {
        const { client, order } = session();
        const r1 = await enclave.serve({ ...(await client.request({ payload: ask('one') })).input, order });
        const totals = { tokensIn: r1.receipt.fields.tokensIn, tokensOut: r1.receipt.fields.tokensOut };
        const req2 = await client.request({ payload: ask('two'), last: asLast(r1) });
        // The enclave keeps its own copy of what it signed: a host that edits the returned fields gains nothing.
        const transcript = Buffer.from(r1.receipt.fields.transcript);
        r1.receipt.fields.tokensIn = 0n;
        r1.receipt.fields.transcript.fill(0);
        r1.receipt.fields.model.fill(0);
        const r2 = await enclave.serve({ ...req2.input, order });
        expect(r2.receipt.fields.tokensIn).toBe(totals.tokensIn + BigInt(r2.tokensIn));
        expect(r2.receipt.fields.tokensOut).toBe(totals.tokensOut + BigInt(r2.tokensOut));
        expect(r2.receipt.fields.transcript).toEqual(
            nextTranscript(
                transcript,
                r2.receipt.fields.requestHash,
                createHash('sha256').update(r2.responseCiphertext).digest(),
            ),
        );
        // The last receipt passed as a Cell object instead of BOC bytes.
        const req3 = await client.request({ payload: ask('three'), last: asLast(r2) });
        const r3 = await enclave.serve({
            ...req3.input,
            lastReceipt: { cell: r2.receipt.cell, signature: r2.receipt.signature },
            order,
        });
        expect(r3.receipt.fields.seqno).toBe(3);
        expect(r3.receipt.fields.tokensIn).toBe(r2.receipt.fields.tokensIn + BigInt(r3.tokensIn));
    });

    describe('refusals issue no receipt', () => {
        test('bad client signature', async () => {
            const { client, order } = session();
            const req = await client.request({ payload: ask('hi'), signWith: newEd25519KeyPair().secretKey });
            await expectRefusal(enclave.serve({ ...req.input, order }), 'BAD_CLIENT_SIGNATURE');
        });

        test('replayed request (seqno reuse) and in-boot exact replay', async () => {
            const { client, order } = session();
            const r1req = await client.request({ payload: ask('one') });
            const r1 = await enclave.serve({ ...r1req.input, order });
            const r2req = await client.request({ payload: ask('two'), last: asLast(r1) });
            const r2 = await enclave.serve({ ...r2req.input, order });
            // The host replays request 2 (stateless checks pass: it continues receipt 1) and request 1.
            await expectRefusal(enclave.serve({ ...r2req.input, order }), 'REPLAYED_REQUEST');
            await expectRefusal(enclave.serve({ ...r1req.input, order }), 'REPLAYED_REQUEST');
            // A request built on receipt 2 but claiming seqno 2 again breaks the chain.
            const again = await client.request({ payload: ask('x'), last: asLast(r2), override: { seqno: 2 } });
            await expectRefusal(enclave.serve({ ...again.input, order }), 'BAD_SEQNO');
            // The session goes on normally.
            const r3req = await client.request({ payload: ask('three'), last: asLast(r2) });
            expect((await enclave.serve({ ...r3req.input, order })).receipt.fields.seqno).toBe(3);
        });

        test('re-routed request (signed for another order)', async () => {
            const a = session();
            const b = session();
            // Client A's request for order A, presented by the host as part of order B (with A's client key).
            const req = await a.client.request({ payload: ask('hi') });
            await expectRefusal(
                enclave.serve({ ...req.input, order: { ...b.order, clientKey: a.client.key.publicKey } }),
                'WRONG_ORDER',
            );
            // And against order B's real terms, A's signature does not verify.
            await expectRefusal(enclave.serve({ ...req.input, order: b.order }), 'BAD_CLIENT_SIGNATURE');
        });

        test('wrong network', async () => {
            const { client, order } = session();
            const req = await client.request({ payload: ask('hi'), override: { network: -239 } });
            await expectRefusal(enclave.serve({ ...req.input, order }), 'WRONG_NETWORK');
        });

        test('wrong model, model not loaded', async () => {
            const other = createHash('sha256').update('another model').digest();
            const { client, order } = session();
            const req = await client.request({ payload: ask('hi'), override: { model: other } });
            await expectRefusal(enclave.serve({ ...req.input, order }), 'WRONG_MODEL');
            await expectRefusal(enclave.serve({ ...req.input, order: { ...order, model: other } }), 'MODEL_NOT_LOADED');
        });

        test('wrong prices', async () => {
            const { client, order } = session();
            const req = await client.request({ payload: ask('hi'), override: { priceOut: PRICE_OUT - 1n } });
            await expectRefusal(enclave.serve({ ...req.input, order }), 'WRONG_PRICES');
            const req2 = await client.request({ payload: ask('hi') });
            await expectRefusal(
                enclave.serve({ ...req2.input, order: { ...order, priceIn: PRICE_IN + 1n } }),
                'WRONG_PRICES',
            );
        });

        test('bad ciphertext: sealed to another key, wrong AAD, garbage', async () => {
            const { client, order } = session();
            const stranger = newEd25519KeyPair(); // any 32 bytes is an X25519 public key
            const wrongKey = await client.request({ payload: ask('hi'), sealTo: stranger.publicKey });
            await expectRefusal(enclave.serve({ ...wrongKey.input, order }), 'DECRYPTION_FAILED');
            const wrongAad = await client.request({ payload: ask('hi'), aadOverride: { seqno: 9 } });
            await expectRefusal(enclave.serve({ ...wrongAad.input, order }), 'DECRYPTION_FAILED');
            const notJson = await client.request({ payload: Buffer.from('not json') });
            await expectRefusal(enclave.serve({ ...notJson.input, order }), 'BAD_PAYLOAD');
            // Nothing was consumed: the session still starts at seqno 1.
            const ok = await client.request({ payload: ask('hi') });
            expect((await enclave.serve({ ...ok.input, order })).receipt.fields.seqno).toBe(1);
        });

        test('payload hash mismatch (host swaps the ciphertext)', async () => {
            const { client, order } = session();
            const a = await client.request({ payload: ask('a') });
            const b = await client.request({ payload: ask('b') });
            await expectRefusal(
                enclave.serve({ ...a.input, payload: b.input.payload, order }),
                'PAYLOAD_HASH_MISMATCH',
            );
        });

        test('spend cap exceeded, checked before inference with the exact prompt size', async () => {
            const { client, order } = session();
            const probe = await client.request({ payload: ask('hello world'), maxTokens: 10 });
            const tokensIn = (await enclave.serve({ ...probe.input, order })).tokensIn;
            const s2 = session();
            const exact = BigInt(tokensIn) * PRICE_IN + 10n * PRICE_OUT;
            const over = await s2.client.request({ payload: ask('hello world'), maxTokens: 10, maxSpend: exact - 1n });
            await expectRefusal(enclave.serve({ ...over.input, order: s2.order }), 'SPEND_CAP_EXCEEDED');
            const fits = await s2.client.request({ payload: ask('hello world'), maxTokens: 10, maxSpend: exact });
            const r = await enclave.serve({ ...fits.input, order: s2.order });
            // The cap is cumulative: the next request must fit on top of what was spent.
            const next = await s2.client.request({
                payload: ask('hello world'),
                maxTokens: 1,
                last: asLast(r),
                maxSpend: exact + 10n,
            });
            await expectRefusal(enclave.serve({ ...next.input, order: s2.order }), 'SPEND_CAP_EXCEEDED');
        });

        test('budget exceeded', async () => {
            const { client, order } = session({ budget: 50n });
            const req = await client.request({ payload: ask('hello world'), maxTokens: 10 });
            await expectRefusal(enclave.serve({ ...req.input, order }), 'BUDGET_EXCEEDED');
        });

        test('lastReceipt forged, altered, from another session, or missing', async () => {
            const { client, order } = session();
            const r1 = await enclave.serve({ ...(await client.request({ payload: ask('one') })).input, order });
            const good = asLast(r1);
            // Forged: same fields but lower totals, signed by a key that is not the enclave's.
            const forgedFields = { ...good.fields, tokensIn: 0n, tokensOut: 0n };
            const forgedCell = receiptToCell(forgedFields);
            const forged = {
                cell: forgedCell,
                signature: signCell(forgedCell, newEd25519KeyPair().secretKey),
                fields: forgedFields,
            };
            const f = await client.request({ payload: ask('two'), last: forged });
            await expectRefusal(enclave.serve({ ...f.input, order }), 'LAST_RECEIPT_FORGED');
            // The genuine receipt (the very hash this enclave signed last) with an altered signature.
            const badSignature = Buffer.from(good.signature);
            badSignature[0] ^= 1;
            const a = await client.request({ payload: ask('two'), last: good });
            await expectRefusal(
                enclave.serve({ ...a.input, lastReceipt: { cell: good.cell.toBoc(), signature: badSignature }, order }),
                'LAST_RECEIPT_FORGED',
            );
            // The host swaps in another receipt than the one the client signed.
            const g = await client.request({ payload: ask('two'), last: good });
            await expectRefusal(
                enclave.serve({
                    ...g.input,
                    lastReceipt: { cell: forgedCell.toBoc(), signature: forged.signature },
                    order,
                }),
                'LAST_RECEIPT_HASH_MISMATCH',
            );
            await expectRefusal(enclave.serve({ ...g.input, lastReceipt: undefined, order }), 'LAST_RECEIPT_REQUIRED');
            // A genuine receipt of another session.
            const other = session();
            const o1 = await enclave.serve({
                ...(await other.client.request({ payload: ask('x') })).input,
                order: other.order,
            });
            const h = await client.request({ payload: ask('two'), last: asLast(o1) });
            await expectRefusal(enclave.serve({ ...h.input, order }), 'LAST_RECEIPT_MISMATCH');
            // Transcript not the receipt's.
            const t = await client.request({
                payload: ask('two'),
                last: good,
                override: { prevTranscript: Buffer.alloc(32, 1) },
            });
            await expectRefusal(enclave.serve({ ...t.input, order }), 'BAD_TRANSCRIPT');
        });

        test('first request: seqno 1 and a zero transcript', async () => {
            const { client, order } = session();
            const s = await client.request({ payload: ask('one'), override: { seqno: 2 } });
            await expectRefusal(enclave.serve({ ...s.input, order }), 'BAD_SEQNO');
            const t = await client.request({ payload: ask('one'), override: { prevTranscript: Buffer.alloc(32, 1) } });
            await expectRefusal(enclave.serve({ ...t.input, order }), 'BAD_TRANSCRIPT');
        });

        test('after a restart, receipts of the previous enclave key are accepted only when the host passes it', async () => {
            const { client, order } = session();
            const r1 = await enclave.serve({ ...(await client.request({ payload: ask('one') })).input, order });
            const rebooted = await Enclave.create({
                network: NETWORK,
                registry: REGISTRY,
                provider: PROVIDER,
                models: new Map([[model.toString('hex'), engine]]),
                tee: fakeTee,
            });
            expect(rebooted.publicKeys().ed25519Pub).not.toEqual(enclave.publicKeys().ed25519Pub);
            client.enclaveX25519 = rebooted.publicKeys().x25519Pub;
            const req = await client.request({ payload: ask('two'), last: asLast(r1) });
            await expectRefusal(rebooted.serve({ ...req.input, order }), 'LAST_RECEIPT_FORGED');
            const r2 = await rebooted.serve({
                ...req.input,
                order,
                acceptedEnclaveKeys: [enclave.publicKeys().ed25519Pub],
            });
            expect(r2.receipt.fields.seqno).toBe(2);
            expect(r2.receipt.fields.tokensIn).toBe(r1.receipt.fields.tokensIn + BigInt(r2.tokensIn));
            expect(verifyReceipt(r2.receipt.cell, r2.receipt.signature, rebooted.publicKeys().ed25519Pub)).toBe(true);
        });

        test('malformed request cell', async () => {
            const { order } = session();
            await expectRefusal(
                enclave.serve({
                    requestCell: Buffer.from('garbage'),
                    clientSignature: Buffer.alloc(64),
                    payload: { enc: Buffer.alloc(32), ciphertext: Buffer.alloc(272) },
                    order,
                }),
                'BAD_REQUEST',
            );
        });
    });
});

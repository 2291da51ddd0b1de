/**
 * The claimer against a scripted chain (no localnet): a request served while the claimer waits on a slow chain
 * read must not be left behind by a final claim of the receipt read before it (tests/faults seed 72537: the
 * order settled at seqno 2 although the client held seqno 3).
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, beginCell, Cell } from '@ton/core';
import pino from 'pino';
import { Claimer } from '../../worker/host/claimer';
import type { ChainClient } from '../../worker/host/chain';
import { ReceiptStore } from '../../worker/host/store';
import { OrderState } from '../../wrappers/Constants';

const ORDER = new Address(0, Buffer.alloc(32, 7));
const PRICE_IN = 10_000n;
const PRICE_OUT = 100_000n;

function serve(store: ReceiptStore, seqno: number, totalOut: number) {
    store.recordServed({
        order: ORDER.toRawString(),
        seqno,
        requestHash: Buffer.alloc(32, seqno).toString('hex'),
        receiptBoc: beginCell().storeUint(seqno, 32).endCell().toBoc().toString('base64'),
        signature: Buffer.alloc(64, seqno).toString('hex'),
        responseCiphertext: '',
        tokensIn: 10,
        tokensOut: 10,
        totalIn: String(10 * seqno),
        totalOut: String(totalOut),
        priceIn: PRICE_IN.toString(),
        priceOut: PRICE_OUT.toString(),
        enclaveKey: '11'.repeat(32),
        servedAt: Date.now(),
    });
}

describe('Claimer', () => {
    it('a final claim takes the receipt served while it read the chain, not the one before', async () => {
        const store = new ReceiptStore(mkdtempSync(join(tmpdir(), 'cocoon-claimer-')));
        serve(store, 1, 10);
        serve(store, 2, 20);
        let seqno = 1;
        let reads = 0;
        const sent: { seqno: number; final: boolean }[] = [];
        const chain = {
            orderData: async () => {
                // The first read is slow; meanwhile seqno 3 is served and the client closes the order.
                if (reads++ === 0) {
                    await new Promise((r) => setTimeout(r, 20));
                    serve(store, 3, 30);
                }
                return {
                    state: BigInt(OrderState.CLOSING),
                    seqno: BigInt(seqno),
                    closeAt: BigInt(Math.floor(Date.now() / 1000)),
                    expiresAt: BigInt(Math.floor(Date.now() / 1000) + 900),
                    priceIn: PRICE_IN,
                    priceOut: PRICE_OUT,
                    budget: 10n ** 9n,
                    paid: 0n,
                    enclaveKey: 0n,
                    prevEnclaveKey: 0n,
                };
            },
            orderConfig: async () => ({ closeGrace: 60n, minClaim: 10n ** 8n }),
            claimInternal: async (_o: Address, receipt: Cell, _s: Buffer, final: boolean) => {
                seqno = receipt.beginParse().loadUint(32);
                sent.push({ seqno, final });
            },
            claimExternal: async () => {
                throw new Error('not used');
            },
            waitFor: async (_what: string, done: () => Promise<boolean>) => {
                if (!(await done())) throw new Error('claim did not land');
            },
        } as unknown as ChainClient;
        const claimer = new Claimer(
            chain,
            store,
            { external: false, externalMin: 0n, safetySec: 3 },
            pino({ level: 'silent' }),
        );

        const out = await claimer.claimOrder(ORDER);

        expect(out).toMatchObject({ action: 'claimed', seqno: 3, final: true });
        expect(sent).toEqual([{ seqno: 3, final: true }]);
        expect(store.get(ORDER)?.done?.reason).toBe('final claim');
    });
});

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
import { externalClaimFee, externalClaimMin, Gas, OrderState } from '../../wrappers/Constants';

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

    /** A scripted order: Matched (or as told), holding `heldNet` of our earnings, paid `paid`. */
    function scripted(
        over: { state?: number; heldNet?: bigint; paid?: bigint; closeAt?: bigint; seqno?: number } = {},
    ) {
        const calls: string[] = [];
        let heldNet = over.heldNet ?? 0n;
        let seqno = over.seqno ?? 0;
        let state = over.state ?? OrderState.MATCHED;
        const now = BigInt(Math.floor(Date.now() / 1000));
        const chain = {
            orderData: async () => ({
                state: BigInt(state),
                seqno: BigInt(seqno),
                closeAt: over.closeAt ?? 0n,
                expiresAt: now + 900n,
                priceIn: PRICE_IN,
                priceOut: PRICE_OUT,
                budget: 10n ** 10n,
                paid: over.paid ?? 0n,
                heldNet,
                enclaveKey: 0n,
                prevEnclaveKey: 0n,
            }),
            orderConfig: async () => ({ closeGrace: 60n, minClaim: 1n }),
            claimInternal: async (_o: Address, receipt: Cell, _s: Buffer, final: boolean) => {
                seqno = receipt.beginParse().loadUint(32);
                calls.push(`internal ${seqno}${final ? ' final' : ''}`);
            },
            claimExternal: async (_o: Address, receipt: Cell, _s: Buffer, final: boolean) => {
                seqno = receipt.beginParse().loadUint(32);
                calls.push(`external ${seqno}${final ? ' final' : ''}`);
            },
            requestPayout: async () => {
                calls.push('payout');
                heldNet = 0n;
            },
            sendTimeout: async () => {
                calls.push('timeout');
                heldNet = 0n;
                state = OrderState.SETTLED;
            },
            waitFor: async (_what: string, done: () => Promise<boolean>) => {
                if (!(await done())) throw new Error('did not land');
            },
        } as unknown as ChainClient;
        return { chain, calls };
    }
    const claimerFor = (chain: ChainClient, store: ReceiptStore, payoutMin = 0n) =>
        new Claimer(
            chain,
            store,
            { external: true, externalMin: externalClaimMin(false), safetySec: 3, payoutMin },
            pino({ level: 'silent' }),
        );
    const newStore = () => new ReceiptStore(mkdtempSync(join(tmpdir(), 'cocoon-claimer-')));

    it('asks a Matched order to pay out once it holds payoutMin of our earnings, not before, not while Closing', async () => {
        const min = 10n ** 9n;
        const below = scripted({ heldNet: min - 1n });
        expect(await claimerFor(below.chain, newStore(), min).payoutIfWorth(ORDER)).toBe(false);
        const at = scripted({ heldNet: min });
        expect(await claimerFor(at.chain, newStore(), min).payoutIfWorth(ORDER)).toBe(true);
        expect(at.calls).toEqual(['payout']);
        const closing = scripted({ heldNet: 2n * min, state: OrderState.CLOSING });
        expect(await claimerFor(closing.chain, newStore(), min).payoutIfWorth(ORDER)).toBe(false);
        const never = scripted({ heldNet: 2n * min });
        expect(await claimerFor(never.chain, newStore(), 0n).payoutIfWorth(ORDER)).toBe(false);
        expect(never.calls).toEqual([]);
    });

    it('settles a Closing order past its grace that still holds our earnings, with nothing left to claim', async () => {
        const now = BigInt(Math.floor(Date.now() / 1000));
        const held = Gas.CLOSE_GAS + 1n;
        // closeGrace is 60 s in the scripted config: closed 61 s ago is past the window, 59 s ago is not
        const inGrace = scripted({ state: OrderState.CLOSING, closeAt: now - 59n, heldNet: held, seqno: 1 });
        const store = newStore();
        serve(store, 1, 100);
        expect(await claimerFor(inGrace.chain, store).claimOrder(ORDER)).toEqual({
            action: 'none',
            reason: 'latest receipt already claimed',
        });
        expect(inGrace.calls).toEqual([]);

        const past = scripted({ state: OrderState.CLOSING, closeAt: now - 61n, heldNet: held, seqno: 1 });
        expect(await claimerFor(past.chain, store).claimOrder(ORDER)).toEqual({
            action: 'none',
            reason: 'settled after its deadline',
        });
        expect(past.calls).toEqual(['timeout']);
        expect(store.get(ORDER)?.done?.reason).toBe('settled after its deadline');
    });

    it('leaves held earnings under the Timeout gas to a keeper, and settles when a receipt missed its window', async () => {
        const now = BigInt(Math.floor(Date.now() / 1000));
        const small = scripted({ state: OrderState.CLOSING, closeAt: now - 61n, heldNet: Gas.CLOSE_GAS, seqno: 1 });
        const store = newStore();
        serve(store, 1, 100);
        await claimerFor(small.chain, store).claimOrder(ORDER);
        expect(small.calls).toEqual([]);

        // seqno 2 was served but the window closed before it was claimed: the earlier claim's earnings still move
        const late = newStore();
        serve(late, 1, 100);
        serve(late, 2, 200);
        const missed = scripted({ state: OrderState.CLOSING, closeAt: now - 61n, heldNet: 10n ** 9n, seqno: 1 });
        expect(await claimerFor(missed.chain, late).claimOrder(ORDER)).toEqual({ action: 'none', reason: 'too late' });
        expect(missed.calls).toEqual(['timeout']);
        expect(late.get(ORDER)?.done?.reason).toBe('claim window closed');
    });

    it('a tick claims, then pays out when the held earnings pass the threshold', async () => {
        const store = newStore();
        serve(store, 1, 100);
        const s = scripted({ heldNet: 10n ** 9n });
        await claimerFor(s.chain, store, 10n ** 9n).tick();
        expect(s.calls).toEqual(['external 1', 'payout']);
    });

    it("a final claim goes external only when the payment it sends pays the Provider's processing", async () => {
        // the delta of one receipt: 10 in + 100 out at the prices above = 0.0101 TON
        const delta = 10n * PRICE_IN + 100n * PRICE_OUT;
        expect(delta).toBeGreaterThan(externalClaimMin(false));
        expect(delta).toBeLessThan(externalClaimMin(true, 0n));
        const closeAt = BigInt(Math.floor(Date.now() / 1000));
        // nothing held: delta − fee < ORDER_RELEASE_VALUE, so the final claim goes from the wallet
        const store1 = newStore();
        serve(store1, 1, 100);
        const s1 = scripted({ state: OrderState.CLOSING, closeAt });
        expect(await claimerFor(s1.chain, store1).claimOrder(ORDER)).toMatchObject({ final: true, via: 'internal' });
        expect(s1.calls).toEqual(['internal 1 final']);
        // with our earnings held in the Order the same delta settles externally
        const store2 = newStore();
        serve(store2, 1, 100);
        const s2 = scripted({ state: OrderState.CLOSING, closeAt, heldNet: Gas.ORDER_RELEASE_VALUE });
        expect(delta).toBeGreaterThanOrEqual(externalClaimMin(true, Gas.ORDER_RELEASE_VALUE));
        expect(delta).toBeGreaterThanOrEqual(externalClaimFee(true) + Gas.EXTERNAL_CLAIM_MARGIN);
        expect(await claimerFor(s2.chain, store2).claimOrder(ORDER)).toMatchObject({ final: true, via: 'external' });
        expect(s2.calls).toEqual(['external 1 final']);
    });
});

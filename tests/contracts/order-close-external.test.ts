import '@ton/test-utils';
import { OrderState } from '../../wrappers/Constants';
import { signCloseRequest } from '../../wrappers/formats/close';
import { Ed25519KeyPair } from '../../wrappers/formats/ed25519';
import {
    conserving,
    createOrder,
    Market,
    OrderHandle,
    ProviderHandle,
    marketWithMatchedOrder,
    seededKeyPair,
} from '../helpers/market';
import { computeFee, orderState, sendClaim, snapshotFixture } from '../helpers/audit';
import { receiptFor, signedReceipt } from '../helpers/market';

// ExternalClose: the client closes its order with an external message signed by its session key, instead of a
// Close from its wallet (contracts/order.tolk, onExternalClose). Every refusal happens before the Order accepts
// the message, so the sandbox rejects it (its error names the exit code) and nothing changes: not the state, not
// the balance.
describe('external close by the client session key', () => {
    const fixture = snapshotFixture(async () => marketWithMatchedOrder());
    let m: Market;
    let p: ProviderHandle;
    let order: OrderHandle;

    beforeEach(async () => {
        ({ m, p, order } = await fixture());
    });

    const balance = async (o: OrderHandle) => (await m.blockchain.getContract(o.contract.address)).balance;
    const closeWith = (o: OrderHandle, key: Ed25519KeyPair, validUntil = m.blockchain.now! + 60) =>
        o.contract.sendExternal({
            $$type: 'ExternalClose',
            signature: signCloseRequest(o.contract.address, validUntil, key.secretKey),
            validUntil: BigInt(validUntil),
        });

    it('closes a matched order: CLOSING, the budget whole, the cost out of the balance, the grace window kept', async () => {
        const before = await order.contract.getOrderData();
        const bal = await balance(order);
        const res = await conserving(m, [order.contract.address], () => closeWith(order, order.clientKey));
        const d = await order.contract.getOrderData();
        expect(d.state).toBe(BigInt(OrderState.CLOSING));
        expect(d.closeAt).toBe(BigInt(m.blockchain.now!));
        expect(d.budget).toBe(before.budget);
        // The Order paid this transaction (gas and import) from its balance: exactly the chain's fees.
        expect(bal - (await balance(order))).toBe(res.fees);
        expect(res.fees).toBeGreaterThan(0n);
        // The provider's last claim inside the grace window still settles the order.
        const r = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }), p.enclave);
        await sendClaim(p.owner, order, r, true);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect(await balance(order)).toBe(0n);
    });

    it('pays the provider in full after a close even when the whole budget is spent: the refund pays the close', async () => {
        await closeWith(order, order.clientKey);
        const budget = (await order.contract.getOrderData()).budget;
        // A receipt for more than the budget, claimed in the grace window: charged exactly the budget.
        const r = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 10n ** 12n, tokensOut: 0n }), p.enclave);
        const res = await conserving(
            m,
            [order.contract.address, p.contract.address, p.owner.address, order.client.address],
            () => sendClaim(p.owner, order, r, true),
        );
        const d = await order.contract.getOrderData();
        expect([d.state, d.paid]).toEqual([BigInt(OrderState.SETTLED), budget]);
        expect(await balance(order)).toBe(0n);
        // The client's refund is what the storage reserve leaves after this close's cost, never negative.
        expect(res.deltas.get(order.client.address.toRawString())!).toBeGreaterThan(0n);
    });

    it('closes an unmatched order with everything refunded to the client, the close paid from the refund', async () => {
        const open = await createOrder(m, { clientName: 'client-2' });
        const bal = await balance(open);
        const res = await conserving(m, [open.contract.address, open.client.address], () =>
            closeWith(open, open.clientKey),
        );
        expect((await open.contract.getOrderData()).state).toBe(BigInt(OrderState.EXPIRED));
        expect(await balance(open)).toBe(0n);
        expect(res.deltas.get(open.client.address.toRawString())).toBe(bal - res.fees);
        expect(computeFee(res.txs, open.contract.address)).toBeGreaterThan(0n);
    });

    it('refuses a forged, a foreign, an expired and a replayed close: nothing changes', async () => {
        const before = await orderState(order.contract);
        const bal = await balance(order);
        // Signed by another key.
        await expect(closeWith(order, seededKeyPair('not-the-client'))).rejects.toThrow(/Exit code: 310\n/);
        // Signed for another order by the right key.
        const other = await createOrder(m);
        const foreign = signCloseRequest(other.contract.address, m.blockchain.now! + 60, order.clientKey.secretKey);
        await expect(
            order.contract.sendExternal({
                $$type: 'ExternalClose',
                signature: foreign,
                validUntil: BigInt(m.blockchain.now! + 60),
            }),
        ).rejects.toThrow(/Exit code: 310\n/);
        // Past its validity.
        await expect(closeWith(order, order.clientKey, m.blockchain.now! - 1)).rejects.toThrow(/Exit code: 333\n/);
        expect(await orderState(order.contract)).toEqual(before);
        expect(await balance(order)).toBe(bal);
        // Replayed after it was accepted: the state check refuses it before acceptance.
        const validUntil = m.blockchain.now! + 60;
        await closeWith(order, order.clientKey, validUntil);
        const closed = await orderState(order.contract);
        const closedBal = await balance(order);
        await expect(closeWith(order, order.clientKey, validUntil)).rejects.toThrow(/Exit code: 302\n/);
        expect(await orderState(order.contract)).toEqual(closed);
        expect(await balance(order)).toBe(closedBal);
    });
});

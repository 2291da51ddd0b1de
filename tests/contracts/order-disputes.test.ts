import { toNano } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, externalClaimFee, Gas, Op, OrderState } from '../../wrappers/Constants';
import { loadDisputeRefund, loadOrderPayment } from '../../wrappers/Order';
import {
    conserving,
    createOrder,
    marketWithMatchedOrder,
    Market,
    matchOrder,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    sha256,
    signedReceipt,
} from '../helpers/market';
import {
    bodiesTo,
    computeFee,
    expectRefused,
    opOf,
    orderState,
    providerState,
    sendClaim,
    sendOrderMsg,
    sendPayout,
    sentMessage,
    sentValue,
    snapshotFixture,
    storageFees,
} from '../helpers/audit';

describe('order disputes', () => {
    const fixture = snapshotFixture(async () => {
        const { m, p, order } = await marketWithMatchedOrder();
        return { m, p, order };
    });
    let m: Market;
    let p: ProviderHandle;
    let order: OrderHandle;
    const request = sha256('request:rerun');
    // the host re-ran request 1 to bill more: two enclave-signed receipts, same seqno and request
    const cheap = () =>
        signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n, requestHash: request }),
            p.enclave,
        );
    const dear = () =>
        signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 5000n, requestHash: request }),
            p.enclave,
        );
    const dispute = (signed: { receipt: import('@ton/core').Cell; signature: Buffer }, from = order.client) =>
        order.contract.send(
            from.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Dispute', queryId: 0n, receipt: signed.receipt, signature: signed.signature },
        );
    const refuse = (code: number, a: () => Promise<SendMessageResult>, from = order.client) =>
        expectRefused(
            m,
            order.contract.address,
            code,
            [from.address, p.contract.address],
            () => orderState(order.contract),
            a,
        );

    beforeEach(async () => {
        ({ m, p, order } = await fixture());
        await sendClaim(p.owner, order, dear());
    });

    it('refunds the difference out of the earnings the Order still holds: no message to the Provider', async () => {
        const diff = 11_000_000n - 3_000_000n;
        const before = await order.contract.getOrderData();
        expect([before.held, before.heldNet]).toEqual([11_000_000n, 11_000_000n]);
        const pBefore = await providerState(p.contract);
        const value = toNano('0.05');
        const res = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            dispute(cheap()),
        );
        const d = await order.contract.getOrderData();
        expect([d.paid, d.held, d.heldNet]).toEqual([3_000_000n, 3_000_000n, 3_000_000n]);
        // the difference stays in the escrow as unspent budget; nothing goes to or comes from the Provider
        expect(d.budget - d.paid).toBe(before.budget - before.paid + diff);
        expect(res.txs).not.toHaveTransaction({ to: p.contract.address });
        expect(await providerState(p.contract)).toEqual(pBefore);
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
        // the client's unspent gas comes back
        const back = sentMessage(res.txs, order.contract.address, order.client.address)!;
        expect(opOf(back.body)).toBe(Op.Excesses);
        expect(back.value).toBe(value - computeFee(res.txs, order.contract.address) - back.forwardFee);
        // the same receipt cannot be used twice
        await refuse(ExitCode.NO_DISPUTE, () => dispute(cheap()));
        // at settlement the provider is paid what is left, the client gets the rest
        await sendOrderMsg(order.client, order, 'Close');
        m.blockchain.now = m.blockchain.now! + Number(m.params.closeGrace) + 1;
        const settle = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            sendOrderMsg(order.client, order, 'Timeout'),
        );
        const pay = sentMessage(settle.txs, order.contract.address, p.contract.address)!;
        expect(pay.value).toBe(3_000_000n + Gas.ORDER_RELEASE_VALUE - pay.forwardFee);
        expect(loadOrderPayment(pay.body.beginParse()).fee).toBe((3_000_000n * m.params.feeBps) / 10000n);
    });

    it('after a payout the Provider refunds the difference from its pending earnings to the client, exactly', async () => {
        const diff = 11_000_000n - 3_000_000n;
        await sendPayout(p.owner, order);
        const pBefore = await p.contract.getProviderData();
        const before = await order.contract.getOrderData();
        const res = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            dispute(cheap()),
        );
        const d = await order.contract.getOrderData();
        expect(d.paid).toBe(3_000_000n);
        // the client got the difference outside the escrow: it leaves the budget, the unspent budget is unchanged
        expect(d.budget).toBe(before.budget - diff);
        expect(d.budget - d.paid).toBe(before.budget - before.paid);
        const pAfter = await p.contract.getProviderData();
        expect(pBefore.pendingNew - pAfter.pendingNew).toBe(diff);
        expect(pAfter.stake).toBe(pBefore.stake);
        expect((await p.contract.getCounters()).disputesLost).toBe(1n);
        // the Provider's balance drops by exactly the difference; the order keeps its balance
        expect(res.deltas.get(p.contract.address.toRawString())).toBe(-diff - storageFees(res.txs, p.contract.address));
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
        expect(sentValue(res.txs, p.contract.address, order.client.address)).toBeGreaterThan(diff);
        expect(res.txs).toHaveTransaction({ to: p.contract.address, op: Op.DisputeRefund, success: true });
        await refuse(ExitCode.NO_DISPUTE, () => dispute(cheap()));
    });

    it('after a dispute the Provider refunded, claims up to the budget are still paid in full from the escrow', async () => {
        await sendPayout(p.owner, order);
        await dispute(cheap());
        const d = await order.contract.getOrderData();
        // a receipt worth more than the whole budget: the charge is capped at it, and the escrow holds all of it
        const all = signedReceipt(receiptFor(m, order, { seqno: 2, tokensIn: 10n ** 9n, tokensOut: 0n }), p.enclave);
        const watch = [order.client.address, p.contract.address, order.contract.address, p.owner.address];
        const res = await conserving(m, watch, () => sendClaim(p.owner, order, all, true));
        const pay = sentMessage(res.txs, order.contract.address, p.contract.address)!;
        expect(pay.value).toBe(
            d.budget - d.paid + toNano('0.05') - computeFee(res.txs, order.contract.address) - pay.forwardFee,
        );
        expect(res.txs).toHaveTransaction({ to: p.contract.address, op: Op.OrderPayment, success: true });
        expect((await order.contract.getOrderData()).paid).toBe(d.budget);
    });

    it('a difference beyond what the Order holds: the held part stays in escrow, the rest comes from the Provider', async () => {
        await sendPayout(p.owner, order);
        // seqno 2: 14,000,000 cumulative, 3,000,000 of it held; the client's receipt for it is worth 3,000,000
        const req2 = sha256('request:rerun-2');
        const dear2 = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 2000n, tokensOut: 6000n, requestHash: req2 }),
            p.enclave,
        );
        await sendClaim(p.owner, order, dear2);
        expect((await order.contract.getOrderData()).heldNet).toBe(3_000_000n);
        const cheap2 = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 1000n, tokensOut: 1000n, requestHash: req2 }),
            p.enclave,
        );
        const pBefore = await p.contract.getProviderData();
        const before = await order.contract.getOrderData();
        const res = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            dispute(cheap2),
        );
        const d = await order.contract.getOrderData();
        expect([d.paid, d.held, d.heldNet]).toEqual([3_000_000n, 0n, 0n]);
        // the held 3,000,000 stay in the escrow as unspent budget, the 8,000,000 the Provider refunds leave it
        expect(d.budget).toBe(before.budget - 8_000_000n);
        const refund = bodiesTo(res.txs, p.contract.address, Op.DisputeRefund);
        expect(refund).toHaveLength(1);
        expect(loadDisputeRefund(refund[0].beginParse()).amount).toBe(11_000_000n - 3_000_000n);
        expect(pBefore.pendingNew - (await p.contract.getProviderData()).pendingNew).toBe(8_000_000n);
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
    });

    it("after an external claim the external's gas is the provider's: a refund beyond the held net comes from its stake", async () => {
        // a fresh order whose overcharge was claimed externally: the Order holds the delta less the external's fee
        const o2 = await createOrder(m, { clientName: 'client-ext' });
        await matchOrder(m, await m.blockchain.treasury('keeper'), o2, p);
        const dear2 = signedReceipt(
            receiptFor(m, o2, { seqno: 1, tokensIn: 1000n, tokensOut: 5000n, requestHash: request }),
            p.enclave,
        );
        await o2.contract.sendExternal({ $$type: 'ExternalClaim', ...dear2, final: false });
        const heldNet = 11_000_000n - externalClaimFee(false);
        expect((await o2.contract.getOrderData()).heldNet).toBe(heldNet);
        const cheap2 = signedReceipt(
            receiptFor(m, o2, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n, requestHash: request }),
            p.enclave,
        );
        const pBefore = await p.contract.getProviderData();
        const res = await conserving(m, [o2.client.address, p.contract.address, o2.contract.address], () =>
            o2.contract.send(
                o2.client.getSender(),
                { value: toNano('0.05') },
                { $$type: 'Dispute', queryId: 0n, receipt: cheap2.receipt, signature: cheap2.signature },
            ),
        );
        const d = await o2.contract.getOrderData();
        expect([d.paid, d.held, d.heldNet]).toEqual([3_000_000n, 0n, 0n]);
        const rest = 8_000_000n - heldNet;
        const pAfter = await p.contract.getProviderData();
        // nothing pending at the Provider: the rest comes out of the stake, straight to the client
        expect(pBefore.stake - pAfter.stake).toBe(rest);
        expect(sentValue(res.txs, p.contract.address, o2.client.address)).toBeGreaterThan(rest);
    });

    it('a dispute after settlement is refunded by the Provider as before', async () => {
        const final = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 1000n, tokensOut: 5000n, requestHash: sha256('r2') }),
            p.enclave,
        );
        await sendClaim(p.owner, order, final, true);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        const cheapFinal = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 1000n, tokensOut: 1000n, requestHash: sha256('r2') }),
            p.enclave,
        );
        const pBefore = await p.contract.getProviderData();
        const res = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            dispute(cheapFinal),
        );
        expect(res.txs).toHaveTransaction({ to: p.contract.address, op: Op.DisputeRefund, success: true });
        expect(pBefore.pendingNew - (await p.contract.getProviderData()).pendingNew).toBe(8_000_000n);
        expect((await order.contract.getOrderData()).paid).toBe(3_000_000n);
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
    });

    it('refuses a receipt that is not cheaper, or for another seqno or request (NO_DISPUTE)', async () => {
        await refuse(ExitCode.NO_DISPUTE, () => dispute(dear()));
        const other = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1n, tokensOut: 1n }), p.enclave);
        await refuse(ExitCode.NO_DISPUTE, () => dispute(other));
        const seq2 = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 1n, tokensOut: 1n, requestHash: request }),
            p.enclave,
        );
        await refuse(ExitCode.NO_DISPUTE, () => dispute(seq2));
    });

    it('refuses a dispute after the window (TOO_LATE)', async () => {
        m.blockchain.now = m.blockchain.now! + Number(m.params.disputeWindow) + 1;
        await refuse(ExitCode.TOO_LATE, () => dispute(cheap()));
    });

    it('refuses a dispute from a stranger (ACCESS_DENIED) and with too little value (LOW_VALUE)', async () => {
        const stranger = await m.blockchain.treasury('stranger');
        await refuse(ExitCode.ACCESS_DENIED, () => dispute(cheap(), stranger), stranger);
        await refuse(ExitCode.LOW_VALUE, () =>
            order.contract.send(
                order.client.getSender(),
                { value: toNano('0.029') },
                { $$type: 'Dispute', queryId: 0n, receipt: cheap().receipt, signature: cheap().signature },
            ),
        );
    });
});

import { toNano } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, externalClaimFee, externalClaimMin, Gas, Op, OrderState } from '../../wrappers/Constants';
import { loadExcesses, loadOrderPayment, loadOrderRefund } from '../../wrappers/Order';
import {
    conserving,
    createOrder,
    marketWithMatchedOrder,
    Market,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    signedReceipt,
} from '../helpers/market';
import {
    computeFee,
    expectRefused,
    opOf,
    orderState,
    providerState,
    sendClaim,
    sendOrderMsg,
    sendPayout,
    sentMessage,
    snapshotFixture,
    storageFees,
    txsAt,
} from '../helpers/audit';

/**
 * Claims record their charge in the Order (one transaction, no message); the provider's earnings reach the
 * Provider in one OrderPayment when a payout is requested (OrderPayout, anyone) and at settlement. Every
 * chain is checked for value conservation to the nanoton, and every amount exactly.
 */
describe('order payouts', () => {
    const fixture = snapshotFixture(async () => {
        const { m, p, keeper, order } = await marketWithMatchedOrder();
        const stranger = await m.blockchain.treasury('stranger');
        const open = await createOrder(m, { clientName: 'client-open' });
        return { m, p, keeper, stranger, order, open };
    });
    let m: Market;
    let p: ProviderHandle;
    let stranger: Awaited<ReturnType<typeof fixture>>['stranger'];
    let order: OrderHandle;
    let open: OrderHandle;
    beforeEach(async () => {
        ({ m, p, stranger, order, open } = await fixture());
    });

    // n × (10,000 in + 10,000 out) tokens, cumulative: each step is worth 0.03 TON at 1000/2000
    const STEP = 30_000_000n;
    const rc = (seqno: number, steps = seqno) =>
        signedReceipt(
            receiptFor(m, order, { seqno, tokensIn: 10_000n * BigInt(steps), tokensOut: 10_000n * BigInt(steps) }),
            p.enclave,
        );
    const external = (seqno: number, final = false, steps = seqno) =>
        order.contract.sendExternal({ $$type: 'ExternalClaim', ...rc(seqno, steps), final });
    const watch = () => [
        order.contract.address,
        order.client.address,
        p.contract.address,
        p.owner.address,
        stranger.address,
        m.treasury.address,
    ];
    const fee = (gross: bigint) => (gross * m.params.feeBps) / 10000n;
    const balance = async (a: OrderHandle) => (await m.blockchain.getContract(a.contract.address)).balance;
    const refuse = (o: OrderHandle, code: number, action: () => Promise<SendMessageResult>) =>
        expectRefused(
            m,
            o.contract.address,
            code,
            [p.contract.address, p.owner.address, stranger.address],
            async () => ({ order: await orderState(o.contract), provider: await providerState(p.contract) }),
            action,
        );

    it('an external claim records its charge: one transaction, no message, paid out of the provider share', async () => {
        const res = await conserving(m, watch(), () => external(1));
        expect(res.txs).toHaveLength(1);
        expect(res.txs[0].outMessagesCount).toBe(0);
        const d = await order.contract.getOrderData();
        const gasFee = externalClaimFee(false);
        expect([d.paid, d.held, d.heldNet, d.seqno]).toEqual([STEP, STEP, STEP - gasFee, 1n]);
        // the Order paid the external's whole cost (gas, import, storage) from its balance, and took more than
        // that out of the provider's share: the client's part of the escrow never pays for a claim
        const cost = res.txs[0].totalFees.coins;
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(-cost);
        expect(cost).toBeLessThan(gasFee);
        expect(gasFee - cost).toBeLessThan(gasFee / 5n);
        expect(res.deltas.get(p.contract.address.toRawString()) ?? 0n).toBe(0n);
    });

    it('an internal claim records its charge and returns the claimant its unspent gas exactly', async () => {
        const value = toNano('0.05');
        const res = await conserving(m, watch(), () => sendClaim(p.owner, order, rc(1), false, value));
        expect(txsAt(res.txs, p.contract.address)).toHaveLength(0);
        const back = sentMessage(res.txs, order.contract.address, p.owner.address)!;
        expect(opOf(back.body)).toBe(Op.Excesses);
        expect(loadExcesses(back.body.beginParse()).queryId).toBe(0n);
        expect(back.value).toBe(value - computeFee(res.txs, order.contract.address) - back.forwardFee);
        // the escrow lost only its storage fee
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
        const d = await order.contract.getOrderData();
        expect([d.paid, d.held, d.heldNet]).toEqual([STEP, STEP, STEP]);
    });

    it('a payout forwards exactly the held net, with the protocol fee on the gross, and the sender value for gas', async () => {
        await external(1);
        await sendClaim(p.owner, order, rc(2));
        const before = await order.contract.getOrderData();
        const heldNet = 2n * STEP - externalClaimFee(false);
        expect([before.held, before.heldNet]).toEqual([2n * STEP, heldNet]);
        const pBefore = await p.contract.getProviderData();
        const cBefore = await p.contract.getCounters();
        const orderBalance = await balance(order);

        const value = Gas.PAYOUT_GAS;
        const res = await conserving(m, watch(), () => sendPayout(p.owner, order, value));
        // the Order's balance dropped by exactly what it held for the provider
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -heldNet - storageFees(res.txs, order.contract.address),
        );
        expect(await balance(order)).toBe(orderBalance - heldNet - storageFees(res.txs, order.contract.address));
        const pay = sentMessage(res.txs, order.contract.address, p.contract.address)!;
        expect(pay.value).toBe(heldNet + value - computeFee(res.txs, order.contract.address) - pay.forwardFee);
        const body = loadOrderPayment(pay.body.beginParse());
        expect(body).toMatchObject({ orderId: order.id, fee: fee(2n * STEP), final: false, noShow: false });
        // the Provider books the fee for the treasury and the rest as pending earnings; capacity stays taken
        const pAfter = await p.contract.getProviderData();
        expect(pAfter.feesOwed - pBefore.feesOwed).toBe(fee(2n * STEP));
        expect(pAfter.pendingNew - pBefore.pendingNew).toBe(pay.value - fee(2n * STEP));
        expect(pAfter.live).toBe(pBefore.live);
        const cAfter = await p.contract.getCounters();
        expect(cAfter.totalEarned - cBefore.totalEarned).toBe(pay.value - fee(2n * STEP));
        expect(cAfter.ordersCompleted).toBe(cBefore.ordersCompleted);
        // the Order holds nothing more for the provider; what was charged stays charged
        const after = await order.contract.getOrderData();
        expect([after.held, after.heldNet, after.paid, after.seqno, after.state]).toEqual([
            0n,
            0n,
            before.paid,
            2n,
            BigInt(OrderState.MATCHED),
        ]);
        // nothing left to pay out
        await refuse(order, ExitCode.NOTHING_TO_WITHDRAW, () => sendPayout(p.owner, order, value));
    });

    it('anyone may request a payout; refused (getters unchanged) with too little value, nothing held, or in a wrong state', async () => {
        await refuse(order, ExitCode.NOTHING_TO_WITHDRAW, () => sendPayout(stranger, order));
        await external(1);
        await refuse(order, ExitCode.LOW_VALUE, () => sendPayout(stranger, order, Gas.PAYOUT_GAS - 1n));
        await refuse(open, ExitCode.BAD_STATE, () => sendPayout(stranger, open));
        // a stranger's payout works (and its value beyond the gas joins the provider's earnings)
        const res = await conserving(m, watch(), () => sendPayout(stranger, order, Gas.PAYOUT_GAS));
        expect(res.txs).toHaveTransaction({ to: p.contract.address, op: Op.OrderPayment, success: true });
        expect((await order.contract.getOrderData()).heldNet).toBe(0n);
        // Closing: payouts still work; after settlement they are refused
        await external(2);
        await sendOrderMsg(order.client, order, 'Close');
        await conserving(m, watch(), () => sendPayout(p.owner, order));
        await external(3, true);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        await refuse(order, ExitCode.BAD_STATE, () => sendPayout(p.owner, order));
    });

    it('a final external claim settles: one payment of everything held, the refund of the rest', async () => {
        await external(1);
        await sendClaim(p.owner, order, rc(2));
        const heldNet = 3n * STEP - externalClaimFee(false) - externalClaimFee(true);
        const pBefore = await p.contract.getProviderData();
        const held = await balance(order);
        const res = await conserving(m, watch(), () => external(3, true));
        const d = await order.contract.getOrderData();
        expect([d.state, d.paid, d.held, d.heldNet]).toEqual([BigInt(OrderState.SETTLED), 3n * STEP, 0n, 0n]);
        expect(await balance(order)).toBe(0n);
        const pay = sentMessage(res.txs, order.contract.address, p.contract.address)!;
        expect(pay.value).toBe(heldNet - pay.forwardFee);
        expect(loadOrderPayment(pay.body.beginParse())).toMatchObject({
            orderId: order.id,
            fee: fee(3n * STEP),
            final: true,
            noShow: false,
        });
        const pAfter = await p.contract.getProviderData();
        expect(pAfter.live).toBe(pBefore.live - 1n);
        expect(pAfter.pendingNew - pBefore.pendingNew).toBe(pay.value - fee(3n * STEP));
        // the client gets everything else the Order held
        const refund = sentMessage(res.txs, order.contract.address, order.client.address)!;
        expect(loadOrderRefund(refund.body.beginParse())).toMatchObject({
            orderId: order.id,
            state: BigInt(OrderState.SETTLED),
        });
        // (the Order's own cost: the transaction's fees less the action fees, which are part of the forwarding)
        const d0 = res.txs[0].description;
        const actionFees = d0.type === 'generic' ? (d0.actionPhase?.totalActionFees ?? 0n) : 0n;
        const own = res.txs[0].totalFees.coins - actionFees;
        expect(refund.value).toBe(held - own - heldNet - refund.forwardFee);
        // what the provider paid for this final claim covers the Order's own cost
        expect(own).toBeLessThan(externalClaimFee(true));
    });

    it('a final external claim whose payment would not pay the Provider processing is refused before accept', async () => {
        // nothing held: delta − fee must reach ORDER_RELEASE_VALUE
        const min = externalClaimMin(true, 0n);
        expect(min).toBe(externalClaimFee(true) + Gas.ORDER_RELEASE_VALUE);
        const before = await orderState(order.contract);
        const bal = await balance(order);
        // 0.015 TON: above the fee and margin, below what the payment needs
        const small = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 5_000n, tokensOut: 5_000n }), p.enclave);
        expect(5_000n * 1000n + 5_000n * 2000n).toBeLessThan(min);
        expect(5_000n * 1000n + 5_000n * 2000n).toBeGreaterThan(externalClaimFee(true) + Gas.EXTERNAL_CLAIM_MARGIN);
        await expect(order.contract.sendExternal({ $$type: 'ExternalClaim', ...small, final: true })).rejects.toThrow();
        expect(await orderState(order.contract)).toEqual(before);
        expect(await balance(order)).toBe(bal);
        // with earnings held, a smaller final claim is enough: it settles
        await external(1);
        const small2 = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 10_000n + 3_000n, tokensOut: 10_000n + 3_000n }),
            p.enclave,
        );
        await conserving(m, watch(), () =>
            order.contract.sendExternal({ $$type: 'ExternalClaim', ...small2, final: true }),
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect(await balance(order)).toBe(0n);
    });

    it('a final internal claim sends the held earnings with the claimant value in one payment', async () => {
        await external(1);
        const value = toNano('0.05');
        const res = await conserving(m, watch(), () => sendClaim(p.owner, order, rc(2), true, value));
        const pay = sentMessage(res.txs, order.contract.address, p.contract.address)!;
        const heldNet = 2n * STEP - externalClaimFee(false);
        expect(pay.value).toBe(heldNet + value - computeFee(res.txs, order.contract.address) - pay.forwardFee);
        expect(loadOrderPayment(pay.body.beginParse())).toMatchObject({ fee: fee(2n * STEP), final: true });
        expect(await balance(order)).toBe(0n);
    });

    it('a timeout settles with one payment: the held earnings and the capacity release', async () => {
        await external(1);
        await sendOrderMsg(order.client, order, 'Close');
        const closeAt = Number((await order.contract.getOrderData()).closeAt);
        m.blockchain.now = closeAt + Number(m.params.closeGrace) + 1;
        const pBefore = await p.contract.getProviderData();
        const res = await conserving(m, watch(), () => sendOrderMsg(stranger, order, 'Timeout'));
        const payments = txsAt(res.txs, p.contract.address);
        expect(payments).toHaveLength(1);
        const pay = sentMessage(res.txs, order.contract.address, p.contract.address)!;
        const heldNet = STEP - externalClaimFee(false);
        expect(pay.value).toBe(heldNet + Gas.ORDER_RELEASE_VALUE - pay.forwardFee);
        expect(loadOrderPayment(pay.body.beginParse())).toMatchObject({ fee: fee(STEP), final: true, noShow: false });
        const pAfter = await p.contract.getProviderData();
        expect(pAfter.live).toBe(pBefore.live - 1n);
        expect(pAfter.pendingNew - pBefore.pendingNew).toBe(pay.value - fee(STEP));
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect(await balance(order)).toBe(0n);
    });
});

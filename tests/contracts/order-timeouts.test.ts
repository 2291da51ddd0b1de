import { toNano } from '@ton/core';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, OrderState } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    Market,
    matchOrder,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    registerProvider,
    signedReceipt,
} from '../helpers/market';
import { expectRefused, orderState, sendClaim, sendOrderMsg, snapshotFixture } from '../helpers/audit';

describe('order timeouts', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p1', { priceIn: 1000n, priceOut: 2000n });
        const keeper = await m.blockchain.treasury('keeper');
        return { m, p, keeper };
    });
    let m: Market;
    let p: ProviderHandle;
    let keeper: SandboxContract<TreasuryContract>;
    beforeEach(async () => {
        ({ m, p, keeper } = await fixture());
    });

    const tooEarly = (order: OrderHandle) =>
        expectRefused(
            m,
            order.contract.address,
            ExitCode.TOO_EARLY,
            [keeper.address],
            () => orderState(order.contract),
            () => sendOrderMsg(keeper, order, 'Timeout'),
        );
    // a timeout by anyone: the order ends with 0 balance, everything conserved
    const timeout = async (order: OrderHandle, state: number) => {
        const res = await conserving(
            m,
            [keeper.address, order.client.address, order.contract.address, p.contract.address, p.owner.address],
            () => sendOrderMsg(keeper, order, 'Timeout'),
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(state));
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
        return res;
    };
    const claim1 = (order: OrderHandle) =>
        sendClaim(
            p.owner,
            order,
            signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }), p.enclave),
        );

    it('Open past matchBy: Expired, the client gets everything the order held', async () => {
        const order = await createOrder(m, { matchWithin: 60 });
        const t0 = m.blockchain.now!;
        m.blockchain.now = t0 + 60;
        await tooEarly(order);
        m.blockchain.now = t0 + 61;
        const held = (await m.blockchain.getContract(order.contract.address)).balance;
        const res = await timeout(order, OrderState.EXPIRED);
        expect(
            res.deltas.get(order.client.address.toRawString())! + res.deltas.get(keeper.address.toRawString())!,
        ).toBe(held - res.fees);
    });

    it('Matched with no receipt past firstReceiptBy: Refunded, noShows counted, capacity released', async () => {
        const order = await createOrder(m, { firstReceiptWindow: 100 });
        await matchOrder(m, keeper, order, p);
        const by = Number((await order.contract.getOrderData()).firstReceiptBy);
        m.blockchain.now = by;
        await tooEarly(order);
        m.blockchain.now = by + 1;
        await timeout(order, OrderState.REFUNDED);
        expect((await p.contract.getCounters()).noShows).toBe(1n);
        expect((await p.contract.getProviderData()).live).toBe(0n);
    });

    it('Closing past the grace: Settled', async () => {
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        await claim1(order);
        await sendOrderMsg(order.client, order, 'Close');
        const closeAt = Number((await order.contract.getOrderData()).closeAt);
        m.blockchain.now = closeAt + Number(m.params.closeGrace);
        await tooEarly(order);
        m.blockchain.now = closeAt + Number(m.params.closeGrace) + 1;
        await timeout(order, OrderState.SETTLED);
        expect((await p.contract.getProviderData()).live).toBe(0n);
        expect((await p.contract.getCounters()).noShows).toBe(0n);
    });

    it('Matched past expiresAt + grace: Settled', async () => {
        const order = await createOrder(m, { life: 600 });
        await matchOrder(m, keeper, order, p);
        await claim1(order);
        const end = Number((await order.contract.getOrderData()).expiresAt + m.params.closeGrace);
        m.blockchain.now = end;
        await tooEarly(order);
        m.blockchain.now = end + 1;
        await timeout(order, OrderState.SETTLED);
    });

    it('refuses a Timeout with too little value (LOW_VALUE) and a Timeout while Pending-free final states (BAD_STATE)', async () => {
        const order = await createOrder(m, { matchWithin: 60 });
        m.blockchain.now = m.blockchain.now! + 61;
        await expectRefused(
            m,
            order.contract.address,
            ExitCode.LOW_VALUE,
            [keeper.address],
            () => orderState(order.contract),
            () => sendOrderMsg(keeper, order, 'Timeout', toNano('0.019')),
        );
        await timeout(order, OrderState.EXPIRED);
        await expectRefused(
            m,
            order.contract.address,
            ExitCode.BAD_STATE,
            [keeper.address],
            () => orderState(order.contract),
            () => sendOrderMsg(keeper, order, 'Timeout'),
        );
    });

    it('the client cancels an unmatched order with Close: Expired, match fee included', async () => {
        const order = await createOrder(m);
        const held = (await m.blockchain.getContract(order.contract.address)).balance;
        const res = await conserving(m, [order.client.address, order.contract.address], () =>
            sendOrderMsg(order.client, order, 'Close'),
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.EXPIRED));
        expect(res.deltas.get(order.client.address.toRawString())).toBe(held - res.fees);
    });
});

import { toNano } from '@ton/core';
import '@ton/test-utils';
import { ExitCode, OrderState, Gas, Op, externalClaimFee } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    exitCodeAt,
    Market,
    matchOrder,
    ProviderHandle,
    receiptFor,
    registerProvider,
    signedReceipt,
    T0,
} from '../helpers/market';

describe('order lifecycle', () => {
    let m: Market;
    let provider: ProviderHandle;

    beforeEach(async () => {
        m = await deployMarket();
        provider = await registerProvider(m, 'provider-a', { priceIn: 1000n, priceOut: 2000n });
    });

    it('creates, matches, claims, closes and settles with every nanoton accounted for', async () => {
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m, { value: toNano('5.05') });
        expect(order.result.transactions).toHaveTransaction({
            to: order.contract.address,
            deploy: true,
            success: true,
        });
        let data = await order.contract.getOrderData();
        expect(data.state).toBe(BigInt(OrderState.OPEN));
        // budget = value that reached the Order - match fee - storage reserve
        const orderInit = order.result.transactions.find(
            (t) => t.address === BigInt('0x' + order.contract.address.hash.toString('hex')),
        )!;
        const arrived = orderInit.inMessage!.info.type === 'internal' ? orderInit.inMessage!.info.value.coins : 0n;
        expect(data.budget).toBe(arrived - m.params.matchFee - Gas.ORDER_STORAGE_RESERVE);

        const watch = [
            order.client.address,
            keeper.address,
            provider.owner.address,
            provider.contract.address,
            order.contract.address,
            m.treasury.address,
        ];
        const match = await conserving(m, watch, () => matchOrder(m, keeper, order, provider));
        expect(match.txs).toHaveTransaction({
            from: order.contract.address,
            to: keeper.address,
            value: (v) => v! >= m.params.matchFee,
        });
        data = await order.contract.getOrderData();
        expect(data.state).toBe(BigInt(OrderState.MATCHED));
        expect(data.priceIn).toBe(1000n);
        expect(data.priceOut).toBe(2000n);
        expect((await provider.contract.getProviderData()).live).toBe(1n);

        // one receipt of 100,000 tokens in total
        m.blockchain.now = T0 + 30;
        const r1 = signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 40_000n, tokensOut: 60_000n }),
            provider.enclave,
        );
        const cost = 40_000n * 1000n + 60_000n * 2000n;
        const claim = await conserving(m, watch, () =>
            order.contract.sendExternal({
                $$type: 'ExternalClaim',
                receipt: r1.receipt,
                signature: r1.signature,
                final: false,
            }),
        );
        // the claim is recorded in the Order: one transaction, the earnings held until settlement or a payout
        expect(claim.txs).toHaveLength(1);
        data = await order.contract.getOrderData();
        expect(data.seqno).toBe(1n);
        expect(data.paid).toBe(cost);
        expect(data.held).toBe(cost);
        expect(data.heldNet).toBe(cost - externalClaimFee(false));

        const close = await order.contract.send(
            order.client.getSender(),
            { value: toNano('0.02') },
            { $$type: 'Close', queryId: 0n },
        );
        expect(close.transactions).toHaveTransaction({ to: order.contract.address, success: true });
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.CLOSING));

        // the client may not take the money before the grace window ends
        const early = await order.contract.send(
            keeper.getSender(),
            { value: toNano('0.02') },
            { $$type: 'Timeout', queryId: 0n },
        );
        expect(early.transactions).toHaveTransaction({
            to: order.contract.address,
            success: false,
            exitCode: ExitCode.TOO_EARLY,
        });

        m.blockchain.now = T0 + 30 + Number(m.params.closeGrace) + 1;
        const balBefore = await order.contract.getOrderData();
        const orderBalance = (await m.blockchain.getContract(order.contract.address)).balance;
        const settle = await conserving(m, watch, () =>
            order.contract.send(
                order.client.getSender(),
                { value: toNano('0.02') },
                { $$type: 'Timeout', queryId: 0n },
            ),
        );
        expect(settle.txs).toHaveTransaction({ from: order.contract.address, to: order.client.address, success: true });
        // the held earnings and the capacity release reached the Provider in one payment, fee on the gross
        expect(settle.txs).toHaveTransaction({
            from: order.contract.address,
            to: provider.contract.address,
            op: Op.OrderPayment,
            success: true,
        });
        const pd = await provider.contract.getProviderData();
        expect(pd.feesOwed).toBe((cost * m.params.feeBps) / 10000n);
        expect(pd.pendingNew).toBeGreaterThan(data.heldNet - pd.feesOwed);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
        expect(balBefore.paid).toBe(cost);
        expect(orderBalance).toBeGreaterThan(balBefore.budget - cost);
        const p = await provider.contract.getProviderData();
        expect(p.live).toBe(0n);
        const counters = await provider.contract.getCounters();
        expect(counters.ordersMatched).toBe(1n);
        expect(counters.ordersCompleted).toBe(1n);
    });

    it('refuses a second keeper once the order is matched and pays only the winner; the slot is released', async () => {
        const k1 = await m.blockchain.treasury('keeper-1');
        const k2 = await m.blockchain.treasury('keeper-2');
        const order = await createOrder(m);
        const r1 = await matchOrder(m, k1, order, provider);
        const r2 = await matchOrder(m, k2, order, provider);
        expect(r1.transactions).toHaveTransaction({ from: order.contract.address, to: k1.address, op: 0x434f0091 });
        // the Order refuses the second (ReleaseReservation), the Provider frees the slot and refunds the keeper
        expect(r2.transactions).toHaveTransaction({
            from: order.contract.address,
            to: provider.contract.address,
            op: 0x434f0077,
        });
        expect(r2.transactions).toHaveTransaction({ from: provider.contract.address, to: k2.address, op: 0x434f0090 });
        expect((await provider.contract.getProviderData()).live).toBe(1n);
        expect((await provider.contract.getCounters()).ordersMatched).toBe(1n);
    });

    it('expires an unmatched order and refunds everything, match fee included', async () => {
        const order = await createOrder(m, { matchWithin: 60 });
        const early = await order.contract.send(
            order.client.getSender(),
            { value: toNano('0.02') },
            { $$type: 'Timeout', queryId: 0n },
        );
        expect(exitCodeAt(early, order.contract.address)).toBe(ExitCode.TOO_EARLY);
        m.blockchain.now = T0 + 61;
        const watch = [order.client.address, order.contract.address];
        const held = (await m.blockchain.getContract(order.contract.address)).balance;
        const res = await conserving(m, watch, () =>
            order.contract.send(
                order.client.getSender(),
                { value: toNano('0.02') },
                { $$type: 'Timeout', queryId: 0n },
            ),
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.EXPIRED));
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
        // everything the order held reaches the client; only the fees of this chain are gone
        expect(res.deltas.get(order.client.address.toRawString())).toBe(held - res.fees);
    });

    it('refunds a no-show in full and records it on the provider', async () => {
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m, { firstReceiptWindow: 100 });
        await matchOrder(m, keeper, order, provider);
        m.blockchain.now = T0 + 101;
        await order.contract.send(
            order.client.getSender(),
            { value: toNano('0.02') },
            { $$type: 'Timeout', queryId: 0n },
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.REFUNDED));
        expect((await provider.contract.getCounters()).noShows).toBe(1n);
        expect((await provider.contract.getProviderData()).live).toBe(0n);
    });
});

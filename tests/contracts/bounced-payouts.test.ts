import { toNano } from '@ton/core';
import '@ton/test-utils';
import { externalClaimFee, Gas, OrderState } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    matchOrder,
    receiptFor,
    registerProvider,
    signedReceipt,
    T0,
} from '../helpers/market';

/**
 * Payouts that bounce: a payment the Provider account cannot take (here: the account is gone, as after a
 * freeze and deletion; the payment is an OrderPayout's) comes back to the Order and stays owed to the provider, never to the client; at
 * settlement it goes to the provider's wallet, and after settlement a bounced capacity release does too.
 * Client refunds and keeper fees are non-bounceable, so a frozen or undeployed wallet keeps them for its owner.
 */
describe('bounced payouts', () => {
    it('a payment the Provider cannot take stays owed to its owner and reaches the owner at settlement', async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'provider-gone', { priceIn: 1000n, priceOut: 2000n });
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        // the Provider account disappears (frozen and removed for storage debt, say)
        await m.blockchain.setShardAccount(p.contract.address, {
            account: undefined,
            lastTransactionHash: 0n,
            lastTransactionLt: 0n,
        });
        m.blockchain.now = T0 + 30;
        const r = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 40_000n, tokensOut: 60_000n }), p.enclave);
        const watch = [order.client.address, order.contract.address, p.owner.address, p.contract.address];
        await conserving(m, watch, () => order.contract.sendExternal({ $$type: 'ExternalClaim', ...r, final: false }));
        const claimed = await order.contract.getOrderData();
        // the payout's OrderPayment finds no account and bounces: the value comes back, owed to the provider
        const payout = await conserving(m, watch, () =>
            order.contract.send(p.owner.getSender(), { value: Gas.PAYOUT_GAS }, { $$type: 'OrderPayout', queryId: 0n }),
        );
        expect(payout.txs).toHaveTransaction({ from: order.contract.address, to: p.contract.address, aborted: true });
        const back = payout.txs.find(
            (t) =>
                t.inMessage?.info.type === 'internal' &&
                t.inMessage.info.bounced &&
                t.inMessage.info.dest.equals(order.contract.address),
        )!;
        const bounced = back.inMessage!.info.type === 'internal' ? back.inMessage!.info.value.coins : 0n;
        const d = await order.contract.getOrderData();
        expect(d.paid).toBe(160_000_000n); // the claim counts: the provider earned it
        expect([d.held, d.heldNet, d.state]).toEqual([0n, 0n, BigInt(OrderState.MATCHED)]);
        expect(d.owed).toBe(bounced);
        // what came back: the held net and the payout's value less the gas and forwarding on the way
        expect(d.owed).toBeLessThan(claimed.heldNet + Gas.PAYOUT_GAS);
        expect(d.owed).toBeGreaterThan(claimed.heldNet);
        const owed = d.owed;

        await order.contract.send(
            order.client.getSender(),
            { value: toNano('0.02') },
            { $$type: 'Close', queryId: 0n },
        );
        m.blockchain.now = T0 + 30 + Number(m.params.closeGrace) + 1;
        const settle = await conserving(m, watch, () =>
            order.contract.send(
                order.client.getSender(),
                { value: toNano('0.02') },
                { $$type: 'Timeout', queryId: 0n },
            ),
        );
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        // the owed amount went to the provider's wallet, the rest to the client, nothing stays in the Order
        const toOwner = settle.txs.filter(
            (t) =>
                t.inMessage?.info.type === 'internal' &&
                t.inMessage.info.src.equals(order.contract.address) &&
                t.inMessage.info.dest.equals(p.owner.address),
        );
        // first the owed payment: sent as exactly `owed` in mode 0, so only its forwarding (< 0.001 TON) comes
        // out of it (the nanoton balance of the whole chain is checked by `conserving`); then the bounced release
        const first = toOwner[0].inMessage!.info;
        const received = first.type === 'internal' ? first.value.coins : 0n;
        expect(received).toBeLessThan(owed);
        expect(owed - received).toBeLessThan(1_000_000n);
        expect(toOwner).toHaveLength(2);
        expect(settle.txs).toHaveTransaction({ from: order.contract.address, to: order.client.address });
        // the capacity release to the missing Provider bounced after settlement: it went to the provider's wallet
        expect(settle.txs).toHaveTransaction({
            from: p.contract.address,
            to: order.contract.address,
            inMessageBounced: true,
        });
        expect(settle.deltas.get(p.owner.address.toRawString())!).toBeGreaterThan(owed);
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
    });

    it('a final external claim that also pays what is owed costs less than the settle fee it is charged', async () => {
        // the costliest settlement an external claim makes: payment, refund and the owed payment to the owner
        const m = await deployMarket();
        const p = await registerProvider(m, 'provider-away', { priceIn: 1000n, priceOut: 2000n });
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        const provider = await m.blockchain.getContract(p.contract.address);
        const account = provider.account;
        await m.blockchain.setShardAccount(p.contract.address, {
            account: undefined,
            lastTransactionHash: 0n,
            lastTransactionLt: 0n,
        });
        m.blockchain.now = T0 + 30;
        const r1 = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 40_000n, tokensOut: 60_000n }), p.enclave);
        await order.contract.sendExternal({ $$type: 'ExternalClaim', ...r1, final: false });
        await order.contract.send(
            p.owner.getSender(),
            { value: Gas.PAYOUT_GAS },
            { $$type: 'OrderPayout', queryId: 0n },
        );
        expect((await order.contract.getOrderData()).owed).toBeGreaterThan(0n);
        await m.blockchain.setShardAccount(p.contract.address, account); // the Provider is back
        const r2 = signedReceipt(receiptFor(m, order, { seqno: 2, tokensIn: 80_000n, tokensOut: 120_000n }), p.enclave);
        const res = await order.contract.sendExternal({ $$type: 'ExternalClaim', ...r2, final: true });
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect(res.transactions).toHaveTransaction({ from: order.contract.address, to: p.owner.address });
        // the Order's own cost: the transaction's fees less the action fees (part of the forwarding)
        const d = res.transactions[0].description;
        const actionFees = d.type === 'generic' ? (d.actionPhase?.totalActionFees ?? 0n) : 0n;
        expect(res.transactions[0].totalFees.coins - actionFees).toBeLessThan(externalClaimFee(true));
    });
});

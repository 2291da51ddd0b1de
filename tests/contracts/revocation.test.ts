import { toNano } from '@ton/core';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, Op, OrderState, ProviderStatus } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    Market,
    matchOrder,
    MEASUREMENT,
    ProviderHandle,
    receiptFor,
    registerProvider,
    signedReceipt,
} from '../helpers/market';
import {
    bodiesTo,
    bufferToUint256,
    expectRefused,
    refusalCode,
    registryState,
    sendClaim,
    sendPayout,
    sendOrderMsg,
    snapshotFixture,
} from '../helpers/audit';

describe('revocation', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p1', { priceIn: 1000n, priceOut: 2000n });
        const keeper = await m.blockchain.treasury('keeper');
        const anyone = await m.blockchain.treasury('anyone');
        return { m, p, keeper, anyone };
    });
    let m: Market;
    let p: ProviderHandle;
    let keeper: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    beforeEach(async () => {
        ({ m, p, keeper, anyone } = await fixture());
    });
    const relay = (measurement = bufferToUint256(MEASUREMENT)) =>
        m.registry.send(
            anyone.getSender(),
            { value: toNano('0.05') },
            { $$type: 'RelayRevocation', queryId: 0n, measurement, provider: p.owner.address },
        );
    const revoke = async () => {
        await m.registry.send(
            m.governance.getSender(),
            { value: toNano('0.05') },
            { $$type: 'RevokeMeasurement', queryId: 0n, measurement: bufferToUint256(MEASUREMENT) },
        );
        const r = await relay();
        expect(r.transactions).toHaveTransaction({ to: p.contract.address, op: Op.ProviderRevoked, success: true });
        expect((await p.contract.getProviderData()).status).toBe(BigInt(ProviderStatus.DEACTIVATED));
    };

    it('refuses RelayRevocation for a measurement that is not revoked (MEASUREMENT) or with too little value', async () => {
        await expectRefused(
            m,
            m.registry.address,
            ExitCode.MEASUREMENT,
            [anyone.address],
            () => registryState(m),
            () => relay(),
        );
        await expectRefused(
            m,
            m.registry.address,
            ExitCode.MEASUREMENT,
            [anyone.address],
            () => registryState(m),
            () => relay(42n),
        );
        await expectRefused(
            m,
            m.registry.address,
            ExitCode.LOW_VALUE,
            [anyone.address],
            () => registryState(m),
            () =>
                m.registry.send(
                    anyone.getSender(),
                    { value: toNano('0.019') },
                    { $$type: 'RelayRevocation', queryId: 0n, measurement: 1n, provider: p.owner.address },
                ),
        );
    });

    it('deactivates the Provider: new matches are refused (NOT_ACTIVE)', async () => {
        await revoke();
        const order = await createOrder(m);
        const res = await conserving(m, [keeper.address, order.contract.address, p.contract.address], () =>
            matchOrder(m, keeper, order, p),
        );
        expect(refusalCode(bodiesTo(res.txs, keeper.address, Op.MatchRefused)[0], true)).toBe(ExitCode.NOT_ACTIVE);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.OPEN));
    });

    it('claims after revocation come back (PaymentReturned) and reach the client at settlement', async () => {
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        await revoke();
        const pBefore = await p.contract.getProviderData();
        const watch = [
            p.owner.address,
            p.contract.address,
            order.contract.address,
            order.client.address,
            keeper.address,
        ];
        const r1 = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }), p.enclave);
        await conserving(m, watch, () => sendClaim(p.owner, order, r1));
        // the claim is held in the Order; a payout sends it to the revoked Provider, which returns it
        const claim = await conserving(m, watch, () => sendPayout(p.owner, order));
        expect(claim.txs).toHaveTransaction({
            from: p.contract.address,
            to: order.contract.address,
            op: Op.PaymentReturned,
        });
        const pAfter = await p.contract.getProviderData();
        expect([pAfter.pendingNew, pAfter.feesOwed]).toEqual([pBefore.pendingNew, pBefore.feesOwed]);
        // the Provider kept nothing of it
        expect(claim.deltas.get(p.contract.address.toRawString())).toBeLessThanOrEqual(0n);
        await sendOrderMsg(order.client, order, 'Close');
        m.blockchain.now = m.blockchain.now! + Number(m.params.closeGrace) + 1;
        const held = (await m.blockchain.getContract(order.contract.address)).balance;
        const settle = await conserving(m, watch, () => sendOrderMsg(order.client, order, 'Timeout'));
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
        // the client gets the whole balance, the returned payment included (the capacity release comes back too)
        expect(settle.deltas.get(order.client.address.toRawString())).toBeGreaterThanOrEqual(held - settle.fees);
    });

    it('a final claim after revocation: the payment returned to the settled order reaches the client', async () => {
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        await revoke();
        const watch = [p.owner.address, p.contract.address, order.contract.address, order.client.address];
        const held = (await m.blockchain.getContract(order.contract.address)).balance;
        const r1 = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }), p.enclave);
        const res = await conserving(m, watch, () => sendClaim(p.owner, order, r1, true));
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
        // nothing strands in the finished order: the client got what the order held, less the network's fees
        const client = res.deltas.get(order.client.address.toRawString())!;
        expect(client).toBeGreaterThan(held - toNano('0.01'));
    });
});

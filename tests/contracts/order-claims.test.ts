import { Address, toNano } from '@ton/core';
import { SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, Op, OrderState } from '../../wrappers/Constants';
import {
    certSignatures,
    conserving,
    createOrder,
    deployMarket,
    makeCert,
    Market,
    matchOrder,
    NETWORK,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    registerProvider,
    seededKeyPair,
    sha256,
    signedReceipt,
} from '../helpers/market';
import {
    bodiesTo,
    expectOnlyStorage,
    expectRefused,
    orderState,
    providerState,
    refusalCode,
    registryState,
    sendClaim,
    sendOrderMsg,
    sendRegister,
    snapshotFixture,
    storageFees,
} from '../helpers/audit';

const PRICE_IN = 1000n;
const PRICE_OUT = 2000n;

describe('orders: creation and matching', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p1', { priceIn: PRICE_IN, priceOut: PRICE_OUT });
        const keeper = await m.blockchain.treasury('keeper');
        const client = await m.blockchain.treasury('client');
        return { m, p, keeper, client };
    });
    let m: Market;
    let p: ProviderHandle;
    let keeper: SandboxContract<TreasuryContract>;
    let client: SandboxContract<TreasuryContract>;
    beforeEach(async () => {
        ({ m, p, keeper, client } = await fixture());
    });
    const refuseBook = (code: number, action: () => Promise<SendMessageResult>, who: Address) =>
        expectRefused(m, m.orderBook.address, code, [who], () => registryState(m), action);

    it('refuses CreateOrder for an unknown model, bad deadlines and too little value', async () => {
        const create = (o: Parameters<typeof createOrder>[1]) => () => createOrder(m, o).then((x) => x.result);
        await refuseBook(ExitCode.MODEL_NOT_ALLOWED, create({ model: sha256('nope') }), client.address);
        await refuseBook(ExitCode.BAD_DEADLINES, create({ matchWithin: 0 }), client.address);
        await refuseBook(ExitCode.BAD_DEADLINES, create({ matchWithin: 100, life: 50 }), client.address);
        await refuseBook(ExitCode.BAD_DEADLINES, create({ life: Number(m.params.maxOrderLife) + 1 }), client.address);
        await refuseBook(ExitCode.BAD_DEADLINES, create({ firstReceiptWindow: 0 }), client.address);
        const min = m.params.minBudget + m.params.matchFee + toNano('0.01') + toNano('0.03');
        await refuseBook(ExitCode.BUDGET_TOO_LOW, create({ value: min - 1n }), client.address);
        const ok = await createOrder(m, { value: min });
        expect(ok.result.transactions).toHaveTransaction({ to: ok.contract.address, deploy: true, success: true });
    });

    it('refuses MatchOrder for an unknown id (UNKNOWN_ORDER) and with too little value (LOW_VALUE)', async () => {
        const order = await createOrder(m);
        await refuseBook(ExitCode.UNKNOWN_ORDER, () => matchOrder(m, keeper, { ...order, id: 1n }, p), keeper.address);
        await refuseBook(
            ExitCode.LOW_VALUE,
            () => matchOrder(m, keeper, order, p, { value: toNano('0.039') }),
            keeper.address,
        );
    });

    // A refused match leaves the Order and the Provider as they were and returns the keeper's value (less the
    // network's fees) in a MatchRefused from the Provider: at once when the Provider refuses, after the
    // Order's ReleaseReservation when the Order refuses (the Provider's lastMatchAt then stays moved: it
    // only lengthens the bound on its unbonding).
    const refusedMatch = async (
        order: OrderHandle,
        code: number,
        ask: Parameters<typeof matchOrder>[4],
        who: Address,
        byOrder = false,
    ) => {
        const before = await orderState(order.contract);
        type PState = { data: { lastMatchAt: string } };
        const pBefore = (await providerState(p.contract)) as PState;
        const res = await conserving(m, [keeper.address, order.contract.address, p.contract.address, who], () =>
            matchOrder(m, keeper, order, { ...p, owner: { address: who } as SandboxContract<TreasuryContract> }, ask),
        );
        expect(res.txs).toHaveTransaction({ from: p.contract.address, to: keeper.address, op: Op.MatchRefused });
        expect(refusalCode(bodiesTo(res.txs, keeper.address, Op.MatchRefused)[0], true)).toBe(code);
        expect(await orderState(order.contract)).toEqual(before);
        const pAfter = (await providerState(p.contract)) as PState;
        if (byOrder) {
            expect(res.txs).toHaveTransaction({
                from: order.contract.address,
                to: p.contract.address,
                op: Op.ReleaseReservation,
            });
            expect(pAfter.data.lastMatchAt).toBe(BigInt(m.blockchain.now!).toString());
            pAfter.data.lastMatchAt = pBefore.data.lastMatchAt;
        } else {
            expect(res.txs).not.toHaveTransaction({ to: order.contract.address });
        }
        expect(pAfter).toEqual(pBefore);
        // nothing stays anywhere on the way: the keeper paid only the network's fees
        expectOnlyStorage(res, [m.orderBook.address, order.contract.address, p.contract.address]);
        return res;
    };

    it('the Provider refuses a keeper ask below its ask (ASK_TOO_HIGH): the Order is never reached', async () => {
        const order = await createOrder(m);
        await refusedMatch(order, ExitCode.ASK_TOO_HIGH, { askIn: PRICE_IN - 1n, askOut: PRICE_OUT }, p.owner.address);
        await refusedMatch(order, ExitCode.ASK_TOO_HIGH, { askIn: PRICE_IN, askOut: PRICE_OUT - 1n }, p.owner.address);
    });

    it('the Order refuses a Provider ask above the client max (ASK_TOO_HIGH); the slot is released', async () => {
        const lowIn = await createOrder(m, { maxPriceIn: PRICE_IN - 1n, maxPriceOut: PRICE_OUT });
        await refusedMatch(lowIn, ExitCode.ASK_TOO_HIGH, { askIn: PRICE_IN, askOut: PRICE_OUT }, p.owner.address, true);
        const lowOut = await createOrder(m, { maxPriceIn: PRICE_IN, maxPriceOut: PRICE_OUT - 1n });
        await refusedMatch(lowOut, ExitCode.ASK_TOO_HIGH, {}, p.owner.address, true);
        // a keeper ask above the client max is fine when the Provider's own ask is within it
        const wide = await createOrder(m, { maxPriceIn: PRICE_IN, maxPriceOut: PRICE_OUT });
        await matchOrder(m, keeper, wide, p, { askIn: 9999n, askOut: 9999n });
        const d = await wide.contract.getOrderData();
        expect([d.state, d.priceIn, d.priceOut]).toEqual([BigInt(OrderState.MATCHED), PRICE_IN, PRICE_OUT]);
    });

    it('the Order refuses a model or expiry the keeper named that is not its own (BAD_PARAM)', async () => {
        const order = await createOrder(m);
        const d = await order.contract.getOrderData();
        await refusedMatch(
            order,
            ExitCode.BAD_PARAM,
            { expiresAt: d.expiresAt - 1n, model: d.model },
            p.owner.address,
            true,
        );
        // a model the Provider also serves, not the order's
        const other = sha256('other-model');
        await p.contract.send(
            p.owner.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'SetAsk',
                queryId: 0n,
                model: BigInt('0x' + other.toString('hex')),
                priceIn: PRICE_IN,
                priceOut: PRICE_OUT,
            },
        );
        await refusedMatch(
            order,
            ExitCode.BAD_PARAM,
            { model: BigInt('0x' + other.toString('hex')), expiresAt: d.expiresAt },
            p.owner.address,
            true,
        );
        // a model the Provider does not serve stops at the Provider
        await refusedMatch(order, ExitCode.MODEL_NOT_SERVED, { model: 1n, expiresAt: d.expiresAt }, p.owner.address);
        await matchOrder(m, keeper, order, p);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.MATCHED));
    });

    it('a match to a provider that does not exist bounces to the OrderBook, which keeps and counts the value', async () => {
        const order = await createOrder(m);
        const ghost = await m.blockchain.treasury('ghost');
        const ghostProvider = await m.registry.getProviderAddress(ghost.address);
        const before = await orderState(order.contract);
        const value = toNano('0.05');
        const res = await conserving(m, [keeper.address, order.contract.address, ghostProvider], () =>
            matchOrder(m, keeper, order, { ...p, owner: ghost }, { value }),
        );
        expect(res.txs).toHaveTransaction({ from: m.orderBook.address, to: ghostProvider, aborted: true });
        expect(res.txs).toHaveTransaction({
            from: ghostProvider,
            to: m.orderBook.address,
            inMessageBounced: true,
            success: true,
        });
        expect(res.txs).not.toHaveTransaction({ to: keeper.address, op: Op.MatchRefused });
        expect(res.txs).not.toHaveTransaction({ to: order.contract.address });
        expect((await m.orderBook.getOrderBookData()).matchesBounced).toBe(1n);
        expect(await orderState(order.contract)).toEqual(before);
        // the keeper lost what it attached; the OrderBook holds all of it but the network's fees on the way
        const keeperDelta = res.deltas.get(keeper.address.toRawString())!;
        expect(keeperDelta < -value).toBe(true);
        expect(res.deltas.get(m.orderBook.address.toRawString())).toBe(-keeperDelta - res.fees);
        expect(res.deltas.get(m.orderBook.address.toRawString())! > value - toNano('0.01')).toBe(true);
        await matchOrder(m, keeper, order, p);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.MATCHED));
    });

    it('refuses a ReserveAccepted not sent by the Provider of the owner it names (ACCESS_DENIED)', async () => {
        const order = await createOrder(m);
        const d = await order.contract.getOrderData();
        const stranger = await m.blockchain.treasury('stranger');
        await expectRefused(
            m,
            order.contract.address,
            ExitCode.ACCESS_DENIED,
            [stranger.address],
            () => orderState(order.contract),
            () =>
                order.contract.send(
                    stranger.getSender(),
                    { value: toNano('0.05') },
                    {
                        $$type: 'ReserveAccepted',
                        queryId: 0n,
                        priceIn: 1n,
                        priceOut: 1n,
                        enclaveKey: 1n,
                        model: d.model,
                        expiresAt: d.expiresAt,
                        keeper: stranger.address,
                        owner: p.owner.address,
                    },
                ),
        );
    });

    it('refuses a match after matchBy (TOO_LATE) at the Order; the Provider releases its slot', async () => {
        const order = await createOrder(m, { matchWithin: 60 });
        m.blockchain.now = m.blockchain.now! + 61;
        await refusedMatch(order, ExitCode.TOO_LATE, {}, p.owner.address, true);
    });

    it('refuses a match of a closed order (BAD_STATE) at the Order', async () => {
        const order = await createOrder(m);
        await order.contract.send(
            order.client.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Close', queryId: 0n },
        );
        await refusedMatch(order, ExitCode.BAD_STATE, {}, p.owner.address, true);
    });

    it('two keepers race: only the winner is paid the match fee, the loser gets its value back', async () => {
        const k2 = await m.blockchain.treasury('keeper-2');
        const order = await createOrder(m);
        const res = await conserving(
            m,
            [keeper.address, k2.address, order.contract.address, p.contract.address],
            async () => {
                // both in the same block: the first acceptance matches, the second is released
                const a = matchOrder(m, keeper, order, p);
                const b = matchOrder(m, k2, order, p);
                return [await a, await b];
            },
        );
        expect(res.txs).toHaveTransaction({ from: order.contract.address, to: keeper.address, op: Op.MatchFeePaid });
        expect(res.txs).not.toHaveTransaction({ to: k2.address, op: Op.MatchFeePaid });
        expect(refusalCode(bodiesTo(res.txs, k2.address, Op.MatchRefused)[0], true)).toBe(ExitCode.BAD_STATE);
        expect((await p.contract.getProviderData()).live).toBe(1n);
        expect((await p.contract.getCounters()).ordersMatched).toBe(1n);
        // the winner gained the match fee less its fees; the order lost exactly the fee
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(-m.params.matchFee);
    });
});

describe('orders: claims', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p1', { priceIn: PRICE_IN, priceOut: PRICE_OUT });
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m, { value: toNano('1.05') });
        await matchOrder(m, keeper, order, p);
        const other = await createOrder(m, { clientName: 'client-2' });
        await matchOrder(m, keeper, other, p);
        return { m, p, keeper, order, other };
    });
    let m: Market;
    let p: ProviderHandle;
    let order: OrderHandle;
    let other: OrderHandle;
    beforeEach(async () => {
        ({ m, p, order, other } = await fixture());
    });
    const rc = (seqno: number, tokensIn: bigint, tokensOut: bigint, over = {}) =>
        signedReceipt(receiptFor(m, order, { seqno, tokensIn, tokensOut }, over), p.enclave);
    const refuseClaim = (code: number, action: () => Promise<SendMessageResult>) =>
        expectRefused(
            m,
            order.contract.address,
            code,
            [p.owner.address, p.contract.address],
            () => orderState(order.contract),
            action,
        );

    it('refuses a forged signature (BAD_SIGNATURE)', async () => {
        const r = signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }),
            seededKeyPair('forger'),
        );
        await refuseClaim(ExitCode.BAD_SIGNATURE, () => sendClaim(p.owner, order, r));
    });

    it('refuses a receipt of another order, registry, network, client key or model (BAD_RECEIPT)', async () => {
        const stranger = await m.blockchain.treasury('stranger');
        for (const over of [
            { order: other.contract.address },
            { registry: stranger.address },
            { network: NETWORK + 1 },
            { clientKey: seededKeyPair('other-client').publicKey },
            { model: sha256('model:other') },
        ]) {
            await refuseClaim(ExitCode.BAD_RECEIPT, () => sendClaim(p.owner, order, rc(1, 1000n, 1000n, over)));
        }
    });

    it('charges deltas of cumulative receipts and refuses replayed and decreasing seqnos (SEQNO)', async () => {
        const res = await conserving(
            m,
            [p.owner.address, p.contract.address, order.contract.address, m.treasury.address],
            () => sendClaim(p.owner, order, rc(2, 1000n, 1000n)),
        );
        // the charge is recorded in the Order (held for the provider): no payment, the claimant's gas comes back
        expect(res.txs).not.toHaveTransaction({ to: p.contract.address });
        expect(res.txs).toHaveTransaction({ from: order.contract.address, to: p.owner.address, op: Op.Excesses });
        const d = await order.contract.getOrderData();
        expect([d.paid, d.held, d.heldNet]).toEqual([3_000_000n, 3_000_000n, 3_000_000n]);
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
        await refuseClaim(ExitCode.SEQNO, () => sendClaim(p.owner, order, rc(2, 5000n, 5000n)));
        await refuseClaim(ExitCode.SEQNO, () => sendClaim(p.owner, order, rc(1, 5000n, 5000n)));
        await sendClaim(p.owner, order, rc(3, 2000n, 2000n));
        expect((await order.contract.getOrderData()).paid).toBe(6_000_000n);
    });

    it('refuses a claim below the minimum (CLAIM_TOO_SMALL) unless final; refuses too little value (LOW_VALUE)', async () => {
        await refuseClaim(ExitCode.CLAIM_TOO_SMALL, () => sendClaim(p.owner, order, rc(1, 100n, 100n)));
        await refuseClaim(ExitCode.LOW_VALUE, () =>
            sendClaim(p.owner, order, rc(1, 1000n, 1000n), false, toNano('0.019')),
        );
        await sendClaim(p.owner, order, rc(1, 100n, 100n), true);
        const d = await order.contract.getOrderData();
        expect([d.state, d.paid]).toEqual([BigInt(OrderState.SETTLED), 300_000n]);
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(0n);
    });

    it('caps an over-budget receipt at the budget', async () => {
        const budget = (await order.contract.getOrderData()).budget;
        await sendClaim(p.owner, order, rc(1, 10n ** 12n, 10n ** 12n));
        expect((await order.contract.getOrderData()).paid).toBe(budget);
        // nothing more can ever be charged: a later receipt pays a zero delta
        const bal = (await m.blockchain.getContract(order.contract.address)).balance;
        await sendClaim(p.owner, order, rc(2, 10n ** 13n, 10n ** 13n));
        expect((await order.contract.getOrderData()).paid).toBe(budget);
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(bal);
    });

    it('refuses an external claim replayed or in tiny pieces: nothing paid, order balance unchanged', async () => {
        const r = rc(1, 10_000n, 10_000n);
        await order.contract.sendExternal({
            $$type: 'ExternalClaim',
            receipt: r.receipt,
            signature: r.signature,
            final: false,
        });
        const before = await orderState(order.contract);
        const bal = (await m.blockchain.getContract(order.contract.address)).balance;
        await expect(
            order.contract.sendExternal({
                $$type: 'ExternalClaim',
                receipt: r.receipt,
                signature: r.signature,
                final: false,
            }),
        ).rejects.toThrow();
        // a piece above the minimum claim but below the external's own gas and margin
        const tiny = rc(2, 10_000n + 1000n, 10_000n + 1000n);
        await expect(
            order.contract.sendExternal({
                $$type: 'ExternalClaim',
                receipt: tiny.receipt,
                signature: tiny.signature,
                final: false,
            }),
        ).rejects.toThrow();
        const forged = signedReceipt(
            receiptFor(m, order, { seqno: 5, tokensIn: 10n ** 6n, tokensOut: 0n }),
            seededKeyPair('x'),
        );
        await expect(
            order.contract.sendExternal({
                $$type: 'ExternalClaim',
                receipt: forged.receipt,
                signature: forged.signature,
                final: false,
            }),
        ).rejects.toThrow();
        expect(await orderState(order.contract)).toEqual(before);
        expect((await m.blockchain.getContract(order.contract.address)).balance).toBe(bal);
    });

    it('refuses a claim after the close grace (TOO_LATE) and after expiry + grace', async () => {
        await sendOrderMsg(order.client, order, 'Close');
        m.blockchain.now = m.blockchain.now! + Number(m.params.closeGrace) + 1;
        await refuseClaim(ExitCode.TOO_LATE, () => sendClaim(p.owner, order, rc(1, 1000n, 1000n)));
        const d = await other.contract.getOrderData();
        m.blockchain.now = Number(d.expiresAt + m.params.closeGrace) + 1;
        const r = signedReceipt(receiptFor(m, other, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n }), p.enclave);
        await expectRefused(
            m,
            other.contract.address,
            ExitCode.TOO_LATE,
            [p.owner.address],
            () => orderState(other.contract),
            () => sendClaim(p.owner, other, r),
        );
    });

    it('accepts a receipt signed with the previous key after renewal and PushKey, and the new key', async () => {
        const enclave2 = seededKeyPair('enclave:p1:restart');
        const cert = makeCert(m, p.owner.address, enclave2, { validUntil: m.blockchain.now! + 7300 });
        await sendRegister(m, p.owner, cert, certSignatures(m, cert), { stake: 0n, renewal: true });
        const push = await p.contract.send(
            p.owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'PushKey', queryId: 0n, orderId: order.id },
        );
        expect(push.transactions).toHaveTransaction({
            to: order.contract.address,
            op: Op.EnclaveKeyUpdate,
            success: true,
        });
        const d = await order.contract.getOrderData();
        expect(d.prevEnclaveKey).not.toBe(0n);
        await sendClaim(p.owner, order, rc(1, 1000n, 1000n));
        await sendClaim(
            p.owner,
            order,
            signedReceipt(receiptFor(m, order, { seqno: 2, tokensIn: 2000n, tokensOut: 2000n }), enclave2),
        );
        expect((await order.contract.getOrderData()).paid).toBe(6_000_000n);
    });

    it('refuses a TopUp from a stranger (ACCESS_DENIED); the client tops up the budget', async () => {
        const stranger = await m.blockchain.treasury('stranger');
        await expectRefused(
            m,
            order.contract.address,
            ExitCode.ACCESS_DENIED,
            [stranger.address],
            () => orderState(order.contract),
            () => sendOrderMsg(stranger, order, 'TopUp', toNano('1')),
        );
        const budget = (await order.contract.getOrderData()).budget;
        await sendOrderMsg(order.client, order, 'TopUp', toNano('1'));
        expect((await order.contract.getOrderData()).budget).toBe(budget + toNano('1') - toNano('0.01'));
    });

    it('refuses reentry after close (BAD_STATE): Close twice, claim and TopUp after settlement', async () => {
        await sendClaim(p.owner, order, rc(1, 1000n, 1000n), true);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.SETTLED));
        const c = order.client;
        const refuse = (code: number, a: () => Promise<SendMessageResult>) =>
            expectRefused(
                m,
                order.contract.address,
                code,
                [c.address, p.owner.address],
                () => orderState(order.contract),
                a,
            );
        await refuse(ExitCode.BAD_STATE, () => sendOrderMsg(c, order, 'Close'));
        await refuse(ExitCode.BAD_STATE, () => sendOrderMsg(c, order, 'TopUp', toNano('1')));
        await refuse(ExitCode.BAD_STATE, () => sendOrderMsg(c, order, 'Timeout'));
        await refuse(ExitCode.BAD_STATE, () => sendClaim(p.owner, order, rc(2, 5000n, 5000n)));
        await sendOrderMsg(other.client, other, 'Close');
        await expectRefused(
            m,
            other.contract.address,
            ExitCode.BAD_STATE,
            [other.client.address],
            () => orderState(other.contract),
            () => sendOrderMsg(other.client, other, 'Close'),
        );
    });
});

import { Address, beginCell, toNano } from '@ton/core';
import { SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, Gas, Op, OrderState, ProviderStatus } from '../../wrappers/Constants';
import { Provider, storeProviderTerms } from '../../wrappers/Provider';
import { Registry } from '../../wrappers/Registry';
import { certToCell, rawSignaturesToCell, signCert } from '../../wrappers/formats/certificate';
import {
    certSignatures,
    conserving,
    createOrder,
    deployMarket,
    makeCert,
    Market,
    matchOrder,
    NETWORK,
    ProviderHandle,
    receiptFor,
    registerProvider,
    seededKeyPair,
    sha256,
    signedReceipt,
} from '../helpers/market';
import {
    bodiesTo,
    bufferToUint256,
    expectOnlyStorage,
    expectRefused,
    modelId,
    orderState,
    providerState,
    refusalCode,
    registryState,
    sendClaim,
    sendPayout,
    sendRegister,
    snapshotFixture,
    sentValue,
    storageFees,
} from '../helpers/audit';

describe('provider registration', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket({ verifierCount: 2 });
        const owner = await m.blockchain.treasury('p-reg');
        return { m, owner };
    });
    let m: Market;
    let owner: SandboxContract<TreasuryContract>;
    const enclave = seededKeyPair('enclave:p-reg');

    beforeEach(async () => {
        ({ m, owner } = await fixture());
    });

    const refuse = (code: number, action: () => Promise<SendMessageResult>) =>
        expectRefused(m, m.registry.address, code, [owner.address], () => registryState(m), action);
    const gov = (body: Parameters<SandboxContract<Registry>['send']>[2]) =>
        m.registry.send(m.governance.getSender(), { value: toNano('0.05') }, body);

    it('refuses a certificate for another network, registry or provider (BAD_CERT)', async () => {
        const stranger = await m.blockchain.treasury('stranger');
        for (const over of [{ network: NETWORK + 1 }, { registry: stranger.address }, { provider: stranger.address }]) {
            const cert = makeCert(m, owner.address, enclave, over);
            await refuse(ExitCode.BAD_CERT, () => sendRegister(m, owner, cert, certSignatures(m, cert)));
        }
    });

    it('refuses an expired certificate (CERT_EXPIRED)', async () => {
        const cert = makeCert(m, owner.address, enclave, { validUntil: m.blockchain.now! });
        await refuse(ExitCode.CERT_EXPIRED, () => sendRegister(m, owner, cert, certSignatures(m, cert)));
    });

    it('refuses an unknown, revoked or expired measurement (MEASUREMENT)', async () => {
        const now = m.blockchain.now!;
        const unknown = makeCert(m, owner.address, enclave, { measurement: sha256('unknown') });
        await refuse(ExitCode.MEASUREMENT, () => sendRegister(m, owner, unknown, certSignatures(m, unknown)));

        const revoked = sha256('m:revoked');
        await gov({
            $$type: 'AddMeasurement',
            queryId: 0n,
            measurement: bufferToUint256(revoked),
            expiresAt: BigInt(now + 86400),
        });
        await gov({ $$type: 'RevokeMeasurement', queryId: 0n, measurement: bufferToUint256(revoked) });
        const c1 = makeCert(m, owner.address, enclave, { measurement: revoked });
        await refuse(ExitCode.MEASUREMENT, () => sendRegister(m, owner, c1, certSignatures(m, c1)));

        const expiring = sha256('m:expiring');
        await gov({
            $$type: 'AddMeasurement',
            queryId: 0n,
            measurement: bufferToUint256(expiring),
            expiresAt: BigInt(now + 100),
        });
        m.blockchain.now = now + 100;
        const c2 = makeCert(m, owner.address, enclave, { measurement: expiring });
        await refuse(ExitCode.MEASUREMENT, () => sendRegister(m, owner, c2, certSignatures(m, c2)));
        // (not yet active: registry-governance.test.ts, with a timelock)
    });

    it('counts each verifier once, in increasing index order, and only known ones (SIGNATURE_ORDER)', async () => {
        const cert = makeCert(m, owner.address, enclave);
        const sig = (i: number, key = i) => ({ index: i, signature: signCert(cert, m.verifiers[key].secretKey) });
        await refuse(ExitCode.SIGNATURE_ORDER, () =>
            sendRegister(m, owner, cert, rawSignaturesToCell([sig(0), sig(0)])),
        );
        await refuse(ExitCode.SIGNATURE_ORDER, () =>
            sendRegister(m, owner, cert, rawSignaturesToCell([sig(1), sig(0)])),
        );
        await refuse(ExitCode.SIGNATURE_ORDER, () => sendRegister(m, owner, cert, rawSignaturesToCell([sig(5, 0)])));
        // a valid signature under another verifier's index is forged for that index
        await refuse(ExitCode.BAD_SIGNATURE, () => sendRegister(m, owner, cert, rawSignaturesToCell([sig(0, 1)])));
        // a signature over another certificate
        const other = makeCert(m, owner.address, enclave, { tcbStatus: 1 });
        await refuse(ExitCode.BAD_SIGNATURE, () => sendRegister(m, owner, cert, certSignatures(m, other)));
    });

    it('refuses a stake below the minimum (STAKE_TOO_LOW) and too little value (LOW_VALUE)', async () => {
        const cert = makeCert(m, owner.address, enclave);
        await refuse(ExitCode.STAKE_TOO_LOW, () =>
            sendRegister(m, owner, cert, certSignatures(m, cert), { stake: m.params.minStake - 1n }),
        );
        await refuse(ExitCode.LOW_VALUE, () =>
            sendRegister(m, owner, cert, certSignatures(m, cert), { stake: toNano('2'), value: toNano('2.19') }),
        );
    });

    it('registers with the exact stake, and renews with a new enclave key (prevEnclaveKey recorded)', async () => {
        const cert = makeCert(m, owner.address, enclave);
        const r = await sendRegister(m, owner, cert, certSignatures(m, cert));
        const provider = m.blockchain.openContract(
            Provider.fromAddress(await m.registry.getProviderAddress(owner.address)),
        );
        expect(r.transactions).toHaveTransaction({ to: provider.address, deploy: true, success: true });
        let data = await provider.getProviderData();
        expect(data.stake).toBe(toNano('2'));
        expect(data.enclaveKey).toBe(bufferToUint256(enclave.publicKey));
        expect((await m.blockchain.getContract(provider.address)).balance).toBe(
            toNano('2') + Gas.PROVIDER_STORAGE_RESERVE,
        );

        m.blockchain.now = m.blockchain.now! + 60;
        const enclave2 = seededKeyPair('enclave:p-reg:2');
        const renewal = makeCert(m, owner.address, enclave2);
        const rr = await conserving(m, [owner.address, provider.address], () =>
            sendRegister(m, owner, renewal, certSignatures(m, renewal), { stake: 0n, renewal: true }),
        );
        expect(rr.txs).toHaveTransaction({ to: provider.address, success: true });
        data = await provider.getProviderData();
        expect(data.enclaveKey).toBe(bufferToUint256(enclave2.publicKey));
        expect(data.prevEnclaveKey).toBe(bufferToUint256(enclave.publicKey));
        expect(data.certValidUntil).toBe(BigInt(renewal.validUntil));
        expect(data.stake).toBe(toNano('2'));
    });

    it('a Provider its owner deploys before registering starts zeroed, then registers', async () => {
        // Its attestation info and counters start as cells built at compile time (zeroInfo, zeroCounters in
        // provider.tact): the getters parse them as the zeroed structs, and a registration fills them in.
        const early = m.blockchain.openContract(await Provider.fromInit(m.registry.address, owner.address));
        expect(early.address).toEqualAddress(await m.registry.getProviderAddress(owner.address));
        const d = await early.send(
            owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'SetCapacity', queryId: 0n, capacity: 2n },
        );
        expect(d.transactions).toHaveTransaction({ to: early.address, deploy: true, success: true });
        expect(await early.getRegistered()).toBe(false);
        const { $$type: _t, registry: _r, owner: _o, capacity, status, ...zeroed } = await early.getProviderData();
        expect(capacity).toBe(2n);
        expect(status).toBe(BigInt(ProviderStatus.ACTIVE));
        expect(Object.entries(zeroed).filter(([, v]) => v !== 0n && v !== false && v !== '')).toEqual([]);
        const { $$type: _c, ...counters } = await early.getCounters();
        expect(Object.values(counters)).toEqual([0n, 0n, 0n, 0n, 0n, 0n]);

        const cert = makeCert(m, owner.address, enclave);
        const r = await sendRegister(m, owner, cert, certSignatures(m, cert));
        expect(r.transactions).toHaveTransaction({ to: early.address, success: true });
        const data = await early.getProviderData();
        expect(data.enclaveKey).toBe(bufferToUint256(enclave.publicKey));
        expect(data.registeredAt).toBe(BigInt(m.blockchain.now!));
        expect(data.stake).toBe(toNano('2'));
        expect(await early.getRegistered()).toBe(true);
    });

    it('refuses a renewal with a lower validUntil by RegistrationRefused to the owner, value returned', async () => {
        const cert = makeCert(m, owner.address, enclave);
        await sendRegister(m, owner, cert, certSignatures(m, cert));
        const provider = m.blockchain.openContract(
            Provider.fromAddress(await m.registry.getProviderAddress(owner.address)),
        );
        const before = await providerState(provider);
        const lower = makeCert(m, owner.address, seededKeyPair('enclave:p-reg:3'), { validUntil: cert.validUntil - 1 });
        const res = await conserving(m, [owner.address, provider.address], () =>
            sendRegister(m, owner, lower, certSignatures(m, lower), { stake: toNano('1'), renewal: true }),
        );
        const refusals = bodiesTo(res.txs, owner.address, Op.RegistrationRefused);
        expect(refusals).toHaveLength(1);
        expect(refusalCode(refusals[0], false)).toBe(ExitCode.CERT_EXPIRED);
        expect(await providerState(provider)).toEqual(before);
        // the registry and the provider keep nothing of it: the owner paid only the network's fees
        expectOnlyStorage(res, [m.registry.address, provider.address]);
        expect(res.deltas.get(owner.address.toRawString())).toBe(
            -res.fees + storageFees(res.txs, m.registry.address) + storageFees(res.txs, provider.address),
        );
    });
});

describe('provider registration with k = 2', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket({ verifierCount: 2, params: { verifierK: 2n } });
        return { m, owner: await m.blockchain.treasury('p-k2') };
    });

    it('refuses a certificate with fewer than k signatures (TOO_FEW_SIGNATURES), accepts k', async () => {
        const { m, owner } = await fixture();
        const cert = makeCert(m, owner.address, seededKeyPair('enclave:p-k2'));
        await expectRefused(
            m,
            m.registry.address,
            ExitCode.TOO_FEW_SIGNATURES,
            [owner.address],
            () => registryState(m),
            () => sendRegister(m, owner, cert, certSignatures(m, cert, [1])),
        );
        const ok = await sendRegister(m, owner, cert, certSignatures(m, cert, [0, 1]));
        expect(ok.transactions).toHaveTransaction({
            to: await m.registry.getProviderAddress(owner.address),
            success: true,
        });
    });
});

describe('provider operations', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p-ops', { priceIn: 10n, priceOut: 20n, capacity: 4n });
        const keeper = await m.blockchain.treasury('keeper');
        const stranger = await m.blockchain.treasury('stranger');
        return { m, p, keeper, stranger };
    });
    let m: Market;
    let p: ProviderHandle;
    let keeper: SandboxContract<TreasuryContract>;
    let stranger: SandboxContract<TreasuryContract>;

    beforeEach(async () => {
        ({ m, p, keeper, stranger } = await fixture());
    });

    const op = (
        from: SandboxContract<TreasuryContract>,
        body: Parameters<SandboxContract<Provider>['send']>[2],
        value = toNano('0.05'),
    ) => p.contract.send(from.getSender(), { value }, body);
    const refuse = (code: number, action: () => Promise<SendMessageResult>, watch: Address[] = []) =>
        expectRefused(
            m,
            p.contract.address,
            code,
            [p.owner.address, stranger.address, ...watch],
            () => providerState(p.contract),
            action,
        );
    const setAsk = (priceIn: bigint, priceOut: bigint) =>
        op(p.owner, { $$type: 'SetAsk', queryId: 0n, model: modelId(), priceIn, priceOut });

    it('delays an ask increase by askDelay and applies a decrease at once', async () => {
        const now = m.blockchain.now!;
        await setAsk(15n, 25n);
        let ask = await p.contract.getAsk(modelId());
        expect([ask!.priceIn, ask!.priceOut]).toEqual([10n, 20n]);
        expect(ask!.nextAt).toBe(BigInt(now) + m.params.askDelay);
        m.blockchain.now = now + Number(m.params.askDelay);
        ask = await p.contract.getAsk(modelId());
        expect([ask!.priceIn, ask!.priceOut]).toEqual([15n, 25n]);
        await setAsk(5n, 5n);
        ask = await p.contract.getAsk(modelId());
        expect([ask!.priceIn, ask!.priceOut, ask!.nextAt]).toEqual([5n, 5n, 0n]);
        // raising one price and lowering the other is a raise: it waits
        await setAsk(6n, 1n);
        ask = await p.contract.getAsk(modelId());
        expect([ask!.priceIn, ask!.priceOut]).toEqual([5n, 5n]);
    });

    it('a match in flight after an ask raise pays the old ask; after the delay the old ask is refused', async () => {
        const order = await createOrder(m);
        await setAsk(15n, 25n);
        await matchOrder(m, keeper, order, p, { askIn: 10n, askOut: 20n });
        const data = await order.contract.getOrderData();
        expect(data.state).toBe(BigInt(OrderState.MATCHED));
        expect([data.priceIn, data.priceOut]).toEqual([10n, 20n]);

        const order2 = await createOrder(m, { clientName: 'client-2' });
        m.blockchain.now = m.blockchain.now! + Number(m.params.askDelay);
        const res = await conserving(m, [keeper.address, order2.contract.address, p.contract.address], () =>
            matchOrder(m, keeper, order2, p, { askIn: 10n, askOut: 20n }),
        );
        const refused = bodiesTo(res.txs, keeper.address, Op.MatchRefused);
        expect(refusalCode(refused[0], true)).toBe(ExitCode.ASK_TOO_HIGH);
        expect((await order2.contract.getOrderData()).state).toBe(BigInt(OrderState.OPEN));
        expectOnlyStorage(res, [m.orderBook.address, order2.contract.address, p.contract.address]);
    });

    it('refuses a match beyond capacity (NO_CAPACITY): the order reopens and the keeper gets its value back', async () => {
        await op(p.owner, { $$type: 'SetCapacity', queryId: 0n, capacity: 1n });
        const o1 = await createOrder(m);
        await matchOrder(m, keeper, o1, p);
        const o2 = await createOrder(m, { clientName: 'client-2' });
        const before = await providerState(p.contract);
        const res = await conserving(m, [keeper.address, o2.contract.address, p.contract.address], () =>
            matchOrder(m, keeper, o2, p),
        );
        expect(refusalCode(bodiesTo(res.txs, keeper.address, Op.MatchRefused)[0], true)).toBe(ExitCode.NO_CAPACITY);
        expect((await o2.contract.getOrderData()).state).toBe(BigInt(OrderState.OPEN));
        expect(await providerState(p.contract)).toEqual(before);
        // every contract on the way only passed the value on: the keeper lost exactly the network's fees
        expectOnlyStorage(res, [m.orderBook.address, o2.contract.address, p.contract.address]);
        expect(await p.contract.getCanServe(modelId(), 10n, 20n, BigInt(m.blockchain.now! + 100))).toBe(
            BigInt(ExitCode.NO_CAPACITY),
        );
        await expectRefused(
            m,
            p.contract.address,
            ExitCode.BAD_PARAM,
            [p.owner.address],
            () => providerState(p.contract),
            () => op(p.owner, { $$type: 'SetCapacity', queryId: 0n, capacity: 1025n }),
        );
    });

    it('a paused provider refuses matches (NOT_ACTIVE)', async () => {
        await op(p.owner, { $$type: 'SetProviderPaused', queryId: 0n, paused: true });
        const order = await createOrder(m);
        const before = await orderState(order.contract);
        const res = await conserving(m, [keeper.address, order.contract.address, p.contract.address], () =>
            matchOrder(m, keeper, order, p),
        );
        expect(refusalCode(bodiesTo(res.txs, keeper.address, Op.MatchRefused)[0], true)).toBe(ExitCode.NOT_ACTIVE);
        expect(await orderState(order.contract)).toEqual(before);
        await op(p.owner, { $$type: 'SetProviderPaused', queryId: 0n, paused: false });
        await matchOrder(m, keeper, order, p);
        expect((await order.contract.getOrderData()).state).toBe(BigInt(OrderState.MATCHED));
    });

    it('locks the stake until unbondAt (UNBONDING_LOCKED), then returns it exactly', async () => {
        await refuse(ExitCode.BAD_STATE, () => op(p.owner, { $$type: 'CompleteUnbonding', queryId: 0n }));
        const now = m.blockchain.now!;
        await op(p.owner, { $$type: 'StartUnbonding', queryId: 0n });
        const data = await p.contract.getProviderData();
        expect(data.status).toBe(BigInt(ProviderStatus.UNBONDING));
        expect(data.unbondAt).toBe(BigInt(now) + m.params.unbondingPeriod);
        // no new matches while unbonding
        expect(await p.contract.getCanServe(modelId(), 10n, 20n, BigInt(now + 100))).toBe(BigInt(ExitCode.NOT_ACTIVE));
        m.blockchain.now = Number(data.unbondAt) - 1;
        await refuse(ExitCode.UNBONDING_LOCKED, () => op(p.owner, { $$type: 'CompleteUnbonding', queryId: 0n }));
        m.blockchain.now = Number(data.unbondAt);
        const res = await conserving(m, [p.owner.address, p.contract.address], () =>
            op(p.owner, { $$type: 'CompleteUnbonding', queryId: 0n }),
        );
        expect(res.deltas.get(p.contract.address.toRawString())).toBe(
            -toNano('2') - storageFees(res.txs, p.contract.address),
        );
        const after = await p.contract.getProviderData();
        expect(after.stake).toBe(0n);
        expect(after.status).toBe(BigInt(ProviderStatus.EXITED));
        await refuse(ExitCode.BAD_STATE, () => op(p.owner, { $$type: 'StartUnbonding', queryId: 0n }));
    });

    it('unbonding after a match waits for the last match plus the order horizon', async () => {
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        const matchedAt = m.blockchain.now!;
        await op(p.owner, { $$type: 'StartUnbonding', queryId: 0n });
        const terms = await p.contract.getProviderTerms();
        expect((await p.contract.getProviderData()).unbondAt).toBe(BigInt(matchedAt) + terms.orderHorizon);
    });

    it('withdraws nothing inside the dispute window, then earnings to the owner and fees to the treasury exactly', async () => {
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        const r = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 100_000n, tokensOut: 100_000n }), p.enclave);
        await sendClaim(p.owner, order, r);
        // the claim is held in the Order until a payout (or settlement) forwards it
        expect((await p.contract.getProviderData()).pendingNew).toBe(0n);
        await sendPayout(p.owner, order);
        const pd = await p.contract.getProviderData();
        expect(pd.pendingNew).toBeGreaterThan(0n);
        const fee = (3_000_000n * m.params.feeBps) / 10000n;
        expect(pd.feesOwed).toBe(fee);
        await refuse(ExitCode.NOTHING_TO_WITHDRAW, () => op(p.owner, { $$type: 'WithdrawEarnings', queryId: 0n }));

        m.blockchain.now = Number(pd.pendingNewAt);
        const res = await conserving(m, [p.owner.address, p.contract.address], () =>
            op(p.owner, { $$type: 'WithdrawEarnings', queryId: 0n }),
        );
        expect(sentValue(res.txs, p.contract.address, m.treasury.address)).toBe(fee);
        // what stays is exactly the stake and the storage reserve
        expect((await m.blockchain.getContract(p.contract.address)).balance).toBe(
            toNano('2') + Gas.PROVIDER_STORAGE_RESERVE,
        );
        const after = await p.contract.getProviderData();
        expect([after.feesOwed, after.pendingNew, after.pendingOld, after.withdrawable]).toEqual([0n, 0n, 0n, 0n]);
        const earned = (await p.contract.getCounters()).totalEarned;
        const ownerGot = res.deltas.get(p.owner.address.toRawString())!;
        // the owner got its earnings plus what its withdrawal message had left after gas
        expect(ownerGot).toBeGreaterThan(earned - toNano('0.05'));
        await refuse(ExitCode.NOTHING_TO_WITHDRAW, () => op(p.owner, { $$type: 'WithdrawEarnings', queryId: 0n }));
    });

    it('refuses every owner operation and every parent/child message from a stranger (ACCESS_DENIED)', async () => {
        const bodies: Parameters<SandboxContract<Provider>['send']>[2][] = [
            { $$type: 'SetAsk', queryId: 0n, model: modelId(), priceIn: 1n, priceOut: 1n },
            { $$type: 'RemoveAsk', queryId: 0n, model: modelId() },
            { $$type: 'SetCapacity', queryId: 0n, capacity: 9n },
            { $$type: 'SetEndpoint', queryId: 0n, endpoint: 'https://evil' },
            { $$type: 'SetProviderPaused', queryId: 0n, paused: true },
            { $$type: 'StakeTopUp', queryId: 0n },
            { $$type: 'StartUnbonding', queryId: 0n },
            { $$type: 'CompleteUnbonding', queryId: 0n },
            { $$type: 'WithdrawEarnings', queryId: 0n },
            { $$type: 'PushKey', queryId: 0n, orderId: 0n },
            { $$type: 'ProviderRevoked', queryId: 0n, measurement: (await p.contract.getProviderData()).measurement },
            {
                $$type: 'Reserve',
                queryId: 0n,
                orderId: 0n,
                model: modelId(),
                askIn: 99n,
                askOut: 99n,
                expiresAt: 1n,
                keeper: stranger.address,
            },
            { $$type: 'OrderPayment', queryId: 0n, orderId: 0n, fee: 0n, final: true, noShow: true },
            { $$type: 'DisputeRefund', queryId: 0n, orderId: 0n, amount: toNano('2'), client: stranger.address },
            { $$type: 'ReleaseReservation', queryId: 0n, orderId: 0n, exitCode: 0n, keeper: stranger.address },
        ];
        for (const body of bodies) await refuse(ExitCode.ACCESS_DENIED, () => op(stranger, body));
        const terms = await p.contract.getProviderTerms();
        const attest = {
            $$type: 'ProviderAttest' as const,
            queryId: 0n,
            stake: 0n,
            attestedUntil: 4_000_000_000n,
            cert: certToCell(makeCert(m, stranger.address, seededKeyPair('enclave:stranger'))),
            terms: beginCell().store(storeProviderTerms(terms)).endCell(),
        };
        await refuse(ExitCode.ACCESS_DENIED, () => op(stranger, attest));
    });

    it('tops up the stake by the value above the operation gas, refuses a top-up too small (LOW_VALUE)', async () => {
        await refuse(ExitCode.LOW_VALUE, () => op(p.owner, { $$type: 'StakeTopUp', queryId: 0n }, Gas.PROVIDER_OP_GAS));
        await op(p.owner, { $$type: 'StakeTopUp', queryId: 0n }, toNano('1') + Gas.PROVIDER_OP_GAS);
        expect((await p.contract.getProviderData()).stake).toBe(toNano('3'));
        await op(p.owner, { $$type: 'SetEndpoint', queryId: 0n, endpoint: 'https://gpu.example:8443' });
        expect((await p.contract.getProviderData()).endpoint).toBe('https://gpu.example:8443');
        await refuse(ExitCode.BAD_PARAM, () =>
            op(p.owner, { $$type: 'SetEndpoint', queryId: 0n, endpoint: 'x'.repeat(128) }),
        );
    });
});

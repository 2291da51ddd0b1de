import { Address, beginCell, toNano } from '@ton/core';
import { Blockchain, SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, Op } from '../../wrappers/Constants';
import { OrderBook } from '../../wrappers/OrderBook';
import { Registry } from '../../wrappers/Registry';
import { defaultParams } from '../../wrappers/params';
import { installMarketLibraries } from '../../market/libraries';
import {
    certSignatures,
    createOrder,
    deployMarket,
    makeCert,
    Market,
    matchOrder,
    MEASUREMENT,
    NETWORK,
    registerProvider,
    seededKeyPair,
    sha256,
    T0,
} from '../helpers/market';
import { bufferToUint256, expectRefused, registryState, sendRegister, snapshotFixture } from '../helpers/audit';

const TIMELOCK = 600;

describe('registry governance', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket({ params: { timelock: BigInt(TIMELOCK) } });
        const stranger = await m.blockchain.treasury('stranger');
        return { m, stranger };
    });
    let m: Market;
    let stranger: SandboxContract<TreasuryContract>;
    let gov: SandboxContract<TreasuryContract>;
    let now: number;

    beforeEach(async () => {
        ({ m, stranger } = await fixture());
        gov = m.governance;
        now = m.blockchain.now!;
    });

    const refuse = (code: number, action: () => Promise<SendMessageResult>, watch: Address[] = []) =>
        expectRefused(m, m.registry.address, code, [stranger.address, ...watch], () => registryState(m), action);

    const gv = (
        from: SandboxContract<TreasuryContract>,
        body: Parameters<SandboxContract<Registry>['send']>[2],
        value = toNano('0.05'),
    ) => m.registry.send(from.getSender(), { value }, body);

    const newParams = (over: Partial<Market['params']> = {}) => ({ ...m.params, ...over });

    it('refuses a second Setup (ALREADY_SETUP)', async () => {
        await refuse(ExitCode.ALREADY_SETUP, () => gv(gov, { $$type: 'Setup', queryId: 0n, params: m.params }));
    });

    it('refuses every governance message from a stranger (ACCESS_DENIED)', async () => {
        const bodies: Parameters<SandboxContract<Registry>['send']>[2][] = [
            { $$type: 'Setup', queryId: 0n, params: m.params },
            { $$type: 'ProposeParams', queryId: 0n, params: m.params },
            { $$type: 'CancelParams', queryId: 0n },
            { $$type: 'AddMeasurement', queryId: 0n, measurement: 1n, expiresAt: BigInt(now + 86400) },
            { $$type: 'RevokeMeasurement', queryId: 0n, measurement: bufferToUint256(MEASUREMENT) },
            { $$type: 'AddModel', queryId: 0n, model: 1n, metadata: beginCell().endCell() },
            { $$type: 'RemoveModel', queryId: 0n, model: bufferToUint256(sha256('model:tiny.gguf')) },
            { $$type: 'AddVerifier', queryId: 0n, index: 3n, publicKey: 1n },
            { $$type: 'RemoveVerifier', queryId: 0n, index: 0n },
            { $$type: 'SetPaused', queryId: 0n, paused: true },
            { $$type: 'TransferOwnership', queryId: 0n, newOwner: stranger.address },
            { $$type: 'AcceptOwnership', queryId: 0n },
        ];
        for (const body of bodies) {
            await refuse(ExitCode.ACCESS_DENIED, () => gv(stranger, body));
        }
    });

    it('refuses governance messages with too little value (LOW_VALUE)', async () => {
        const low = toNano('0.015');
        const bodies: Parameters<SandboxContract<Registry>['send']>[2][] = [
            { $$type: 'ProposeParams', queryId: 0n, params: m.params },
            { $$type: 'AddMeasurement', queryId: 0n, measurement: 1n, expiresAt: BigInt(now + 86400) },
            { $$type: 'AddModel', queryId: 0n, model: 1n, metadata: beginCell().endCell() },
            { $$type: 'AddVerifier', queryId: 0n, index: 3n, publicKey: 1n },
            { $$type: 'SetPaused', queryId: 0n, paused: true },
        ];
        for (const body of bodies) await refuse(ExitCode.LOW_VALUE, () => gv(gov, body, low));
        // ExecuteParams is open to anyone, but still has to pay for the OrderBook sync
        await gv(gov, { $$type: 'ProposeParams', queryId: 0n, params: newParams({ feeBps: 200n }) });
        m.blockchain.now = now + TIMELOCK;
        await refuse(ExitCode.LOW_VALUE, () => gv(stranger, { $$type: 'ExecuteParams', queryId: 0n }, low));
    });

    it('applies proposed params only after the timelock, by anyone, and syncs the OrderBook', async () => {
        await refuse(ExitCode.NOTHING_PENDING, () => gv(stranger, { $$type: 'ExecuteParams', queryId: 0n }));
        const p = newParams({ feeBps: 250n, matchFee: toNano('0.02') });
        await gv(gov, { $$type: 'ProposeParams', queryId: 0n, params: p });
        const data = await m.registry.getRegistryData();
        expect(data.pendingParams?.feeBps).toBe(250n);
        expect(data.pendingParamsAt).toBe(BigInt(now + TIMELOCK));
        m.blockchain.now = now + TIMELOCK - 1;
        await refuse(ExitCode.TIMELOCK, () => gv(stranger, { $$type: 'ExecuteParams', queryId: 0n }));
        m.blockchain.now = now + TIMELOCK;
        const r = await gv(stranger, { $$type: 'ExecuteParams', queryId: 0n });
        expect(r.transactions).toHaveTransaction({ to: m.orderBook.address, op: Op.BookConfigUpdate, success: true });
        const after = await m.registry.getRegistryData();
        expect(after.params.feeBps).toBe(250n);
        expect(after.pendingParams).toBeNull();
        const book = await m.orderBook.getOrderBookData();
        expect(book.config.feeBps).toBe(250n);
        expect(book.config.matchFee).toBe(toNano('0.02'));
    });

    it('refuses out-of-bounds params (BAD_PARAM): fee over 500 bps, k = 0, zero fees', async () => {
        for (const bad of [
            newParams({ feeBps: 501n }),
            newParams({ verifierK: 0n }),
            newParams({ verifierK: 17n }),
            newParams({ matchFee: 0n }),
            newParams({ minClaim: m.params.minBudget + 1n }),
        ]) {
            await refuse(ExitCode.BAD_PARAM, () => gv(gov, { $$type: 'ProposeParams', queryId: 0n, params: bad }));
        }
        // exactly at the cap is allowed
        const ok = await gv(gov, { $$type: 'ProposeParams', queryId: 0n, params: newParams({ feeBps: 500n }) });
        expect(ok.transactions).toHaveTransaction({ to: m.registry.address, success: true });
    });

    it('cancels a proposal (CancelParams) and then has nothing to execute or cancel', async () => {
        await refuse(ExitCode.NOTHING_PENDING, () => gv(gov, { $$type: 'CancelParams', queryId: 0n }));
        await gv(gov, { $$type: 'ProposeParams', queryId: 0n, params: newParams({ feeBps: 300n }) });
        await gv(gov, { $$type: 'CancelParams', queryId: 0n });
        expect((await m.registry.getRegistryData()).pendingParams).toBeNull();
        m.blockchain.now = now + TIMELOCK + 1;
        await refuse(ExitCode.NOTHING_PENDING, () => gv(stranger, { $$type: 'ExecuteParams', queryId: 0n }));
        expect((await m.registry.getRegistryData()).params.feeBps).toBe(m.params.feeBps);
    });

    it('makes a new measurement usable only after the timelock', async () => {
        const m2 = sha256('measurement:v2');
        await gv(gov, {
            $$type: 'AddMeasurement',
            queryId: 0n,
            measurement: bufferToUint256(m2),
            expiresAt: BigInt(now + 86400),
        });
        expect(await m.registry.getMeasurementActive(bufferToUint256(m2))).toBe(false);
        const owner = await m.blockchain.treasury('p-m2');
        const enclave = seededKeyPair('enclave:p-m2');
        const cert = makeCert(m, owner.address, enclave, { measurement: m2, validUntil: now + 7200 });
        await refuse(ExitCode.MEASUREMENT, () => sendRegister(m, owner, cert, certSignatures(m, cert)), [
            owner.address,
        ]);
        m.blockchain.now = now + TIMELOCK;
        expect(await m.registry.getMeasurementActive(bufferToUint256(m2))).toBe(true);
        const ok = await sendRegister(m, owner, cert, certSignatures(m, cert));
        expect(ok.transactions).toHaveTransaction({
            to: await m.registry.getProviderAddress(owner.address),
            deploy: true,
        });
    });

    it('refuses a measurement that expires before the timelock ends (BAD_PARAM)', async () => {
        await refuse(ExitCode.BAD_PARAM, () =>
            gv(gov, { $$type: 'AddMeasurement', queryId: 0n, measurement: 5n, expiresAt: BigInt(now + TIMELOCK) }),
        );
    });

    it('makes a new model usable only after the timelock', async () => {
        const model = sha256('model:new.gguf');
        await gv(
            gov,
            { $$type: 'AddModel', queryId: 0n, model: bufferToUint256(model), metadata: beginCell().endCell() },
            toNano('0.1'),
        );
        expect(await m.orderBook.getModelActivatesAt(bufferToUint256(model))).toBe(BigInt(now + TIMELOCK));
        const client = await m.blockchain.treasury('client');
        await expectRefused(
            m,
            m.orderBook.address,
            ExitCode.MODEL_NOT_ALLOWED,
            [client.address],
            () => registryState(m),
            () => createOrder(m, { model }).then((o) => o.result),
        );
        m.blockchain.now = now + TIMELOCK;
        const o = await createOrder(m, { model });
        expect(o.result.transactions).toHaveTransaction({ to: o.contract.address, deploy: true, success: true });
    });

    it('makes a new verifier key usable only after the timelock (SIGNATURE_ORDER before)', async () => {
        const v1 = seededKeyPair('verifier-1');
        m.verifiers.push(v1);
        await gv(gov, { $$type: 'AddVerifier', queryId: 0n, index: 1n, publicKey: bufferToUint256(v1.publicKey) });
        const owner = await m.blockchain.treasury('p-v1');
        const cert = makeCert(m, owner.address, seededKeyPair('enclave:p-v1'), { validUntil: now + 7200 });
        await refuse(ExitCode.SIGNATURE_ORDER, () => sendRegister(m, owner, cert, certSignatures(m, cert, [1])), [
            owner.address,
        ]);
        m.blockchain.now = now + TIMELOCK;
        const ok = await sendRegister(m, owner, cert, certSignatures(m, cert, [1]));
        expect(ok.transactions).toHaveTransaction({
            to: await m.registry.getProviderAddress(owner.address),
            success: true,
        });
    });

    it('refuses a verifier index beyond the bound (FULL)', async () => {
        await refuse(ExitCode.FULL, () => gv(gov, { $$type: 'AddVerifier', queryId: 0n, index: 16n, publicKey: 1n }));
    });

    it('holds at most 32 measurements (FULL), and re-adding a known one does not count', async () => {
        for (let i = 1; i < 32; i++) {
            await gv(gov, {
                $$type: 'AddMeasurement',
                queryId: 0n,
                measurement: BigInt(i),
                expiresAt: BigInt(now + 86400),
            });
        }
        expect((await m.registry.getRegistryData()).measurementCount).toBe(32n);
        await refuse(ExitCode.FULL, () =>
            gv(gov, { $$type: 'AddMeasurement', queryId: 0n, measurement: 999n, expiresAt: BigInt(now + 86400) }),
        );
        await gv(gov, { $$type: 'AddMeasurement', queryId: 0n, measurement: 1n, expiresAt: BigInt(now + 2 * 86400) });
        expect((await m.registry.getRegistryData()).measurementCount).toBe(32n);
    });

    it('revokes a measurement, removes a model and a verifier at once, without the timelock', async () => {
        const owner = await m.blockchain.treasury('p-rm');
        const cert = makeCert(m, owner.address, seededKeyPair('enclave:p-rm'));
        await gv(gov, { $$type: 'RemoveVerifier', queryId: 0n, index: 0n });
        expect(await m.registry.getVerifier(0n)).toBeNull();
        await refuse(ExitCode.SIGNATURE_ORDER, () => sendRegister(m, owner, cert, certSignatures(m, cert)), [
            owner.address,
        ]);
        await refuse(ExitCode.BAD_PARAM, () => gv(gov, { $$type: 'RemoveVerifier', queryId: 0n, index: 0n }));

        await gv(gov, { $$type: 'RevokeMeasurement', queryId: 0n, measurement: bufferToUint256(MEASUREMENT) });
        expect((await m.registry.getMeasurement(bufferToUint256(MEASUREMENT)))?.revoked).toBe(true);
        expect(await m.registry.getMeasurementActive(bufferToUint256(MEASUREMENT))).toBe(false);
        await refuse(ExitCode.MEASUREMENT, () =>
            gv(gov, { $$type: 'RevokeMeasurement', queryId: 0n, measurement: 12345n }),
        );

        const model = bufferToUint256(sha256('model:tiny.gguf'));
        await gv(gov, { $$type: 'RemoveModel', queryId: 0n, model });
        expect(await m.orderBook.getModelActivatesAt(model)).toBe(0n);
        const client = await m.blockchain.treasury('client');
        await expectRefused(
            m,
            m.orderBook.address,
            ExitCode.MODEL_NOT_ALLOWED,
            [client.address],
            () => registryState(m),
            () => createOrder(m).then((o) => o.result),
        );
        await refuse(ExitCode.BAD_PARAM, () => gv(gov, { $$type: 'RemoveModel', queryId: 0n, model }));
    });

    it('SetPaused stops CreateOrder and MatchOrder at once (PAUSED), and unpausing restores them', async () => {
        const provider = await registerProvider(m, 'p-pause');
        const keeper = await m.blockchain.treasury('keeper');
        const client = await m.blockchain.treasury('client');
        const order = await createOrder(m);
        await gv(gov, { $$type: 'SetPaused', queryId: 0n, paused: true });
        expect((await m.orderBook.getOrderBookData()).config.paused).toBe(true);
        await expectRefused(
            m,
            m.orderBook.address,
            ExitCode.PAUSED,
            [client.address],
            () => registryState(m),
            () => createOrder(m).then((o) => o.result),
        );
        await expectRefused(
            m,
            m.orderBook.address,
            ExitCode.PAUSED,
            [keeper.address],
            () => registryState(m),
            () => matchOrder(m, keeper, order, provider),
        );
        await gv(gov, { $$type: 'SetPaused', queryId: 0n, paused: false });
        const r = await matchOrder(m, keeper, order, provider);
        expect(r.transactions).toHaveTransaction({ to: keeper.address, op: Op.MatchFeePaid });
    });

    it('transfers ownership in two steps', async () => {
        const next = await m.blockchain.treasury('next-owner');
        await gv(gov, { $$type: 'TransferOwnership', queryId: 0n, newOwner: next.address });
        expect((await m.registry.getRegistryData()).pendingOwner?.equals(next.address)).toBe(true);
        // proposing does not hand over anything yet
        await refuse(ExitCode.ACCESS_DENIED, () => gv(next, { $$type: 'SetPaused', queryId: 0n, paused: true }), [
            next.address,
        ]);
        await refuse(ExitCode.ACCESS_DENIED, () => gv(stranger, { $$type: 'AcceptOwnership', queryId: 0n }));
        await gv(next, { $$type: 'AcceptOwnership', queryId: 0n });
        const data = await m.registry.getRegistryData();
        expect(data.owner.equals(next.address)).toBe(true);
        expect(data.pendingOwner).toBeNull();
        await refuse(ExitCode.ACCESS_DENIED, () => gv(gov, { $$type: 'SetPaused', queryId: 0n, paused: true }));
        await refuse(ExitCode.ACCESS_DENIED, () => gv(next, { $$type: 'AcceptOwnership', queryId: 0n }), [
            next.address,
        ]);
        const r = await gv(next, { $$type: 'SetPaused', queryId: 0n, paused: true });
        expect(r.transactions).toHaveTransaction({ to: m.registry.address, success: true });
    });

    it('a Registry before Setup refuses registrations (NOT_SETUP) and Setup with too little value (LOW_VALUE)', async () => {
        const registry = m.blockchain.openContract(await Registry.fromInit(gov.address, 0n, 77n));
        const low = await registry.send(
            gov.getSender(),
            { value: toNano('0.01') },
            { $$type: 'Setup', queryId: 0n, params: m.params },
        );
        expect(low.transactions).toHaveTransaction({ to: registry.address, exitCode: ExitCode.LOW_VALUE });
        const bad = await registry.send(
            gov.getSender(),
            { value: toNano('1') },
            { $$type: 'Setup', queryId: 0n, params: { ...m.params, feeBps: 501n } },
        );
        expect(bad.transactions).toHaveTransaction({ to: registry.address, exitCode: ExitCode.BAD_PARAM });
        const reg = await registry.send(
            stranger.getSender(),
            { value: toNano('3') },
            {
                $$type: 'RegisterProvider',
                queryId: 0n,
                stake: toNano('2'),
                renewal: false,
                cert: beginCell().endCell(),
                signatures: beginCell().endCell(),
            },
        );
        expect(reg.transactions).toHaveTransaction({ to: registry.address, exitCode: ExitCode.NOT_SETUP });
        expect((await registry.getRegistryData()).configured).toBe(false);
        expect(now).toBe(T0 + TIMELOCK);
    });
});

describe('registry before Setup', () => {
    // A sandbox with the Order library and a Registry that is not deployed yet (no Setup sent).
    async function unconfiguredRegistry() {
        const blockchain = await Blockchain.create();
        await installMarketLibraries(blockchain);
        blockchain.now = T0;
        const owner = await blockchain.treasury('owner');
        const registry = blockchain.openContract(await Registry.fromInit(owner.address, BigInt(NETWORK), 7n));
        // The owner's Setup with the localnet defaults (a treasury wallet of its own).
        const setup = async () => {
            const treasury = await blockchain.treasury('treasury');
            const params = defaultParams('localnet', treasury.address);
            const result = await registry.send(
                owner.getSender(),
                { value: toNano('1') },
                { $$type: 'Setup', queryId: 0n, params },
            );
            return { treasury, params, result };
        };
        return { blockchain, owner, registry, setup };
    }

    it('reads its compile-time initial config, deploys its OrderBook where it said, then takes Setup', async () => {
        // A Registry can be deployed by its owner's TransferOwnership before Setup: its config is then the
        // initialConfig() cell of registry.tact (Params zeroed, verifierK 1), and its OrderBook address is
        // computed by the getter until Setup deploys the OrderBook there.
        const { blockchain, owner, registry, setup } = await unconfiguredRegistry();
        const next = await blockchain.treasury('next-owner');
        const t = await registry.send(
            owner.getSender(),
            { value: toNano('0.1') },
            { $$type: 'TransferOwnership', queryId: 0n, newOwner: next.address },
        );
        expect(t.transactions).toHaveTransaction({ to: registry.address, deploy: true, success: true });
        const before = await registry.getRegistryData();
        expect(before.configured).toBe(false);
        expect(before.pendingOwner).toEqualAddress(next.address);
        expect(before.pendingParams).toBeNull();
        expect(before.pendingParamsAt).toBe(0n);
        expect([before.measurementCount, before.modelCount, before.verifierCount]).toEqual([0n, 0n, 0n]);
        const { $$type: _t, treasury, verifierK, ...zeros } = before.params;
        expect(treasury).toEqualAddress(new Address(0, Buffer.alloc(32)));
        expect(verifierK).toBe(1n);
        expect(Object.values(zeros)).toEqual(Array(12).fill(0n));
        expect((await registry.getVerifiers()).size).toBe(0);
        expect((await registry.getModels()).size).toBe(0);
        const book = await registry.getOrderBookAddress();
        expect(before.orderBook).toEqualAddress(book);

        const { treasury: treasuryWallet, params, result: s } = await setup();
        expect(s.transactions).toHaveTransaction({ from: registry.address, to: book, deploy: true, success: true });
        const after = await registry.getRegistryData();
        expect(after.configured).toBe(true);
        expect(after.orderBook).toEqualAddress(book);
        expect(after.pendingOwner).toEqualAddress(next.address);
        const { treasury: paidTo, ...rest } = after.params;
        expect(paidTo).toEqualAddress(treasuryWallet.address);
        expect(rest).toEqual({ ...params, treasury: undefined, $$type: 'Params' });
        const ob = blockchain.openContract(OrderBook.fromAddress(book));
        const data = await ob.getOrderBookData();
        expect(data.configured).toBe(true);
        expect(data.config.registry).toEqualAddress(registry.address);
        expect(data.config.matchFee).toBe(params.matchFee);
    });

    it('an OrderBook deployed at its address by someone else before Setup takes nothing but the Registry', async () => {
        // The Tolk OrderBook starts from Tact's lazy-init data (a 0 bit, the Registry): whoever deploys it there
        // first, it refuses orders and matches (NOT_SETUP), updates not from the Registry (ACCESS_DENIED) and
        // any other message (130), as the Tact OrderBook did; Setup then deploys it as usual.
        const { blockchain, owner, registry, setup } = await unconfiguredRegistry();
        const stranger = await blockchain.treasury('stranger');
        const ob = blockchain.openContract(await OrderBook.fromInit(registry.address));
        await registry.send(
            owner.getSender(),
            { value: toNano('0.1') },
            { $$type: 'TransferOwnership', queryId: 0n, newOwner: owner.address },
        );
        expect(await registry.getOrderBookAddress()).toEqualAddress(ob.address);
        const send = (value: bigint, body: ReturnType<typeof beginCell>) =>
            stranger.send({ to: ob.address, value, init: ob.init, bounce: false, body: body.endCell() });
        const refused = async (code: number, body: ReturnType<typeof beginCell>) => {
            const r = await send(toNano('1'), body);
            expect(r.transactions).toHaveTransaction({ from: stranger.address, to: ob.address, exitCode: code });
        };
        const order = beginCell()
            .storeUint(Op.CreateOrder, 32)
            .storeUint(0, 64)
            .storeUint(1, 256)
            .storeUint(2, 256)
            .storeCoins(1)
            .storeCoins(1)
            .storeUint(T0 + 10, 32)
            .storeUint(60, 32)
            .storeUint(T0 + 100, 32);
        await refused(ExitCode.NOT_SETUP, order);
        const match = beginCell()
            .storeUint(Op.MatchOrder, 32)
            .storeUint(0, 64)
            .storeUint(0, 64)
            .storeAddress(stranger.address)
            .storeCoins(1)
            .storeCoins(1)
            .storeUint(2, 256)
            .storeUint(T0 + 100, 32);
        await refused(ExitCode.NOT_SETUP, match);
        await refused(
            ExitCode.ACCESS_DENIED,
            beginCell().storeUint(Op.BookConfigUpdate, 32).storeRef(beginCell().storeUint(1, 8).endCell()),
        );
        await refused(
            ExitCode.ACCESS_DENIED,
            beginCell().storeUint(Op.BookModelUpdate, 32).storeUint(2, 256).storeUint(0, 32).storeBit(false),
        );
        await refused(130, beginCell().storeUint(0x12345678, 32));
        await refused(130, beginCell());

        const { result: s } = await setup();
        expect(s.transactions).toHaveTransaction({ from: registry.address, to: ob.address, success: true });
        const data = await ob.getOrderBookData();
        expect(data.configured).toBe(true);
        expect(data.registry).toEqualAddress(registry.address);
        expect([data.nextOrderId, data.matchesForwarded, data.matchesBounced]).toEqual([0n, 0n, 0n]);
        expect(await ob.getModelActivatesAt(2n)).toBe(0n);
        expect(await ob.getOrderAddress(0n)).toBeInstanceOf(Address);
    });
});

import fc from 'fast-check';
import { Address, toNano } from '@ton/core';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { OrderState, ProviderStatus } from '../../wrappers/Constants';
import { signCloseRequest } from '../../wrappers/formats/close';
import {
    createOrder,
    deployMarket,
    Market,
    matchOrder,
    networkCost,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    registerProvider,
    seededKeyPair,
    sha256,
    signedReceipt,
    T0,
} from '../helpers/market';

/**
 * Random sequences of every message from every actor (clients, providers, keepers, governance, an attacker)
 * with random values and times, interpreted against one sandbox market. After every step the invariants of
 * docs/TESTING.md are checked; a failure names the seed and the shrunk sequence, so it replays exactly.
 */
export type Action =
    | { kind: 'create'; client: number; budget: number; matchWithin: number; life: number }
    | { kind: 'match'; keeper: number; order: number; provider: number; askScale: number }
    | { kind: 'claim'; order: number; tokens: number; external: boolean; final: boolean; forged: boolean }
    | { kind: 'replay'; order: number }
    | { kind: 'close'; order: number; byAttacker: boolean; external: boolean }
    | { kind: 'timeout'; order: number; value: number }
    | { kind: 'topUp'; order: number; amount: number }
    | { kind: 'dispute'; order: number; cheaper: boolean }
    | { kind: 'payout'; order: number; byAttacker: boolean; value: number }
    | { kind: 'withdraw'; provider: number }
    | { kind: 'revoke' }
    | { kind: 'wait'; seconds: number };

const idx = fc.integer({ min: 0, max: 7 });
export const actionArb: fc.Arbitrary<Action> = fc.oneof(
    {
        weight: 3,
        arbitrary: fc.record({
            kind: fc.constant('create' as const),
            client: fc.integer({ min: 0, max: 2 }),
            budget: fc.integer({ min: 1, max: 40 }),
            matchWithin: fc.integer({ min: 5, max: 240 }),
            life: fc.integer({ min: 300, max: 1200 }),
        }),
    },
    {
        weight: 5,
        arbitrary: fc.record({
            kind: fc.constant('match' as const),
            keeper: fc.integer({ min: 0, max: 1 }),
            order: idx,
            provider: fc.integer({ min: 0, max: 1 }),
            askScale: fc.integer({ min: 0, max: 2 }),
        }),
    },
    {
        weight: 4,
        arbitrary: fc.record({
            kind: fc.constant('claim' as const),
            order: idx,
            tokens: fc.integer({ min: 0, max: 4_000_000 }),
            external: fc.boolean(),
            // one in five: most claims should land so that payouts, disputes and settlements have work to do
            final: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
            forged: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
        }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), order: idx }) },
    {
        weight: 2,
        arbitrary: fc.record({
            kind: fc.constant('close' as const),
            order: idx,
            byAttacker: fc.boolean(),
            external: fc.boolean(),
        }),
    },
    {
        weight: 2,
        arbitrary: fc.record({
            kind: fc.constant('timeout' as const),
            order: idx,
            value: fc.integer({ min: 1, max: 5 }),
        }),
    },
    {
        weight: 1,
        arbitrary: fc.record({
            kind: fc.constant('topUp' as const),
            order: idx,
            amount: fc.integer({ min: 1, max: 10 }),
        }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('dispute' as const), order: idx, cheaper: fc.boolean() }) },
    {
        weight: 2,
        arbitrary: fc.record({
            kind: fc.constant('payout' as const),
            order: idx,
            byAttacker: fc.boolean(),
            // 0.01 to 0.05 TON: below PAYOUT_GAS (0.02) it is refused
            value: fc.integer({ min: 1, max: 5 }),
        }),
    },
    {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('withdraw' as const), provider: fc.integer({ min: 0, max: 1 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'revoke' as const }) },
    {
        weight: 3,
        arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 200 }) }),
    },
);

interface Tracked {
    handle: OrderHandle;
    provider?: ProviderHandle;
    lastSeqno: number;
    lastTokens: bigint;
    paidBefore: bigint;
    lastReceipt?: { receipt: ReturnType<typeof signedReceipt>; seqno: number; requestHash: Buffer; tokens: bigint };
}

export class MarketModel {
    private orders: Tracked[] = [];
    private fees = 0n;
    private total0 = 0n;
    private stakes = new Map<string, bigint>();
    private accounts = new Map<string, Address>();
    steps = 0;
    /** What the sequences actually did, so a run that exercises nothing shows up in the report. */
    stats = {
        ordersCreated: 0,
        matched: 0,
        claimsPaid: 0,
        externalCloses: 0,
        payouts: 0,
        disputesWon: 0,
        settled: 0,
        refunded: 0,
        expired: 0,
    };

    private constructor(
        private m: Market,
        private providers: ProviderHandle[],
        private keepers: SandboxContract<TreasuryContract>[],
        private attacker: SandboxContract<TreasuryContract>,
    ) {}

    static async create(): Promise<MarketModel> {
        // A dispute window of 5 minutes (localnet: 10 s), so disputes land between the random waits.
        const m = await deployMarket({ params: { disputeWindow: 300n } });
        const providers = [
            await registerProvider(m, 'prop-provider-0', { priceIn: 20n, priceOut: 40n, capacity: 6n }),
            await registerProvider(m, 'prop-provider-1', { priceIn: 30n, priceOut: 30n, capacity: 4n }),
        ];
        const keepers = [await m.blockchain.treasury('prop-keeper-0'), await m.blockchain.treasury('prop-keeper-1')];
        const attacker = await m.blockchain.treasury('prop-attacker');
        const model = new MarketModel(m, providers, keepers, attacker);
        for (const c of [0, 1, 2]) model.watch((await m.blockchain.treasury(`prop-client-${c}`)).address);
        for (const a of [
            m.registry.address,
            m.orderBook.address,
            m.governance.address,
            m.treasury.address,
            attacker.address,
        ])
            model.watch(a);
        for (const k of keepers) model.watch(k.address);
        for (const p of providers) {
            model.watch(p.owner.address);
            model.watch(p.contract.address);
            model.stakes.set(p.contract.address.toRawString(), (await p.contract.getProviderData()).stake);
        }
        model.total0 = await model.totalBalance();
        model.snapshot = m.blockchain.snapshot();
        return model;
    }

    private snapshot?: ReturnType<Market['blockchain']['snapshot']>;

    /** Back to the freshly deployed market, so thousands of sequences do not redeploy it each time. */
    async reset() {
        await this.m.blockchain.loadFrom(this.snapshot!);
        this.m.blockchain.now = T0;
        this.orders = [];
        this.fees = 0n;
        this.steps = 0;
        for (const k of Object.keys(this.stats) as (keyof typeof this.stats)[]) this.stats[k] = 0;
        for (const [k, a] of [...this.accounts]) {
            if ((await this.m.blockchain.getContract(a)).accountState === undefined) this.accounts.delete(k);
        }
        if ((await this.totalBalance()) !== this.total0) throw new Error('reset did not restore the market');
    }

    private watch(a: Address) {
        this.accounts.set(a.toRawString(), a);
    }

    private async totalBalance(): Promise<bigint> {
        let s = 0n;
        for (const a of this.accounts.values()) s += (await this.m.blockchain.getContract(a)).balance;
        return s;
    }

    private pick(i: number): Tracked | undefined {
        return this.orders.length === 0 ? undefined : this.orders[i % this.orders.length];
    }

    // Claims and disputes aim at matched orders: unmatched ones would only exercise the same refusal.
    private pickMatched(i: number): Tracked | undefined {
        const matched = this.orders.filter((o) => o.provider);
        return matched.length === 0 ? this.pick(i) : matched[i % matched.length];
    }

    async run(a: Action): Promise<void> {
        this.steps++;
        const results = await this.apply(a);
        for (const r of results) this.fees += networkCost(r.transactions);
        await this.checkInvariants(a);
    }

    private async apply(a: Action): Promise<{ transactions: Parameters<typeof networkCost>[0] }[]> {
        const m = this.m;
        const now = m.blockchain.now ?? T0;
        switch (a.kind) {
            case 'create': {
                const h = await createOrder(m, {
                    clientName: `prop-client-${a.client}`,
                    value: toNano('0.13') + toNano(String(a.budget / 100)),
                    matchWithin: a.matchWithin,
                    life: a.life,
                    firstReceiptWindow: 100,
                    maxPriceIn: 30n,
                    maxPriceOut: 40n,
                });
                this.watch(h.contract.address);
                this.orders.push({ handle: h, lastSeqno: 0, lastTokens: 0n, paidBefore: 0n });
                this.stats.ordersCreated++;
                return [h.result];
            }
            case 'match': {
                // aimed at orders nobody matched yet (a match of a matched one only repeats the BAD_STATE refusal)
                const open = this.orders.filter((x) => !x.provider);
                const o = open.length === 0 ? this.pick(a.order) : open[a.order % open.length];
                if (!o) return [];
                const p = this.providers[a.provider];
                // askScale 0 quotes below every provider's ask (refused), 1 and 2 quote what they ask or more
                const r = await matchOrder(m, this.keepers[a.keeper], o.handle, p, {
                    askIn: [10n, 30n, 30n][a.askScale],
                    askOut: [30n, 40n, 40n][a.askScale],
                });
                const d = await o.handle.contract.getOrderData();
                if (d.matched && d.provider.equals(p.contract.address) && !o.provider) {
                    o.provider = p;
                    this.stats.matched++;
                }
                return [r];
            }
            case 'claim': {
                const o = this.pickMatched(a.order);
                if (!o || !o.provider) return [];
                const seqno = o.lastSeqno + 1;
                const tokens = o.lastTokens + BigInt(a.tokens);
                const requestHash = sha256(`prop-request:${o.handle.id}:${seqno}:${tokens}`);
                const key = a.forged ? seededKeyPair('prop-forger') : o.provider.enclave;
                const signed = signedReceipt(
                    receiptFor(m, o.handle, {
                        seqno,
                        tokensIn: tokens / 2n,
                        tokensOut: tokens - tokens / 2n,
                        requestHash,
                    }),
                    key,
                );
                let r;
                if (a.external) {
                    try {
                        r = await o.handle.contract.sendExternal({
                            $$type: 'ExternalClaim',
                            ...signed,
                            final: a.final,
                        });
                    } catch {
                        return []; // rejected before acceptMessage: nothing happened, nobody paid
                    }
                } else {
                    r = await o.handle.contract.send(
                        o.provider.owner.getSender(),
                        { value: toNano('0.05') },
                        { $$type: 'Claim', queryId: 0n, ...signed, final: a.final },
                    );
                }
                const d = await o.handle.contract.getOrderData();
                if (Number(d.seqno) === seqno) {
                    o.lastSeqno = seqno;
                    o.lastTokens = tokens;
                    o.lastReceipt = { receipt: signed, seqno, requestHash, tokens };
                    this.stats.claimsPaid++;
                }
                return [r];
            }
            case 'replay': {
                const o = this.pickMatched(a.order);
                if (!o?.lastReceipt) return [];
                try {
                    const r = await o.handle.contract.sendExternal({
                        $$type: 'ExternalClaim',
                        ...o.lastReceipt.receipt,
                        final: false,
                    });
                    throw new Error(
                        `replayed external claim was accepted (order ${o.handle.id}): ${r.transactions.length} txs`,
                    );
                } catch (e) {
                    if (e instanceof Error && e.message.startsWith('replayed')) throw e;
                    return [];
                }
            }
            case 'close': {
                const o = this.pick(a.order);
                if (!o) return [];
                if (a.external) {
                    // ExternalClose signed by the session key (the attacker signs with a key of its own).
                    const validUntil = this.m.blockchain.now! + 60;
                    const key = a.byAttacker ? seededKeyPair('attacker') : o.handle.clientKey;
                    try {
                        const r = await o.handle.contract.sendExternal({
                            $$type: 'ExternalClose',
                            signature: signCloseRequest(o.handle.contract.address, validUntil, key.secretKey),
                            validUntil: BigInt(validUntil),
                        });
                        if (a.byAttacker)
                            throw new Error(`an attacker's ExternalClose was accepted (order ${o.handle.id})`);
                        this.stats.externalCloses++;
                        return [r];
                    } catch (e) {
                        if (e instanceof Error && e.message.startsWith('an attacker')) throw e;
                        return []; // rejected before acceptMessage: nothing happened, nobody paid
                    }
                }
                const who = a.byAttacker ? this.attacker : o.handle.client;
                return [
                    await o.handle.contract.send(
                        who.getSender(),
                        { value: toNano('0.02') },
                        { $$type: 'Close', queryId: 0n },
                    ),
                ];
            }
            case 'timeout': {
                const o = this.pick(a.order);
                if (!o) return [];
                return [
                    await o.handle.contract.send(
                        this.attacker.getSender(),
                        { value: toNano(String(a.value / 100)) },
                        { $$type: 'Timeout', queryId: 0n },
                    ),
                ];
            }
            case 'topUp': {
                const o = this.pick(a.order);
                if (!o) return [];
                return [
                    await o.handle.contract.send(
                        o.handle.client.getSender(),
                        { value: toNano(String(a.amount / 100)) },
                        { $$type: 'TopUp', queryId: 0n },
                    ),
                ];
            }
            case 'dispute': {
                const o = this.pickMatched(a.order);
                if (!o?.lastReceipt || !o.provider) return [];
                const lr = o.lastReceipt;
                const prevTokens = lr.tokens - 1n > 0n ? (a.cheaper ? lr.tokens / 2n : lr.tokens + 5n) : 0n;
                const alt = signedReceipt(
                    receiptFor(m, o.handle, {
                        seqno: lr.seqno,
                        tokensIn: prevTokens / 2n,
                        tokensOut: prevTokens - prevTokens / 2n,
                        requestHash: lr.requestHash,
                        transcript: sha256('alt'),
                    }),
                    o.provider.enclave,
                );
                return [
                    await o.handle.contract.send(
                        o.handle.client.getSender(),
                        { value: toNano('0.05') },
                        { $$type: 'Dispute', queryId: 0n, ...alt },
                    ),
                ];
            }
            case 'payout': {
                // anyone may ask the Order to forward the provider's held earnings; the sender pays the gas
                const o = this.pickMatched(a.order);
                if (!o) return [];
                const who = a.byAttacker ? this.attacker : (o.provider?.owner ?? this.attacker);
                const before = await o.handle.contract.getOrderData();
                const r = await o.handle.contract.send(
                    who.getSender(),
                    { value: toNano(String(a.value / 100)) },
                    { $$type: 'OrderPayout', queryId: 0n },
                );
                const after = await o.handle.contract.getOrderData();
                if (before.heldNet > 0n && after.heldNet === 0n && after.state === before.state) this.stats.payouts++;
                return [r];
            }
            case 'withdraw': {
                const p = this.providers[a.provider];
                return [
                    await p.contract.send(
                        p.owner.getSender(),
                        { value: toNano('0.05') },
                        { $$type: 'WithdrawEarnings', queryId: 0n },
                    ),
                ];
            }
            case 'revoke': {
                return [
                    await m.registry.send(
                        this.attacker.getSender(),
                        { value: toNano('0.05') },
                        { $$type: 'RevokeMeasurement', queryId: 0n, measurement: 0n },
                    ),
                ];
            }
            case 'wait':
                m.blockchain.now = now + a.seconds;
                return [];
        }
    }

    private async checkInvariants(a: Action) {
        // 1. value conservation: every balance plus every fee paid equals what was there, to the nanoton
        const total = await this.totalBalance();
        if (total + this.fees !== this.total0) {
            throw new Error(
                `step ${this.steps} (${a.kind}): value not conserved, gap ${total + this.fees - this.total0}`,
            );
        }
        for (const o of this.orders) {
            const d = await o.handle.contract.getOrderData();
            if (d.paid < o.paidBefore) this.stats.disputesWon++;
            o.paidBefore = d.paid;
            // 2. no order pays more than its budget, nor more than its receipts justify
            if (d.paid > d.budget) throw new Error(`order ${d.id}: paid ${d.paid} > budget ${d.budget}`);
            const justified = d.matched
                ? (o.lastTokens / 2n) * d.priceIn + (o.lastTokens - o.lastTokens / 2n) * d.priceOut
                : 0n;
            if (d.paid > justified) throw new Error(`order ${d.id}: paid ${d.paid} > receipts justify ${justified}`);
            // 3. a final order holds nothing
            const final = [OrderState.SETTLED, OrderState.REFUNDED, OrderState.EXPIRED].includes(
                Number(d.state) as 4 | 5 | 6,
            );
            const bal = (await this.m.blockchain.getContract(o.handle.contract.address)).balance;
            if (final && bal !== 0n) throw new Error(`order ${d.id} final (${d.state}) but holds ${bal}`);
            // 5. what a claim charged and the Order has not forwarded: never more than was charged, and all of it
            //    forwarded at settlement
            if (d.heldNet > d.held || d.held > d.paid)
                throw new Error(`order ${d.id}: heldNet ${d.heldNet}, held ${d.held}, paid ${d.paid}`);
            if (final && (d.held !== 0n || d.heldNet !== 0n))
                throw new Error(`order ${d.id} final (${d.state}) but holds ${d.heldNet} of earnings`);
            // 6. a live escrow holds the client's unspent budget, the provider's held earnings and what it owes
            if (!final && Number(d.state) !== OrderState.UNINIT) {
                const owes = d.budget - d.paid + d.heldNet + d.owed;
                if (bal < owes) throw new Error(`order ${d.id} (state ${d.state}) holds ${bal} < ${owes} it owes`);
            }
        }
        // 4. a provider's stake only leaves through unbonding or a lost dispute (never in these sequences)
        for (const p of this.providers) {
            const pd = await p.contract.getProviderData();
            const s0 = this.stakes.get(p.contract.address.toRawString())!;
            const c = await p.contract.getCounters();
            if (pd.stake < s0 && c.disputesLost === 0n) throw new Error(`provider stake fell without a lost dispute`);
            if (pd.status === BigInt(ProviderStatus.DEACTIVATED)) throw new Error('an attacker deactivated a provider');
            // 7. a match's reservation is released whenever the Order refuses it: a provider's live count is the
            //    number of its matched orders still running (none leaked by a refused or raced match)
            let running = 0n;
            for (const o of this.orders) {
                if (o.provider !== p) continue;
                const st = Number((await o.handle.contract.getOrderData()).state);
                if (st === OrderState.MATCHED || st === OrderState.CLOSING) running++;
            }
            if (pd.live !== running) throw new Error(`provider live ${pd.live} != ${running} running matched orders`);
        }
    }

    /** Once every deadline has passed, anyone can end every order, and then all its funds are out. */
    async drain() {
        this.m.blockchain.now = (this.m.blockchain.now ?? T0) + 5000;
        for (const o of this.orders) {
            const r = await o.handle.contract.send(
                this.attacker.getSender(),
                { value: toNano('0.05') },
                { $$type: 'Timeout', queryId: 0n },
            );
            this.fees += networkCost(r.transactions);
            const d = await o.handle.contract.getOrderData();
            if (![OrderState.SETTLED, OrderState.REFUNDED, OrderState.EXPIRED].includes(Number(d.state) as 4 | 5 | 6)) {
                throw new Error(`order ${d.id} stuck in state ${d.state} after every deadline`);
            }
            if (Number(d.state) === OrderState.SETTLED) this.stats.settled++;
            if (Number(d.state) === OrderState.REFUNDED) this.stats.refunded++;
            if (Number(d.state) === OrderState.EXPIRED) this.stats.expired++;
        }
        await this.checkInvariants({ kind: 'wait', seconds: 0 });
    }
}

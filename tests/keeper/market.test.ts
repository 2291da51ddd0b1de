/**
 * The keeper against a real in-process localnet: indexing, price-time matching, two keepers racing for one
 * order, expiry refunds, restart and rebuild of the database.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { Address } from '@ton/core';
import { Keeper } from '../../keeper/keeper';
import { KeeperDb } from '../../keeper/db';
import { KeeperWallet } from '../../keeper/chain/wallet';
import { explainUnmatched } from '../../keeper/market/matcher';
import { OrderState } from '../../wrappers/Constants';
import { createOrder, MarketFixture, nowSec, ProviderFixture, registerProvider, startMarket } from './fixture';

const log = pino({ level: 'silent' });
const policy = {
    matchValue: 50_000_000n,
    matchCostEstimate: 32_000_000n,
    // A match burns ~0.031 TON of gas against localnet's 0.04 TON fee; the frugal default is tested on its own.
    spendAboveFee: true,
    refundExpired: true,
    timeoutValue: 20_000_000n,
    relayRevocations: true,
    relayValue: 30_000_000n,
    resendAfterMs: 30_000,
};

let m: MarketFixture;
let dir: string;
let cheap: ProviderFixture;
let dear: ProviderFixture;

async function keeperFor(walletIndex: number | null, dbFile: string): Promise<Keeper> {
    const wallet =
        walletIndex === null
            ? undefined
            : await KeeperWallet.fromMnemonic(m.chain, m.wallets[walletIndex].mnemonic, 10_000);
    return new Keeper({
        chain: m.chain,
        db: new KeeperDb(dbFile),
        registry: m.registry,
        log,
        wallet,
        policy,
        pollIntervalMs: 200,
    });
}

const strip = (k: Keeper) => JSON.stringify({ orders: k.db.orders(), providers: k.db.providers() });

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keeper-test-'));
    m = await startMarket({ walletCount: 6 });
    // wallets: 0, 1 keepers; 2, 3 providers; 4, 5 clients
    dear = await registerProvider(m, m.wallets[2], { priceIn: 10n, priceOut: 30n });
    cheap = await registerProvider(m, m.wallets[3], { priceIn: 12n, priceOut: 20n });
});

afterAll(async () => {
    await m?.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

describe('keeper on localnet', () => {
    let a: Keeper;
    let b: Keeper;

    it('indexes orders and providers, and explains why an order stays unmatched', async () => {
        a = await keeperFor(0, path.join(dir, 'a.db'));
        const id = await createOrder(m, m.wallets[4], { maxPriceIn: 100n, maxPriceOut: 10n });
        await a.sync();
        const o = a.db.order(id)!;
        expect(o.state).toBe(OrderState.OPEN);
        expect(o.model).toHaveLength(64);
        expect(
            a.db
                .providers()
                .map((p) => p.address)
                .sort(),
        ).toEqual([cheap.address.toRawString(), dear.address.toRawString()].sort());
        expect(a.db.providers().every((p) => Object.keys(p.asks).length === 1)).toBe(true);
        const reasons = explainUnmatched(o, a.db.providers(), nowSec());
        expect(reasons).toHaveLength(2);
        expect(reasons.join(' ')).toMatch(/above the order's max/);
        expect(await a.matchOnce()).toEqual([]); // nobody is cheap enough
        expect(a.db.events().some((e) => e.name === 'CreateOrder')).toBe(true);
        expect(a.db.events().some((e) => e.name === 'RegisterProvider')).toBe(true);
    });

    it('matches with the cheapest provider (by output, then input price) at its ask', async () => {
        const id = await createOrder(m, m.wallets[4]);
        await a.sync();
        const sent = await a.matchOnce();
        expect(sent.map((s) => s.orderId)).toEqual([id.toString()]);
        expect(sent[0].provider).toBe(m.wallets[3].contract.address.toRawString());
        await a.sync();
        const o = a.db.order(id)!;
        expect(o.state).toBe(OrderState.MATCHED);
        expect(o.provider).toBe(cheap.address.toRawString());
        expect([o.priceIn, o.priceOut]).toEqual(['12', '20']);
        expect(o.keeper).toBe(m.wallets[0].contract.address.toRawString());
        const t = a.totals();
        expect(t.wins).toBe(1);
        expect(t.feesEarned).toBe(40_000_000n); // localnet's match fee
        // Gas of one winning match, read from the wallet's own transactions.
        expect(t.gasSpent).toBeGreaterThan(0n);
        expect(t.gasSpent).toBeLessThan(policy.matchValue);
        fs.writeFileSync(path.join(dir, 'match-gas.txt'), t.gasSpent.toString());
        const market = a.book().market[0];
        expect(market.lastClearing).toMatchObject({ priceIn: '12', priceOut: '20', order: id.toString() });
        expect(market.bestAsk).toMatchObject({ priceIn: '12', priceOut: '20' });
    });

    it('with the default policy a keeper does not match when its gas would exceed the fee', async () => {
        const frugal = new Keeper({
            chain: m.chain,
            db: new KeeperDb(path.join(dir, 'frugal.db')),
            registry: m.registry,
            log,
            wallet: await KeeperWallet.fromMnemonic(m.chain, m.wallets[1].mnemonic, 10_000),
            // an estimate above the 0.04 TON fee: the frugal default must hold back
            policy: { ...policy, spendAboveFee: false, matchCostEstimate: 50_000_000n },
            pollIntervalMs: 200,
        });
        const id = await createOrder(m, m.wallets[5]);
        await frugal.sync();
        expect(frugal.db.order(id)!.state).toBe(OrderState.OPEN);
        expect(await frugal.matchOnce()).toEqual([]);
        frugal.db.close();
    });

    it('two keepers racing for the same order: exactly one gets the fee, the other gets its value back', async () => {
        b = await keeperFor(1, path.join(dir, 'b.db'));
        const id = await createOrder(m, m.wallets[5]);
        await Promise.all([a.sync(), b.sync()]);
        const [sa, sb] = await Promise.all([a.matchOnce(), b.matchOnce()]);
        expect(sa.map((s) => s.orderId)).toContain(id.toString());
        expect(sb.map((s) => s.orderId)).toContain(id.toString());
        const before = { a: a.totals(), b: b.totals() };
        await Promise.all([a.sync(), b.sync()]);
        const about = (k: Keeper, name: string) =>
            k.db.events().filter((e) => e.name === name && (e.data as { orderId: string }).orderId === id.toString());
        const wins = about(a, 'MatchFeePaid').length + about(b, 'MatchFeePaid').length;
        const refusals = about(a, 'MatchRefused').length + about(b, 'MatchRefused').length;
        expect(wins).toBe(1);
        expect(refusals).toBe(1);
        const loser = about(a, 'MatchRefused').length ? a : b;
        // The loser's gas: what it attached came back but for the gas of the refused cascade.
        const lost = loser.totals().gasSpent - (loser === a ? before.a.gasSpent : before.b.gasSpent);
        expect(lost).toBeLessThan(policy.matchValue);
        expect(a.db.order(id)!.state).toBe(OrderState.MATCHED);
    });

    it('refunds an order nobody matched once its match-by deadline passed', async () => {
        // match-by a few seconds out; the test waits on what the chain says, not on fixed sleeps, so a slow
        // machine only makes it slower
        const id = await createOrder(m, m.wallets[4], { matchWithin: 8, maxPriceOut: 1n });
        const deadline = Date.now() + 30_000;
        await a.sync();
        while (!a.db.order(id) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 250));
            await a.sync();
        }
        const o = a.db.order(id)!;
        expect(o.state).toBe(OrderState.OPEN);
        expect(await a.expireOnce()).toEqual([]); // not yet due
        // the keeper allows 2 s of clock skew past the deadline (keeper/market/expiry.ts)
        while (nowSec() - 2 <= o.matchBy) await new Promise((r) => setTimeout(r, 250));
        await a.sync();
        const sent = await a.expireOnce();
        expect(sent).toEqual([{ orderId: id.toString(), kind: 'unmatched' }]);
        await a.sync();
        expect(a.db.order(id)!.state).toBe(OrderState.EXPIRED);
    });

    it('resumes after a restart from its cursors', async () => {
        const file = path.join(dir, 'a.db');
        const cursorBefore = a.db.cursor(m.orderBook.toRawString());
        a.db.close();
        a = await keeperFor(0, file);
        expect(a.db.cursor(m.orderBook.toRawString())).toBe(cursorBefore);
        const id = await createOrder(m, m.wallets[5], { maxPriceOut: 1n });
        await a.sync();
        expect(a.db.order(id)!.state).toBe(OrderState.OPEN);
        expect(a.db.cursor(m.orderBook.toRawString())).toBeGreaterThan(cursorBefore);
        const events = a.db.events(m.orderBook.toRawString());
        // Every OrderBook transaction exactly once: no replay after the restart.
        expect(new Set(events.map((e) => e.lt)).size).toBe(events.length);
    });

    it('a deleted database is rebuilt from the chain with the same book', async () => {
        await a.sync();
        const rebuilt = await keeperFor(null, path.join(dir, 'rebuilt.db'));
        await rebuilt.sync();
        await a.sync();
        expect(strip(rebuilt)).toEqual(strip(a));
        expect(rebuilt.db.events(m.orderBook.toRawString())).toEqual(a.db.events(m.orderBook.toRawString()));
        rebuilt.db.close();
        b.db.close();
        a.db.close();
    });

    it('a malformed message to the OrderBook does not stop the indexer', async () => {
        const { beginCell, toNano } = await import('@ton/core');
        const { send } = await import('./fixture');
        // CreateOrder's opcode with a truncated body.
        await send(
            m.client,
            m.wallets[4],
            m.orderBook,
            toNano('0.05'),
            beginCell().storeUint(0x434f0040, 32).storeUint(1, 8).endCell(),
        );
        const k = await keeperFor(null, path.join(dir, 'malformed.db'));
        const stats = await k.indexer.sync();
        expect(stats.skipped).toBeGreaterThan(0);
        expect(k.db.orders().length).toBeGreaterThan(0);
        k.db.close();
        expect(Address.isAddress(m.orderBook)).toBe(true);
    });
});

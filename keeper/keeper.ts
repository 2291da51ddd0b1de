/**
 * One keeper process: the loop (index -> account -> match -> expire -> relay), the verifier role when
 * configured, and graceful stop (the pass in flight finishes, then the database closes).
 */
import { Address } from '@ton/core';
import type { Logger } from 'pino';
import { Chain } from './chain/chain';
import { KeeperWallet } from './chain/wallet';
import { KeeperDb } from './db';
import { Indexer } from './indexer/indexer';
import { MarketActions, ActionPolicy } from './market/actions';
import { accountWallet, loadTotals, WalletTotals } from './market/accounting';
import { KeeperMetrics } from './metrics';
import { marketData } from './market/marketData';
import { explainUnmatched } from './market/matcher';
import { OrderView, ProviderView, MarketModelView } from './types';

export interface KeeperOptions {
    chain: Chain;
    db: KeeperDb;
    registry: Address;
    log: Logger;
    /** Without a wallet the keeper only indexes (and verifies): a read-only book server. */
    wallet?: KeeperWallet;
    policy: ActionPolicy;
    pollIntervalMs: number;
    metrics?: KeeperMetrics;
}

export interface PassResult {
    matches: number;
    timeouts: number;
    relays: number;
}

export interface BookSnapshot {
    orders: OrderView[];
    providers: ProviderView[];
    market: MarketModelView[];
}

export class Keeper {
    readonly indexer: Indexer;
    readonly metrics: KeeperMetrics;
    private actions: MarketActions | null = null;
    private timer: NodeJS.Timeout | null = null;
    private inFlight: Promise<unknown> = Promise.resolve();
    private stopped = false;
    lastSyncAt = 0;

    constructor(readonly opts: KeeperOptions) {
        this.metrics = opts.metrics ?? new KeeperMetrics();
        this.indexer = new Indexer(opts.chain, opts.db, opts.registry, opts.log.child({ part: 'indexer' }));
    }

    get db(): KeeperDb {
        return this.opts.db;
    }

    private async ensureActions(): Promise<MarketActions | null> {
        if (!this.opts.wallet) return null;
        if (!this.actions) {
            const book = await this.indexer.init();
            this.actions = new MarketActions(
                this.opts.chain,
                this.opts.wallet,
                this.opts.db,
                this.opts.registry,
                book,
                this.opts.policy,
                this.opts.log.child({ part: 'market' }),
                this.metrics,
            );
        }
        return this.actions;
    }

    /** Index the chain and account the wallet; no sends. */
    async sync(): Promise<void> {
        await this.indexer.sync();
        if (this.opts.wallet)
            this.updateTotals(await accountWallet(this.opts.chain, this.opts.db, this.opts.wallet.address));
        this.lastSyncAt = Date.now();
        this.metrics.ordersSeen.set(this.opts.db.maxOrderId() + 1);
        this.metrics.lag.set(0);
    }

    private updateTotals(t: WalletTotals): void {
        this.metrics.feesEarned.set(Number(t.feesEarned));
        this.metrics.gasSpent.set(Number(t.gasSpent));
    }

    totals(): WalletTotals {
        return loadTotals(this.opts.db);
    }

    /** One full pass. Sends only what the book says is due; the next pass sees the effects. */
    async pass(now = Math.floor(Date.now() / 1000)): Promise<PassResult> {
        await this.sync();
        const actions = await this.ensureActions();
        if (!actions) return { matches: 0, timeouts: 0, relays: 0 };
        const relays = await actions.relayOnce();
        const matches = await actions.matchOnce(now);
        const timeouts = await actions.expireOnce(now);
        return { matches: matches.length, timeouts: timeouts.length, relays: relays.length };
    }

    /** Matching only (tests race two keepers on the same snapshot with it). */
    async matchOnce(now = Math.floor(Date.now() / 1000)) {
        const actions = await this.ensureActions();
        return actions ? actions.matchOnce(now) : [];
    }

    async expireOnce(now = Math.floor(Date.now() / 1000)) {
        const actions = await this.ensureActions();
        return actions ? actions.expireOnce(now) : [];
    }

    book(now = Math.floor(Date.now() / 1000)): BookSnapshot {
        const orders = this.opts.db.orders();
        const providers = this.opts.db.providers();
        return { orders, providers, market: marketData(orders, providers, now) };
    }

    explain(orderId: string, now = Math.floor(Date.now() / 1000)): string[] {
        const o = this.opts.db.order(orderId);
        if (!o) return [`order ${orderId} is not indexed`];
        return explainUnmatched(o, this.opts.db.providers(), now);
    }

    /** Starts the loop; each pass starts pollIntervalMs after the previous one ended (passes never overlap). */
    start(): void {
        const loop = () => {
            if (this.stopped) return;
            const run = this.pass()
                .catch((e: unknown) => {
                    this.metrics.errors.inc();
                    this.opts.log.error({ err: (e as Error).message }, 'keeper pass failed');
                })
                .finally(() => {
                    if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollIntervalMs);
                });
            this.inFlight = run;
        };
        const lagTimer = setInterval(() => {
            if (this.lastSyncAt) this.metrics.lag.set((Date.now() - this.lastSyncAt) / 1000);
        }, 1000);
        lagTimer.unref();
        this.stopTimers.push(() => clearInterval(lagTimer));
        loop();
    }

    private stopTimers: (() => void)[] = [];

    /** Finishes the pass in flight, then stops; the caller closes the database afterwards. */
    async stop(): Promise<void> {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
        for (const f of this.stopTimers) f();
        await this.inFlight.catch(() => undefined);
    }
}

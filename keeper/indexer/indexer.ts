/**
 * Follows the market on chain and keeps keeper/db.ts current:
 *  - Registry transactions: RegisterProvider (-> the Provider address via getProviderAddress(owner)) and
 *    RevokeMeasurement; OrderBook transactions: CreateOrder and MatchOrder, kept as decoded events;
 *  - every Provider seen: its transactions (SetAsk/RemoveAsk name the models it quotes) and its getters;
 *  - every Order: ids below nextOrderId, refreshed by getOrderData while not final.
 * Progress is a per-account lt cursor in SQLite written in the same SQLite transaction as what it produced,
 * so a crash between the two cannot skip or double-apply anything. The state shown (orders, providers) always
 * comes from getters, never from replaying messages: the database is a cache, and a rebuilt one is identical.
 */
import { Address, Transaction } from '@ton/core';
import type { Logger } from 'pino';
import { Chain } from '../chain/chain';
import { KeeperDb } from '../db';
import { Op, OrderState } from '../../wrappers/Constants';
import { decodeBody, txSender, txSucceeded } from './decode';
import { askView, hex256, orderView, providerView } from './views';
import { AskView } from '../types';
import { Order } from '../../wrappers/Order';

/** States after which an Order never changes again: no more getter calls for it. */
export const FINAL_STATES: number[] = [OrderState.SETTLED, OrderState.REFUNDED, OrderState.EXPIRED];

export interface IndexerStats {
    ordersSeen: number;
    newOrders: number;
    providers: number;
    events: number;
    skipped: number;
}

export class Indexer {
    orderBook: Address | null = null;

    constructor(
        private readonly chain: Chain,
        readonly db: KeeperDb,
        readonly registry: Address,
        private readonly log: Logger,
    ) {}

    async init(): Promise<Address> {
        if (!this.orderBook) {
            const data = await this.chain.registryData(this.registry);
            if (!data.configured) throw new Error(`registry ${this.registry.toString()} is not set up yet`);
            this.orderBook = data.orderBook;
        }
        return this.orderBook;
    }

    /** One pass over everything; safe to call repeatedly (idempotent for an unchanged chain). */
    async sync(): Promise<IndexerStats> {
        const book = await this.init();
        const stats: IndexerStats = { ordersSeen: 0, newOrders: 0, providers: 0, events: 0, skipped: 0 };
        await this.followAccount(this.registry, stats, (tx, d) => this.onRegistryTx(tx, d));
        await this.followAccount(book, stats, () => undefined);
        await this.syncOrders(book, stats);
        await this.syncProviders(stats);
        return stats;
    }

    /** Transactions of `account` after its cursor, decoded; `handle` runs inside the cursor's SQLite transaction. */
    private async followAccount(
        account: Address,
        stats: IndexerStats,
        handle: (tx: Transaction, decoded: ReturnType<typeof decodeBody>) => void,
    ): Promise<void> {
        const key = account.toRawString();
        const after = this.db.cursor(key);
        const txs = await this.chain.transactionsSince(account, after);
        if (txs.length === 0) return;
        this.db.tx(() => {
            for (const tx of txs) {
                const body = tx.inMessage?.body;
                let decoded: ReturnType<typeof decodeBody> = null;
                try {
                    decoded = decodeBody(body);
                } catch (e) {
                    decoded = { op: -1, error: (e as Error).message };
                }
                if (decoded && 'error' in decoded) {
                    stats.skipped++;
                    this.log.debug(
                        { account: key, lt: tx.lt.toString(), op: decoded.op, err: decoded.error },
                        'skipped message',
                    );
                } else if (decoded) {
                    const sender = txSender(tx);
                    this.db.addEvent({
                        account: key,
                        lt: tx.lt.toString(),
                        op: decoded.op,
                        name: decoded.name,
                        success: txSucceeded(tx),
                        data: { ...decoded.fields, sender: sender?.toRawString() ?? null, now: tx.now },
                    });
                    stats.events++;
                }
                try {
                    handle(tx, decoded);
                } catch (e) {
                    stats.skipped++;
                    this.log.warn(
                        { account: key, lt: tx.lt.toString(), err: (e as Error).message },
                        'handler failed; skipped',
                    );
                }
            }
            this.db.setCursor(key, txs[txs.length - 1].lt);
        });
    }

    private onRegistryTx(tx: Transaction, d: ReturnType<typeof decodeBody>): void {
        if (!d || 'error' in d || d.op !== Op.RegisterProvider) return;
        const owner = txSender(tx);
        // A refused registration leaves no Provider; the owner is still worth a look (a later renewal
        // may deploy it), and syncProviders skips accounts without code.
        // Stored in the cursor's SQLite transaction (address resolved later) so a crash cannot lose it.
        if (owner) this.db.addProviderOwner(owner.toRawString(), '');
    }

    private async syncOrders(book: Address, stats: IndexerStats): Promise<void> {
        const next = Number((await this.chain.orderBookData(book)).nextOrderId);
        const known = this.db.maxOrderId();
        // New ids first (fetched with their frozen config), then every live one.
        for (let id = known + 1; id < next; id++) {
            const address = await this.chain.orderAddress(book, BigInt(id));
            const data = await this.chain.orderData(address);
            if (!data) break; // deploy message not applied yet: the next pass picks it up, ids stay contiguous
            const config = await this.chain.call(() =>
                this.chain.client.open(Order.fromAddress(address)).getOrderConfig(),
            );
            this.db.upsertOrder(orderView(address, data, config));
            stats.newOrders++;
        }
        const live = this.db.orders().filter((o) => !FINAL_STATES.includes(o.state));
        for (const o of live) {
            const address = Address.parse(o.address);
            const data = await this.chain.orderData(address);
            if (!data) continue;
            this.db.upsertOrder(
                orderView(address, data, { closeGrace: BigInt(o.closeGrace), matchFee: BigInt(o.matchFee) }),
            );
        }
        stats.ordersSeen = this.db.maxOrderId() + 1;
    }

    private async syncProviders(stats: IndexerStats): Promise<void> {
        for (const { owner } of this.db.providerOwners().filter((p) => p.address === '')) {
            const address = await this.chain.providerAddress(this.registry, Address.parse(owner));
            this.db.setProviderAddress(owner, address.toRawString());
        }
        // Models worth quoting: the ones the provider set asks for, plus those any order wants.
        const orderModels = new Set(this.db.orders().map((o) => o.model));
        const revokedCache = new Map<string, boolean>();
        for (const { address } of this.db.providerOwners().filter((p) => p.address !== '')) {
            const addr = Address.parse(address);
            await this.followAccount(addr, stats, (_tx, d) => {
                if (d && !('error' in d) && (d.op === Op.SetAsk || d.op === Op.RemoveAsk)) {
                    this.db.addProviderModel(address, String(d.fields.model));
                }
            });
            const data = await this.chain.providerData(addr);
            if (!data) continue;
            const asks: Record<string, AskView> = {};
            const models = new Set([...this.db.providerModels(address), ...orderModels]);
            for (const m of [...models].sort()) {
                const a = await this.chain.providerAsk(addr, BigInt('0x' + m));
                if (a) asks[m] = askView(a);
            }
            const mh = hex256(data.measurement);
            if (!revokedCache.has(mh)) {
                const entry = await this.chain.measurement(this.registry, data.measurement);
                revokedCache.set(mh, entry?.revoked ?? false);
            }
            this.db.setProvider(providerView(addr, data, asks, revokedCache.get(mh)!));
            stats.providers++;
        }
    }
}

/**
 * SQLite state of one keeper. Everything here is a cache of the chain: the per-account cursor (last processed
 * transaction lt) makes restarts cheap, and deleting the file only costs a re-scan (tests check that a rebuilt
 * database gives the same book). Verified quotes are the exception: they are what this verifier published.
 */
import Database from 'better-sqlite3';
import fs from 'fs';
import path from 'path';
import { OrderView, ProviderView } from './types';

export interface EventRow {
    account: string;
    lt: string;
    op: number;
    name: string;
    success: boolean;
    data: unknown;
}

export interface QuoteRow {
    hash: string;
    quote: string;
    measurement: string;
    tcbStatus: string;
    cert: unknown;
    signature: string;
    verifierIndex: number;
    verifiedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cursors (account TEXT PRIMARY KEY, lt TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, address TEXT NOT NULL, state INTEGER NOT NULL,
    model TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_state ON orders(state);
CREATE TABLE IF NOT EXISTS providers (owner TEXT PRIMARY KEY, address TEXT NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS provider_models (provider TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (provider, model));
CREATE TABLE IF NOT EXISTS events (account TEXT NOT NULL, lt TEXT NOT NULL, op INTEGER NOT NULL, name TEXT NOT NULL,
    success INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account, lt));
CREATE TABLE IF NOT EXISTS quotes (hash TEXT PRIMARY KEY, quote TEXT NOT NULL, measurement TEXT NOT NULL,
    tcb_status TEXT NOT NULL, cert TEXT NOT NULL, signature TEXT NOT NULL, verifier_index INTEGER NOT NULL,
    verified_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export class KeeperDb {
    readonly db: Database.Database;

    constructor(file: string) {
        if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        this.db = new Database(file);
        // WAL: the HTTP API reads while the loop writes.
        this.db.pragma('journal_mode = WAL');
        this.db.exec(SCHEMA);
    }

    close(): void {
        if (this.db.open) this.db.close();
    }

    tx<T>(fn: () => T): T {
        return this.db.transaction(fn)();
    }

    getMeta(key: string): string | undefined {
        const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
        return r?.value;
    }

    setMeta(key: string, value: string): void {
        this.db
            .prepare(
                'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
            )
            .run(key, value);
    }

    cursor(account: string): bigint {
        const r = this.db.prepare('SELECT lt FROM cursors WHERE account = ?').get(account) as
            { lt: string } | undefined;
        return r ? BigInt(r.lt) : 0n;
    }

    setCursor(account: string, lt: bigint): void {
        this.db
            .prepare(
                'INSERT INTO cursors (account, lt) VALUES (?, ?) ON CONFLICT(account) DO UPDATE SET lt = excluded.lt',
            )
            .run(account, lt.toString());
    }

    addEvent(e: EventRow): void {
        this.db
            .prepare('INSERT OR IGNORE INTO events (account, lt, op, name, success, data) VALUES (?, ?, ?, ?, ?, ?)')
            .run(e.account, e.lt, e.op, e.name, e.success ? 1 : 0, JSON.stringify(e.data));
    }

    events(account?: string): EventRow[] {
        const rows = (
            account
                ? this.db.prepare('SELECT * FROM events WHERE account = ? ORDER BY CAST(lt AS INTEGER)').all(account)
                : this.db.prepare('SELECT * FROM events ORDER BY CAST(lt AS INTEGER)').all()
        ) as { account: string; lt: string; op: number; name: string; success: number; data: string }[];
        return rows.map((r) => ({ ...r, success: r.success === 1, data: JSON.parse(r.data) }));
    }

    upsertOrder(o: OrderView): void {
        this.db
            .prepare(
                `INSERT INTO orders (id, address, state, model, data) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET state = excluded.state, data = excluded.data`,
            )
            .run(Number(o.id), o.address, o.state, o.model, JSON.stringify(o));
    }

    order(id: bigint | number | string): OrderView | undefined {
        const r = this.db.prepare('SELECT data FROM orders WHERE id = ?').get(Number(id)) as
            { data: string } | undefined;
        return r ? (JSON.parse(r.data) as OrderView) : undefined;
    }

    orders(states?: number[]): OrderView[] {
        const rows = (
            states
                ? this.db
                      .prepare(
                          `SELECT data FROM orders WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY id`,
                      )
                      .all(...states)
                : this.db.prepare('SELECT data FROM orders ORDER BY id').all()
        ) as { data: string }[];
        return rows.map((r) => JSON.parse(r.data) as OrderView);
    }

    /** Highest order id stored, or -1. */
    maxOrderId(): number {
        const r = this.db.prepare('SELECT MAX(id) AS m FROM orders').get() as { m: number | null };
        return r.m ?? -1;
    }

    addProviderOwner(owner: string, address: string): void {
        this.db
            .prepare('INSERT OR IGNORE INTO providers (owner, address, data) VALUES (?, ?, NULL)')
            .run(owner, address);
    }

    setProviderAddress(owner: string, address: string): void {
        this.db.prepare('UPDATE providers SET address = ? WHERE owner = ?').run(address, owner);
    }

    setProvider(p: ProviderView): void {
        this.db
            .prepare(
                `INSERT INTO providers (owner, address, data) VALUES (?, ?, ?)
                 ON CONFLICT(owner) DO UPDATE SET address = excluded.address, data = excluded.data`,
            )
            .run(p.owner, p.address, JSON.stringify(p));
    }

    providerOwners(): { owner: string; address: string }[] {
        return this.db.prepare('SELECT owner, address FROM providers ORDER BY owner').all() as {
            owner: string;
            address: string;
        }[];
    }

    providers(): ProviderView[] {
        const rows = this.db.prepare('SELECT data FROM providers WHERE data IS NOT NULL ORDER BY owner').all() as {
            data: string;
        }[];
        return rows.map((r) => JSON.parse(r.data) as ProviderView);
    }

    addProviderModel(provider: string, model: string): void {
        this.db.prepare('INSERT OR IGNORE INTO provider_models (provider, model) VALUES (?, ?)').run(provider, model);
    }

    providerModels(provider: string): string[] {
        const rows = this.db
            .prepare('SELECT model FROM provider_models WHERE provider = ? ORDER BY model')
            .all(provider) as {
            model: string;
        }[];
        return rows.map((r) => r.model);
    }

    saveQuote(q: QuoteRow): void {
        this.db
            .prepare(
                `INSERT OR REPLACE INTO quotes (hash, quote, measurement, tcb_status, cert, signature, verifier_index, verified_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
                q.hash,
                q.quote,
                q.measurement,
                q.tcbStatus,
                JSON.stringify(q.cert),
                q.signature,
                q.verifierIndex,
                q.verifiedAt,
            );
    }

    quote(hash: string): QuoteRow | undefined {
        const r = this.db.prepare('SELECT * FROM quotes WHERE hash = ?').get(hash.toLowerCase()) as
            | {
                  hash: string;
                  quote: string;
                  measurement: string;
                  tcb_status: string;
                  cert: string;
                  signature: string;
                  verifier_index: number;
                  verified_at: number;
              }
            | undefined;
        if (!r) return undefined;
        return {
            hash: r.hash,
            quote: r.quote,
            measurement: r.measurement,
            tcbStatus: r.tcb_status,
            cert: JSON.parse(r.cert),
            signature: r.signature,
            verifierIndex: r.verifier_index,
            verifiedAt: r.verified_at,
        };
    }

    quoteCount(): number {
        return (this.db.prepare('SELECT COUNT(*) AS n FROM quotes').get() as { n: number }).n;
    }
}

/**
 * Durable receipts: one append-only JSON-lines file per order under <dataDir>/orders/, each line fsync'ed
 * before the worker answers. A receipt is the provider's claim to payment, and the response it answers is
 * the only copy a client that lost its connection can get back (retries are answered from here, never
 * re-run: a second run would be a second enclave-signed receipt for the same seqno, which a Dispute punishes).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'fs';
import { join } from 'path';
import { Address, Cell } from '@ton/core';

export interface ServedRecord {
    kind: 'served';
    order: string; // raw address
    seqno: number;
    requestHash: string; // hex
    receiptBoc: string; // base64
    signature: string; // hex
    responseCiphertext: string; // base64
    tokensIn: number; // this request's
    tokensOut: number;
    totalIn: string; // cumulative, decimal
    totalOut: string;
    priceIn: string;
    priceOut: string;
    enclaveKey: string; // hex: the key that signed
    servedAt: number; // unix ms
}

export interface ClaimRecord {
    kind: 'claimed';
    order: string;
    seqno: number;
    final: boolean;
    via: 'external' | 'internal';
    delta: string;
    at: number;
}

/** The order is over for us (settled, refunded, expired, or its claim window closed). */
export interface DoneRecord {
    kind: 'done';
    order: string;
    reason: string;
    at: number;
}

type Line = ServedRecord | ClaimRecord | DoneRecord;

export interface OrderRecords {
    order: Address;
    served: ServedRecord[];
    claimed?: ClaimRecord;
    done?: DoneRecord;
}

export class ReceiptStore {
    private readonly dir: string;
    private readonly orders = new Map<string, OrderRecords>();

    constructor(dataDir: string) {
        this.dir = join(dataDir, 'orders');
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.load();
    }

    private fileOf(order: Address): string {
        return join(this.dir, `${order.workChain}_${order.hash.toString('hex')}.jsonl`);
    }

    private load() {
        for (const name of readdirSync(this.dir)) {
            if (!name.endsWith('.jsonl')) continue;
            const text = readFileSync(join(this.dir, name), 'utf8');
            for (const raw of text.split('\n')) {
                if (!raw.trim()) continue;
                let line: Line;
                try {
                    line = JSON.parse(raw) as Line;
                } catch {
                    // A torn last line (crash mid-write, before fsync returned): never acknowledged, skip it.
                    continue;
                }
                this.apply(line);
            }
        }
    }

    private apply(line: Line) {
        const order = Address.parse(line.order);
        const key = order.toRawString();
        let rec = this.orders.get(key);
        if (!rec) {
            rec = { order, served: [] };
            this.orders.set(key, rec);
        }
        if (line.kind === 'served') rec.served.push(line);
        else if (line.kind === 'claimed') rec.claimed = line;
        else rec.done = line;
    }

    private append(line: Line) {
        const file = this.fileOf(Address.parse(line.order));
        const fd = openSync(file, 'a', 0o600);
        try {
            writeSync(fd, JSON.stringify(line) + '\n');
            fsyncSync(fd);
        } finally {
            closeSync(fd);
        }
        // The first line also creates the file: make the directory entry durable too.
        try {
            const dfd = openSync(this.dir, 'r');
            try {
                fsyncSync(dfd);
            } finally {
                closeSync(dfd);
            }
        } catch {
            // fsync on a directory is not supported everywhere (e.g. Windows); the file itself is synced.
        }
        this.apply(line);
    }

    recordServed(r: Omit<ServedRecord, 'kind'>) {
        this.append({ kind: 'served', ...r });
    }

    recordClaim(r: Omit<ClaimRecord, 'kind' | 'at'>) {
        this.append({ kind: 'claimed', at: Date.now(), ...r });
    }

    recordDone(order: Address, reason: string) {
        this.append({ kind: 'done', order: order.toRawString(), reason, at: Date.now() });
    }

    get(order: Address): OrderRecords | undefined {
        return this.orders.get(order.toRawString());
    }

    /** The served record answering this exact request (same request cell hash), if any. */
    findByRequest(order: Address, requestHash: Buffer): ServedRecord | undefined {
        const hex = requestHash.toString('hex');
        return this.get(order)?.served.find((s) => s.requestHash === hex);
    }

    latest(order: Address): ServedRecord | undefined {
        const s = this.get(order)?.served;
        return s && s.length ? s.reduce((a, b) => (b.seqno > a.seqno ? b : a)) : undefined;
    }

    /** Orders with receipts that are not finished: what the claimer and PushKey walk. */
    live(): OrderRecords[] {
        return [...this.orders.values()].filter((o) => !o.done && o.served.length > 0);
    }

    all(): OrderRecords[] {
        return [...this.orders.values()];
    }
}

export function receiptCellOf(r: ServedRecord): Cell {
    return Cell.fromBoc(Buffer.from(r.receiptBoc, 'base64'))[0];
}

/**
 * Our own per-account transaction history.
 *
 * The sandbox's `getTransactions` (0.41.0) reverses its array in place on every call and matches
 * lt+hash only by Buffer identity, and its `transactions` array keeps VM logs forever. So every
 * committed transaction is recorded here, with the masterchain block it was "included" in, and the
 * toncenter paging, lookups and block listings are answered from this log.
 */
import { Address, Cell, loadTransaction, Message, Transaction } from '@ton/core';
import { RpcError } from './errors';
import { transactionMessageCells } from './encoding';

export type LoggedTx = {
    account: Address;
    lt: bigint;
    hash: Buffer;
    /** Masterchain seqno of the block that includes it. */
    seqno: number;
    tx: Transaction;
    inMsgCell: Cell | null;
    outMsgCells: Map<number, Cell>;
};

export type SavedTx = { boc: string; workchain: number; seqno: number };

export type PageQuery = { limit: number; lt?: bigint; hash?: Buffer; toLt: bigint };

function msgKey(src: Address, dest: Address, createdLt: bigint): string {
    return `${src.toRawString()}|${dest.toRawString()}|${createdLt}`;
}

export class TxLog {
    /** Per account (raw address), ascending lt. */
    private readonly byAccount = new Map<string, LoggedTx[]>();
    private readonly byBlock = new Map<number, LoggedTx[]>();
    /** Internal messages by (source, destination, created_lt): the receiving / sending transaction. */
    private readonly byInMsg = new Map<string, LoggedTx>();
    private readonly byOutMsg = new Map<string, LoggedTx>();
    private total = 0;

    get size(): number {
        return this.total;
    }

    add(tx: Transaction, workchain: number, seqno: number): LoggedTx {
        const account = new Address(workchain, Buffer.from(tx.address.toString(16).padStart(64, '0'), 'hex'));
        const cells = transactionMessageCells(tx.raw);
        const entry: LoggedTx = {
            account,
            lt: tx.lt,
            hash: tx.hash(),
            seqno,
            tx,
            inMsgCell: cells.inMsg,
            outMsgCells: cells.outMsgs,
        };
        const key = account.toRawString();
        const list = this.byAccount.get(key) ?? [];
        list.push(entry);
        // Transactions arrive in lt order per account; keep the invariant even if they did not.
        if (list.length > 1 && list[list.length - 2].lt > entry.lt) {
            list.sort((a, b) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0));
        }
        this.byAccount.set(key, list);
        const block = this.byBlock.get(seqno) ?? [];
        block.push(entry);
        this.byBlock.set(seqno, block);
        const inInfo = tx.inMessage?.info;
        if (inInfo?.type === 'internal') {
            this.byInMsg.set(msgKey(inInfo.src, inInfo.dest, inInfo.createdLt), entry);
        }
        for (const msg of tx.outMessages.values()) {
            if (msg.info.type === 'internal') {
                this.byOutMsg.set(msgKey(msg.info.src, msg.info.dest, msg.info.createdLt), entry);
            }
        }
        this.total++;
        return entry;
    }

    last(account: Address): LoggedTx | undefined {
        const list = this.byAccount.get(account.toRawString());
        return list ? list[list.length - 1] : undefined;
    }

    /**
     * toncenter's getTransactions: newest first, starting at (lt, hash) inclusive (or at the newest),
     * stopping before `toLt` (exclusive), at most `limit`.
     */
    page(account: Address, q: PageQuery): LoggedTx[] {
        const list = this.byAccount.get(account.toRawString()) ?? [];
        let start = list.length - 1;
        if (q.lt !== undefined) {
            const lt = q.lt;
            if (q.hash) {
                const hash = q.hash;
                start = list.findIndex((t) => t.lt === lt && t.hash.equals(hash));
                if (start < 0) {
                    throw new RpcError(500, 'LITE_SERVER_UNKNOWN: cannot locate transaction: lt/hash not found');
                }
            } else {
                // Without a hash, start from the newest transaction at or below lt.
                while (start >= 0 && list[start].lt > lt) {
                    start--;
                }
            }
        }
        const out: LoggedTx[] = [];
        for (let i = start; i >= 0 && out.length < q.limit; i--) {
            if (list[i].lt <= q.toLt) {
                break;
            }
            out.push(list[i]);
        }
        return out;
    }

    inBlock(seqno: number): LoggedTx[] {
        return this.byBlock.get(seqno) ?? [];
    }

    blocksWithTransactions(): number[] {
        return [...this.byBlock.keys()];
    }

    /** The destination's transaction that received the internal message (source, destination, createdLt). */
    locateResult(source: Address, destination: Address, createdLt: bigint): LoggedTx | undefined {
        return this.byInMsg.get(msgKey(source, destination, createdLt));
    }

    /** The source's transaction that sent the internal message (source, destination, createdLt). */
    locateSource(source: Address, destination: Address, createdLt: bigint): LoggedTx | undefined {
        return this.byOutMsg.get(msgKey(source, destination, createdLt));
    }

    /** Every entry in commit order (for persistence). */
    all(): LoggedTx[] {
        const out: LoggedTx[] = [];
        for (const seqno of [...this.byBlock.keys()].sort((a, b) => a - b)) {
            out.push(...this.byBlock.get(seqno)!);
        }
        return out;
    }

    toJSON(): SavedTx[] {
        return this.all().map((t) => ({
            boc: t.tx.raw.toBoc().toString('base64'),
            workchain: t.account.workChain,
            seqno: t.seqno,
        }));
    }

    static fromJSON(saved: SavedTx[]): TxLog {
        const log = new TxLog();
        for (const s of saved) {
            const tx = loadTransaction(Cell.fromBase64(s.boc).beginParse());
            log.add(tx, s.workchain, s.seqno);
        }
        return log;
    }
}

/** The account's workchain, read from the message that caused the transaction (a tx stores only the hash). */
export function workchainOf(inMessage: Message | null | undefined, fallback: number): number {
    const info = inMessage?.info;
    if (info && (info.type === 'internal' || info.type === 'external-in')) {
        return info.dest.workChain;
    }
    return fallback;
}

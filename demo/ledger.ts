/**
 * Balance bookkeeping for the local market: a snapshot of named accounts (balance and last transaction), and
 * the transactions between two snapshots read back from the chain, so that every nanoton is accounted for:
 * per account, balance change = value in − (value + forwarding fee) out − transaction fees; for the market,
 * the sum of balance changes + all fees = value exchanged with accounts outside the set.
 */
import { Address, Transaction } from '@ton/core';
import { TonClient } from '@ton/ton';

export interface Snapshot {
    balances: Map<string, bigint>;
    lastLt: Map<string, bigint>;
}

export interface AccountChange {
    name: string;
    address: Address;
    delta: bigint;
    fees: bigint;
    transactions: number;
    /** delta − (in − out − fees): zero when the account's history explains its balance. */
    unexplained: bigint;
}

export interface LedgerCheck {
    accounts: AccountChange[];
    /** Sum of balance changes over the set. */
    total: bigint;
    /** Transaction fees + forwarding fees of messages sent by the set. */
    fees: bigint;
    /** Value received from / sent to accounts outside the set. */
    outsideIn: bigint;
    outsideOut: bigint;
    /** total + fees − outsideIn + outsideOut: zero when the money adds up. */
    imbalance: bigint;
}

export class Ledger {
    private readonly names = new Map<string, { name: string; address: Address }>();

    constructor(private readonly ton: TonClient) {}

    add(name: string, address: Address): this {
        this.names.set(address.toRawString(), { name, address });
        return this;
    }

    nameOf(address: Address): string | undefined {
        return this.names.get(address.toRawString())?.name;
    }

    async snapshot(): Promise<Snapshot> {
        const balances = new Map<string, bigint>();
        const lastLt = new Map<string, bigint>();
        for (const [raw, { address }] of this.names) {
            const s = await this.ton.getContractState(address);
            balances.set(raw, s.balance);
            lastLt.set(raw, s.lastTransaction ? BigInt(s.lastTransaction.lt) : 0n);
        }
        return { balances, lastLt };
    }

    /** Transactions of `address` after `afterLt` up to `uptoLt` (inclusive), newest first. */
    private async transactions(address: Address, afterLt: bigint, uptoLt: bigint): Promise<Transaction[]> {
        const out: Transaction[] = [];
        if (uptoLt <= afterLt) return out;
        let page = await this.ton.getTransactions(address, { limit: 100, archival: true });
        for (;;) {
            for (const tx of page) {
                if (tx.lt > uptoLt) continue;
                if (tx.lt <= afterLt) return out;
                out.push(tx);
            }
            const last = page[page.length - 1];
            if (!last || page.length < 100) return out;
            page = await this.ton.getTransactions(address, {
                limit: 100,
                lt: last.prevTransactionLt.toString(),
                hash: Buffer.from(last.prevTransactionHash.toString(16).padStart(64, '0'), 'hex').toString('base64'),
                archival: true,
            });
        }
    }

    async check(before: Snapshot, after: Snapshot): Promise<LedgerCheck> {
        const accounts: AccountChange[] = [];
        let fees = 0n;
        let outsideIn = 0n;
        let outsideOut = 0n;
        for (const [raw, { name, address }] of this.names) {
            const delta = (after.balances.get(raw) ?? 0n) - (before.balances.get(raw) ?? 0n);
            const txs = await this.transactions(address, before.lastLt.get(raw) ?? 0n, after.lastLt.get(raw) ?? 0n);
            let flow = 0n;
            let accountFees = 0n;
            for (const tx of txs) {
                accountFees += tx.totalFees.coins;
                const inInfo = tx.inMessage?.info;
                if (inInfo?.type === 'internal') {
                    flow += inInfo.value.coins;
                    if (!this.names.has(inInfo.src.toRawString())) outsideIn += inInfo.value.coins;
                }
                for (const m of tx.outMessages.values()) {
                    if (m.info.type !== 'internal') continue;
                    flow -= m.info.value.coins + m.info.forwardFee;
                    accountFees += m.info.forwardFee;
                    if (!this.names.has(m.info.dest.toRawString())) outsideOut += m.info.value.coins;
                }
            }
            flow -= tx0(txs, (t) => t.totalFees.coins);
            fees += accountFees;
            accounts.push({
                name,
                address,
                delta,
                fees: accountFees,
                transactions: txs.length,
                unexplained: delta - flow,
            });
        }
        const total = accounts.reduce((s, a) => s + a.delta, 0n);
        return { accounts, total, fees, outsideIn, outsideOut, imbalance: total + fees - outsideIn + outsideOut };
    }
}

function tx0(txs: Transaction[], f: (t: Transaction) => bigint): bigint {
    return txs.reduce((s, t) => s + f(t), 0n);
}

/**
 * What this keeper earned and spent, from its own wallet's transactions (the chain is the ledger; nothing is
 * estimated): every outgoing transfer's value and fees count as spent, value returned by MatchRefused,
 * MatchFeePaid and Excesses counts back, and each MatchFeePaid earns the order's match fee. Deposits
 * (plain transfers) are not income. Totals are kept in the meta table with the wallet's cursor.
 */
import { Address } from '@ton/core';
import { Chain } from '../chain/chain';
import { KeeperDb } from '../db';
import { decodeBody, txSucceeded } from '../indexer/decode';
import { Op } from '../../wrappers/Constants';

export interface WalletTotals {
    wins: number;
    refusals: number;
    /** Match fees earned, nanoTON. */
    feesEarned: bigint;
    /** Gas the keeper burnt (spent minus value returned, fees earned excluded), nanoTON. */
    gasSpent: bigint;
}

const KEY = 'walletTotals';

export function loadTotals(db: KeeperDb): WalletTotals {
    const raw = db.getMeta(KEY);
    if (!raw) return { wins: 0, refusals: 0, feesEarned: 0n, gasSpent: 0n };
    const j = JSON.parse(raw) as { wins: number; refusals: number; feesEarned: string; gasSpent: string };
    return { wins: j.wins, refusals: j.refusals, feesEarned: BigInt(j.feesEarned), gasSpent: BigInt(j.gasSpent) };
}

export async function accountWallet(chain: Chain, db: KeeperDb, wallet: Address): Promise<WalletTotals> {
    const key = `wallet:${wallet.toRawString()}`;
    const txs = await chain.transactionsSince(wallet, db.cursor(key));
    const totals = loadTotals(db);
    if (txs.length === 0) return totals;
    db.tx(() => {
        for (const tx of txs) {
            const info = tx.inMessage?.info;
            let outValue = 0n;
            for (const m of tx.outMessages.values()) if (m.info.type === 'internal') outValue += m.info.value.coins;
            if (info?.type === 'external-in') {
                totals.gasSpent += outValue + tx.totalFees.coins;
                continue;
            }
            if (info?.type !== 'internal') continue;
            let d: ReturnType<typeof decodeBody> = null;
            try {
                d = decodeBody(tx.inMessage?.body);
            } catch {
                d = null;
            }
            const op = d?.op;
            if (op === Op.MatchFeePaid || op === Op.MatchRefused || op === Op.Excesses) {
                totals.gasSpent -= info.value.coins - tx.totalFees.coins;
                if (op === Op.MatchFeePaid && txSucceeded(tx)) {
                    const orderId = d && 'fields' in d ? String(d.fields.orderId) : undefined;
                    const fee = BigInt(db.order(orderId ?? -1)?.matchFee ?? '0');
                    totals.wins += 1;
                    totals.feesEarned += fee;
                    totals.gasSpent += fee; // the fee was in the returned value: it is income, not returned gas
                }
                if (op === Op.MatchRefused) totals.refusals += 1;
                if (d && 'fields' in d) {
                    db.addEvent({
                        account: key,
                        lt: tx.lt.toString(),
                        op: d.op,
                        name: d.name,
                        success: true,
                        data: d.fields,
                    });
                }
            }
        }
        db.setMeta(
            KEY,
            JSON.stringify({
                wins: totals.wins,
                refusals: totals.refusals,
                feesEarned: totals.feesEarned.toString(),
                gasSpent: totals.gasSpent.toString(),
            }),
        );
        db.setCursor(key, txs[txs.length - 1].lt);
    });
    return totals;
}

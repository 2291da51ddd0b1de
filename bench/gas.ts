/**
 * `npm run bench:gas`: measures every operation (bench/gasScenarios.ts), writes bench/results/gas.json
 * (prettier-formatted) and regenerates the figures of docs/GAS.md between `<!-- gas:begin -->` and
 * `<!-- gas:end -->`; the prose around them is hand-written. tests/gas.test.ts fails CI when an operation's
 * gas grows over 2%.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Blockchain } from '@ton/sandbox';
import { Address, Cell, Dictionary, DictionaryValue, fromNano } from '@ton/core';
import * as prettier from 'prettier';
import { GasReport, measureAll, OpResult, reportToJson } from './gasScenarios';
import { orderCode } from '../market/libraries';
import { defaultParams } from '../wrappers/params';

/** The network whose Registry parameters bench/gasScenarios.ts deploys. */
const NETWORK_NAME = 'localnet';

export const DOC_BEGIN = '<!-- gas:begin -->';
export const DOC_END = '<!-- gas:end -->';

/** Cocoon's own contracts (Tolk build) in the same sandbox, from /work/shared/BENCHMARKS.md. */
const REFERENCE = {
    session: { ton: 0.0733, gas: 99_011 },
    charge: { ton: 0.0097, gas: 15_876 },
    payout: { ton: 0.0129, gas: 22_618 },
    reserve: 'a 0.8 TON reserve',
};

interface SettledSession {
    gas: number;
    networkCost: number;
    byPayer: Record<string, number>;
    paidToProvider: number;
    meetsTarget: boolean;
}
interface FurtherClaim {
    meetsTarget: boolean;
}
interface LockedBeyondBudget {
    sentBeyondBudget: number;
    returnedAtSettlement: number;
    meetsTarget: boolean;
}
interface HeaviestChain {
    operation: string;
    gas: number;
    overTarget: string[];
}

/** Masterchain storage of the Order library: what the Librarian's balance pays (config param 18). */
export interface LibraryStorage {
    cells: number;
    bits: number;
    mcBitPricePs: bigint;
    mcCellPricePs: bigint;
    /** nanoTON per day. */
    perDay: bigint;
}

export async function libraryStorage(): Promise<LibraryStorage> {
    const seen = new Set<string>();
    let bits = 0;
    const walk = (c: Cell) => {
        const h = c.hash().toString('hex');
        if (seen.has(h)) return;
        seen.add(h);
        bits += c.bits.length;
        c.refs.forEach(walk);
    };
    walk(await orderCode());
    const bc = await Blockchain.create();
    const config = Dictionary.loadDirect(Dictionary.Keys.Int(32), Dictionary.Values.Cell(), bc.config);
    const p18 = config.get(18);
    if (!p18) throw new Error('sandbox config has no param 18 (storage prices)');
    // StoragePrices, stored inline: tag(8) utime_since(32) bit_price_ps(64) cell_price_ps(64)
    // mc_bit_price_ps(64) mc_cell_price_ps(64), prices in nanoTON per 2^16 seconds.
    const storagePrices: DictionaryValue<{ since: number; mcBit: bigint; mcCell: bigint }> = {
        serialize: () => {
            throw new Error('read only');
        },
        parse: (s) => {
            s.loadUint(8);
            const since = s.loadUint(32);
            s.loadUintBig(64);
            s.loadUintBig(64);
            return { since, mcBit: s.loadUintBig(64), mcCell: s.loadUintBig(64) };
        },
    };
    let latest: { since: number; mcBit: bigint; mcCell: bigint } | undefined;
    for (const entry of Dictionary.loadDirect(Dictionary.Keys.Uint(32), storagePrices, p18).values()) {
        if (!latest || entry.since >= latest.since) latest = entry;
    }
    if (!latest) throw new Error('config param 18 is empty');
    const cells = seen.size;
    const perDay = ((BigInt(bits) * latest.mcBit + BigInt(cells) * latest.mcCell) * 86_400n + 65_535n) / 65_536n;
    return { cells, bits, mcBitPricePs: latest.mcBit, mcCellPricePs: latest.mcCell, perDay };
}

const int = (n: number) => n.toLocaleString('en-US');
const ton = (nano: number | bigint, digits = 4) => (Number(nano) / 1e9).toFixed(digits);
const mark = (ok: boolean) => (ok ? '✅' : '❌');
const signedTon = (nano: number) => `${nano >= 0 ? '+' : '−'}${ton(Math.abs(nano))}`;

/** What the sender's wallet gained (+) or lost (−) in the chain: conservation of all balances. */
const senderNet = (o: OpResult) => -o.networkCost - o.lockedInContracts - o.toOtherWallets;

/** The generated part of docs/GAS.md (markers included). */
export function renderGasFigures(report: GasReport, lib: LibraryStorage): string {
    const ops = report.operations;
    const sc = report.scenarios as {
        settledSession: SettledSession;
        settledSessionWalletClose: { networkCost: number; gas: number };
        furtherClaim: FurtherClaim;
        lockedBeyondBudget: LockedBeyondBudget;
        heaviestChain: HeaviestChain;
    };
    const s = sc.settledSession;
    const meta = report.meta;
    const claimTokens = Number(meta.claimTokensIn) + Number(meta.claimTokensOut);
    const claimValue =
        Number(meta.claimTokensIn) * Number(meta.priceInPerToken) +
        Number(meta.claimTokensOut) * Number(meta.priceOutPerToken);
    const match = ops['keeper.matchOrder'];
    const matchFee = defaultParams(NETWORK_NAME, new Address(0, Buffer.alloc(32))).matchFee;
    const ext = ops['provider.externalClaim.further'];
    const viaWallet = ops['provider.claim.viaWallet'];
    const payout = ops['provider.payout'];
    const withdraw = ops['provider.withdrawEarnings'];
    const vsRef = (ours: number, ref: number) => {
        const pct = ((ours / 1e9 - ref) / ref) * 100;
        return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
    };

    const L: string[] = [];
    L.push(DOC_BEGIN);
    L.push(
        '<!-- Generated by `npm run bench:gas` (bench/gas.ts) from bench/results/gas.json. Do not edit by hand. -->',
    );
    L.push('');
    const finalMin = Number(meta.externalFinalClaimMinDelta);
    L.push(
        `Claim used throughout: ${int(Number(meta.claimTokensIn))} in + ${int(Number(meta.claimTokensOut))} out = ` +
            `${int(claimTokens)} tokens at ${meta.priceInPerToken}/${meta.priceOutPerToken} nanoTON per token = ` +
            `**${ton(claimValue)} TON**; an external claim's delta must be ≥ **${ton(Number(meta.externalClaimMinDelta))} TON** ` +
            `(${claimValue >= Number(meta.externalClaimMinDelta) ? 'passes' : 'REFUSED'}), a final one with nothing held in ` +
            `the Order yet ≥ **${ton(finalMin)} TON** (${claimValue >= finalMin ? 'passes' : 'REFUSED'}).`,
    );
    L.push('');
    L.push('### Per operation');
    L.push('');
    L.push(
        '| operation | payer | gas (chain) | gas in our contracts | largest tx | txs | network cost TON | attached TON | returned TON |',
    );
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, o] of Object.entries(ops)) {
        L.push(
            `| ${name} | ${o.payer} | ${int(o.gas)} | ${int(o.gasContracts)} | ${int(o.gasMaxTx)} | ${o.txs} | ` +
                `${ton(o.networkCost)} | ${ton(o.attached)} | ${ton(o.returned)} |`,
        );
    }
    L.push('');
    L.push('### Scenarios');
    L.push('');
    L.push('| scenario | ours | target | reference (Cocoon, Tolk) |');
    L.push('|---|---|---|---|');
    L.push(
        `| settled session: create → match → the client's ExternalClose → final ExternalClaim of ${int(claimTokens)} tokens (settles, refunds) | ` +
            `**${ton(s.networkCost)} TON**, ${int(s.gas)} gas | < 0.04 TON ${mark(s.meetsTarget)} | ` +
            `${REFERENCE.session.ton} TON, ${int(REFERENCE.session.gas)} gas (ours ${vsRef(s.networkCost, REFERENCE.session.ton)}) |`,
    );
    const wc = sc.settledSessionWalletClose;
    L.push(
        `| — the same with Close sent from the client's wallet | ${ton(wc.networkCost)} TON, ${int(wc.gas)} gas | ` +
            `< 0.04 TON ${mark(wc.networkCost < 40_000_000)} | |`,
    );
    L.push(
        `| — paid by the client (create, close) | ${ton(s.byPayer.client)} TON, plus the ${ton(matchFee)} TON match fee its deposit pays the keeper | | |`,
    );
    L.push(
        `| — paid by the keeper (match) | ${ton(s.byPayer.keeper)} TON; with the match fee from the order its wallet ends ` +
            `${signedTon(senderNet(match))} TON | | |`,
    );
    L.push(
        `| — paid by the provider (final external claim, out of the ${ton(s.paidToProvider)} TON it claims) | ` +
            `${ton(s.byPayer.provider)} TON | | |`,
    );
    L.push(
        `| further claim, external | ${ton(ext.networkCost)} TON, ${int(ext.gas)} gas | < 0.008 TON ${mark(sc.furtherClaim.meetsTarget)} | ` +
            `charge ${REFERENCE.charge.ton} TON, ${int(REFERENCE.charge.gas)} gas (ours ${vsRef(ext.networkCost, REFERENCE.charge.ton)}) |`,
    );
    L.push(
        `| further claim, internal via W5R1 | ${ton(viaWallet.networkCost)} TON, ${int(viaWallet.gas)} gas | ` +
            `< 0.008 TON ${mark(viaWallet.networkCost < 8_000_000)} | |`,
    );
    L.push(
        `| provider payout (OrderPayout: the earnings an Order holds to the Provider) | ${ton(payout.networkCost)} TON, ${int(payout.gas)} gas | | ` +
            `worker payout ${REFERENCE.payout.ton} TON, ${int(REFERENCE.payout.gas)} gas (ours ${vsRef(payout.networkCost, REFERENCE.payout.ton)}) |`,
    );
    L.push(
        `| provider withdrawal (withdrawEarnings: matured earnings of all orders to the wallet) | ${ton(withdraw.networkCost)} TON, ${int(withdraw.gas)} gas | | |`,
    );
    const lb = sc.lockedBeyondBudget;
    L.push(
        `| locked beyond budget | ${ton(lb.sentBeyondBudget)} TON sent beyond the 5 TON budget; ` +
            `${ton(lb.returnedAtSettlement)} TON of it returns at settlement | < 0.1 TON ${mark(lb.meetsTarget)} | ${REFERENCE.reserve} |`,
    );
    const h = sc.heaviestChain;
    const maxTx = Math.max(...Object.values(ops).map((o) => o.gasMaxTx));
    L.push(
        `| heaviest chain | ${h.operation}: ${int(h.gas)} gas (largest single transaction of any chain: ${int(maxTx)}) | ` +
            `≤ 30,000 gas per operation ${mark(h.overTarget.length === 0)} | |`,
    );
    L.push('');
    L.push(
        `Operations over 30,000 gas (whole chain, wallet included; ${h.overTarget.length} of ${Object.keys(ops).length}): ` +
            `${h.overTarget.join(', ') || 'none'}.`,
    );
    L.push('');
    L.push(
        `Order library storage (testnet/mainnet, paid by the Librarian's balance): ${lib.cells} cells, ${int(lib.bits)} bits ` +
            `at the sandbox config's masterchain prices (param 18: ${lib.mcBitPricePs} per bit, ${lib.mcCellPricePs} per cell, ` +
            `nanoTON per 2^16 s) = **${ton(lib.perDay)} TON per day** (${ton(lib.perDay * 365n, 1)} TON per year).`,
    );
    L.push('');
    L.push(
        report.findings.length === 0
            ? 'Findings of this run: none (every transaction of every chain succeeded).'
            : `Findings of this run:\n\n${report.findings.map((f) => `- ${f}`).join('\n')}`,
    );
    L.push(DOC_END);
    return L.join('\n');
}

/** Replaces the lines from DOC_BEGIN to DOC_END (each alone on its line, once) with `figures`. */
export function replaceFigures(doc: string, figures: string): string {
    const lines = doc.split('\n');
    const b =
        lines.filter((l) => l.trim() === DOC_BEGIN).length === 1 ? lines.findIndex((l) => l.trim() === DOC_BEGIN) : -1;
    const e =
        lines.filter((l) => l.trim() === DOC_END).length === 1 ? lines.findIndex((l) => l.trim() === DOC_END) : -1;
    if (b < 0 || e < b)
        throw new Error(`docs/GAS.md must hold one ${DOC_BEGIN} line and, after it, one ${DOC_END} line`);
    return [...lines.slice(0, b), figures, ...lines.slice(e + 1)].join('\n');
}

async function main() {
    const report = await measureAll();
    const root = join(__dirname, '..');
    const out = join(root, 'bench', 'results', 'gas.json');
    const options = (await prettier.resolveConfig(out)) ?? {};
    writeFileSync(out, await prettier.format(reportToJson(report), { ...options, filepath: out }));
    const docPath = join(root, 'docs', 'GAS.md');
    const figures = renderGasFigures(report, await libraryStorage());
    writeFileSync(docPath, replaceFigures(readFileSync(docPath, 'utf8'), figures));

    const rows = Object.entries(report.operations).map(([op, o]) => ({
        op,
        payer: o.payer,
        gas: o.gas,
        ours: o.gasContracts,
        txs: o.txs,
        costTon: fromNano(BigInt(o.networkCost)),
        attachedTon: fromNano(BigInt(o.attached)),
        returnedTon: fromNano(BigInt(o.returned)),
    }));
    console.table(rows);
    console.log(JSON.stringify(report.scenarios, null, 2));
    console.log(`wrote ${out} and the figures of ${docPath}`);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}

// Helpers for the contract audit tests (tests/contracts/*.test.ts): refusals with exact exit codes and
// unchanged state, snapshots of every getter, body parsing of notifications, a seeded PRNG.
import { BlockchainTransaction, SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import { Address, Cell, Dictionary, toNano } from '@ton/core';
import { Provider } from '../../wrappers/Provider';
import { Order } from '../../wrappers/Order';
import { bufferToUint256 } from '../../wrappers/formats/ed25519';
import { certToCell, AttestCert } from '../../wrappers/formats/certificate';
import { certSignatures, conserving, makeCert, Market, MODEL, OrderHandle, ProviderHandle } from './market';

export function addrBig(a: Address): bigint {
    return BigInt('0x' + a.hash.toString('hex'));
}

/** The transactions that ran on `to`. */
export function txsAt(txs: BlockchainTransaction[], to: Address): BlockchainTransaction[] {
    return txs.filter((t) => t.address === addrBig(to));
}

/** Exit code of the first transaction on `to` among `txs`; -1 when its compute phase was skipped. */
export function exitAt(txs: BlockchainTransaction[], to: Address): number | undefined {
    const tx = txsAt(txs, to)[0];
    if (!tx) return undefined;
    const d = tx.description;
    if (d.type !== 'generic') return undefined;
    return d.computePhase.type === 'vm' ? d.computePhase.exitCode : -1;
}

export function storageFees(txs: BlockchainTransaction[], at: Address): bigint {
    let s = 0n;
    for (const t of txsAt(txs, at)) {
        const d = t.description;
        if (d.type === 'generic' && d.storagePhase) s += d.storagePhase.storageFeesCollected;
    }
    return s;
}

/** Value of the internal messages from `from` to `to` among `txs` (as sent). */
export function sentValue(txs: BlockchainTransaction[], from: Address, to: Address, op?: number): bigint {
    let v = 0n;
    for (const t of txsAt(txs, from)) {
        for (const out of t.outMessages.values()) {
            if (out.info.type !== 'internal' || !out.info.dest.equals(to)) continue;
            if (op !== undefined && opOf(out.body) !== op) continue;
            v += out.info.value.coins;
        }
    }
    return v;
}

export function opOf(body: Cell): number | undefined {
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.loadUint(32) : undefined;
}

/** Bodies of the messages delivered to `to` with opcode `op`. */
export function bodiesTo(txs: BlockchainTransaction[], to: Address, op: number): Cell[] {
    return txsAt(txs, to)
        .map((t) => t.inMessage)
        .filter((msg) => msg && opOf(msg.body) === op)
        .map((msg) => msg!.body);
}

/** exitCode field of a MatchRefused / RegistrationRefused body (after op and query id). */
export function refusalCode(body: Cell, skipOrderId: boolean): number {
    const s = body.beginParse();
    s.loadUint(32);
    s.loadUintBig(64);
    if (skipOrderId) s.loadUintBig(64);
    return s.loadUint(16);
}

/** A JSON-comparable copy of getter results: bigints, addresses, cells, dictionaries and buffers normalised. */
export function plain(v: unknown): unknown {
    if (v === null || v === undefined) return v ?? null;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Address) return v.toRawString();
    if (v instanceof Cell) return v.hash().toString('hex');
    if (Buffer.isBuffer(v)) return v.toString('hex');
    if (v instanceof Dictionary) {
        return v
            .keys()
            .map((k) => [plain(k), plain(v.get(k))])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    }
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = plain(x);
        return out;
    }
    return v;
}

export async function registryState(m: Market) {
    return plain({
        data: await m.registry.getRegistryData(),
        measurements: await m.registry.getMeasurements(),
        book: await m.orderBook.getOrderBookData(),
    });
}

export async function providerState(p: SandboxContract<Provider>) {
    // withdrawable follows the balance, which storage fees move on any transaction: left out
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { withdrawable, ...data } = await p.getProviderData();
    return plain({ data, counters: await p.getCounters(), asks: await p.getAsks(), terms: await p.getProviderTerms() });
}

export async function orderState(o: SandboxContract<Order>) {
    return plain(await o.getOrderData());
}

/** Snapshot of every market getter a refusal must leave untouched. */
export async function marketState(m: Market, providers: ProviderHandle[] = [], orders: OrderHandle[] = []) {
    return {
        registry: await registryState(m),
        providers: await Promise.all(providers.map((p) => providerState(p.contract))),
        orders: await Promise.all(orders.map((o) => orderState(o.contract))),
    };
}

/**
 * Runs a message that must be refused: `target` exits with `code`, value is conserved across every
 * account, the refused contract's balance moves only by its storage fee, and `state()` reads the same after.
 */
export async function expectRefused(
    m: Market,
    target: Address,
    code: number,
    watch: Address[],
    state: () => Promise<unknown>,
    action: () => Promise<SendMessageResult | SendMessageResult[]>,
) {
    const before = await state();
    const res = await conserving(m, [target, ...watch], action);
    expect(exitAt(res.txs, target)).toBe(code);
    expect(res.deltas.get(target.toRawString()) ?? 0n).toBe(-storageFees(res.txs, target));
    expect(await state()).toEqual(before);
    return res;
}

/** Registration message for `owner` with an explicit cert and signature chain (no success expected). */
export function sendRegister(
    m: Market,
    owner: SandboxContract<TreasuryContract>,
    cert: AttestCert,
    signatures: Cell,
    opts: { stake?: bigint; value?: bigint; renewal?: boolean } = {},
) {
    const stake = opts.stake ?? toNano('2');
    return m.registry.send(
        owner.getSender(),
        { value: opts.value ?? stake + toNano('0.3') },
        {
            $$type: 'RegisterProvider',
            queryId: 0n,
            stake,
            renewal: opts.renewal ?? false,
            cert: certToCell(cert),
            signatures,
        },
    );
}

export { makeCert, certSignatures, bufferToUint256, MODEL };

/** mulberry32: a small seeded PRNG, so a failing random run replays from its printed seed. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A fixture built once per file and restored before each test (deploying a market takes about a second). */
export function snapshotFixture<T extends { m: Market }>(build: () => Promise<T>) {
    let fx: T | undefined;
    let snap: ReturnType<Market['blockchain']['snapshot']> | undefined;
    return async (): Promise<T> => {
        if (!fx) {
            fx = await build();
            snap = fx.m.blockchain.snapshot();
        } else {
            await fx.m.blockchain.loadFrom(snap!);
        }
        return fx;
    };
}

/** Contracts that only pass value on (mode 64) lose exactly their storage fee in a chain. */
export function expectOnlyStorage(res: { deltas: Map<string, bigint>; txs: BlockchainTransaction[] }, at: Address[]) {
    for (const a of at) expect(res.deltas.get(a.toRawString()) ?? 0n).toBe(-storageFees(res.txs, a));
}

/** An internal Claim of a signed receipt, sent by `from` (the provider's host by default). */
export function sendClaim(
    from: SandboxContract<TreasuryContract>,
    order: OrderHandle,
    signed: { receipt: Cell; signature: Buffer },
    final = false,
    value = toNano('0.05'),
) {
    return order.contract.send(
        from.getSender(),
        { value },
        { $$type: 'Claim', queryId: 0n, receipt: signed.receipt, signature: signed.signature, final },
    );
}

/** OrderPayout: anyone asks the Order to forward the provider's held earnings to the Provider. */
export function sendPayout(from: SandboxContract<TreasuryContract>, order: OrderHandle, value = toNano('0.05')) {
    return order.contract.send(from.getSender(), { value }, { $$type: 'OrderPayout', queryId: 0n });
}

/** Compute fee the transaction on `at` paid (the first one among `txs`). */
export function computeFee(txs: BlockchainTransaction[], at: Address): bigint {
    const d = txsAt(txs, at)[0].description;
    return d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
}

/**
 * The whole forwarding fee of a message from the part its info carries: the sender's action phase keeps the
 * first third (first_frac = 21845 / 2^16 on basechain) and the message carries the rest.
 */
export function fullForwardFee(remaining: bigint): bigint {
    for (let t = (remaining * 3n) / 2n - 3n; t <= (remaining * 3n) / 2n + 3n; t++) {
        if (t - (t * 21845n) / 65536n === remaining) return t;
    }
    throw new Error(`no forwarding fee leaves ${remaining}`);
}

/**
 * Value, whole forwarding fee (taken out of the value unless the sender paid it separately) and body of the
 * first internal message from `from` to `to`.
 */
export function sentMessage(
    txs: BlockchainTransaction[],
    from: Address,
    to: Address,
): { value: bigint; forwardFee: bigint; body: Cell } | undefined {
    for (const t of txsAt(txs, from)) {
        for (const out of t.outMessages.values()) {
            if (out.info.type === 'internal' && out.info.dest.equals(to))
                return { value: out.info.value.coins, forwardFee: fullForwardFee(out.info.forwardFee), body: out.body };
        }
    }
    return undefined;
}

export function sendOrderMsg(
    from: SandboxContract<TreasuryContract>,
    order: OrderHandle,
    type: 'Close' | 'Timeout' | 'TopUp',
    value = toNano('0.05'),
) {
    return order.contract.send(from.getSender(), { value }, { $$type: type, queryId: 0n });
}

export const modelId = () => bufferToUint256(MODEL);

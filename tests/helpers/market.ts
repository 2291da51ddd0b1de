import { Blockchain, BlockchainTransaction, SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import { Address, beginCell, Cell, toNano, Transaction } from '@ton/core';
import { createHash } from 'crypto';
import { Registry, Params } from '../../wrappers/Registry';
import { OrderBook } from '../../wrappers/OrderBook';
import { Order } from '../../wrappers/Order';
import { Provider } from '../../wrappers/Provider';
import { defaultParams } from '../../wrappers/params';
import { installMarketLibraries } from '../../market/libraries';
import { NETWORK_ID } from '../../wrappers/networks';
import {
    AttestCert,
    certToCell,
    signCert,
    signaturesToCell,
    VerifierSignature,
} from '../../wrappers/formats/certificate';
import { Ed25519KeyPair, bufferToUint256, newEd25519KeyPair } from '../../wrappers/formats/ed25519';
import { Receipt, receiptToCell, signReceipt, ZERO_HASH } from '../../wrappers/formats/receipt';

export const NETWORK = NETWORK_ID.localnet;
export const T0 = 1_800_000_000; // a fixed clock: every run sees the same times

/** Deterministic keys: a seeded test replays exactly. */
export function seededKeyPair(label: string): Ed25519KeyPair {
    return newEd25519KeyPair(createHash('sha256').update(`cocoon-test:${label}`).digest());
}

export function sha256(label: string): Buffer {
    return createHash('sha256').update(label).digest();
}

export const MEASUREMENT = sha256('measurement:simulated-image-v1');
export const MODEL = sha256('model:tiny.gguf');

export interface Market {
    blockchain: Blockchain;
    governance: SandboxContract<TreasuryContract>;
    treasury: SandboxContract<TreasuryContract>;
    registry: SandboxContract<Registry>;
    orderBook: SandboxContract<OrderBook>;
    verifiers: Ed25519KeyPair[];
    params: Params;
}

export interface MarketOptions {
    params?: Partial<Params>;
    verifierCount?: number;
}

export async function deployMarket(opts: MarketOptions = {}): Promise<Market> {
    const blockchain = await Blockchain.create();
    await installMarketLibraries(blockchain);
    blockchain.now = T0;
    const governance = await blockchain.treasury('governance');
    const treasury = await blockchain.treasury('treasury');
    const params: Params = { ...defaultParams('localnet', treasury.address), ...opts.params };
    const registry = blockchain.openContract(await Registry.fromInit(governance.address, BigInt(NETWORK), 0n));
    const setup = await registry.send(
        governance.getSender(),
        { value: toNano('1') },
        { $$type: 'Setup', queryId: 0n, params },
    );
    expectSuccess(setup, governance.address, registry.address);
    const orderBook = blockchain.openContract(OrderBook.fromAddress((await registry.getRegistryData()).orderBook));
    const verifiers: Ed25519KeyPair[] = [];
    for (let i = 0; i < (opts.verifierCount ?? 1); i++) {
        const kp = seededKeyPair(`verifier-${i}`);
        verifiers.push(kp);
        await registry.send(
            governance.getSender(),
            { value: toNano('0.05') },
            { $$type: 'AddVerifier', queryId: 0n, index: BigInt(i), publicKey: bufferToUint256(kp.publicKey) },
        );
    }
    await registry.send(
        governance.getSender(),
        { value: toNano('0.05') },
        {
            $$type: 'AddMeasurement',
            queryId: 0n,
            measurement: bufferToUint256(MEASUREMENT),
            expiresAt: BigInt(T0 + 30 * 86400),
        },
    );
    await registry.send(
        governance.getSender(),
        { value: toNano('0.1') },
        {
            $$type: 'AddModel',
            queryId: 0n,
            model: bufferToUint256(MODEL),
            metadata: beginCell().storeStringTail('tiny').endCell(),
        },
    );
    if (params.timelock > 0n) blockchain.now = T0 + Number(params.timelock);
    return { blockchain, governance, treasury, registry, orderBook, verifiers, params };
}

export function expectSuccess(r: SendMessageResult, from: Address, to: Address) {
    const tx = r.transactions.find(
        (t) =>
            t.inMessage?.info.src instanceof Address && t.inMessage.info.src.equals(from) && t.address === addrBig(to),
    );
    if (!tx) throw new Error(`no transaction from ${from} to ${to}`);
    const d = tx.description;
    if (d.type !== 'generic' || d.computePhase.type !== 'vm' || !d.computePhase.success || d.aborted) {
        const code = d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.exitCode : 'skipped';
        throw new Error(`transaction to ${to} failed: exit ${code}`);
    }
}

function addrBig(a: Address): bigint {
    return BigInt('0x' + a.hash.toString('hex'));
}

export interface ProviderHandle {
    owner: SandboxContract<TreasuryContract>;
    contract: SandboxContract<Provider>;
    enclave: Ed25519KeyPair;
    x25519: Buffer;
}

export function makeCert(
    m: Market,
    owner: Address,
    enclave: Ed25519KeyPair,
    over: Partial<AttestCert> = {},
): AttestCert {
    return {
        network: NETWORK,
        validUntil: (m.blockchain.now ?? T0) + 7200,
        tcbStatus: 0,
        quoteHash: sha256(`quote:${owner.toString()}`),
        registry: m.registry.address,
        provider: owner,
        ed25519Pub: enclave.publicKey,
        x25519Pub: sha256(`x25519:${owner.toString()}`),
        measurement: MEASUREMENT,
        ...over,
    };
}

export function certSignatures(m: Market, cert: AttestCert, indexes: number[] = [0]): Cell {
    const sigs: VerifierSignature[] = indexes.map((i) => ({
        index: i,
        signature: signCert(cert, m.verifiers[i].secretKey),
    }));
    return signaturesToCell(sigs);
}

export async function registerProvider(
    m: Market,
    name: string,
    opts: { stake?: bigint; priceIn?: bigint; priceOut?: bigint; capacity?: bigint } = {},
): Promise<ProviderHandle> {
    const owner = await m.blockchain.treasury(name);
    const enclave = seededKeyPair(`enclave:${name}`);
    const cert = makeCert(m, owner.address, enclave);
    const stake = opts.stake ?? toNano('2');
    const r = await m.registry.send(
        owner.getSender(),
        { value: stake + toNano('0.3') },
        {
            $$type: 'RegisterProvider',
            queryId: 0n,
            stake,
            renewal: false,
            cert: certToCell(cert),
            signatures: certSignatures(m, cert),
        },
    );
    expectSuccess(r, owner.address, m.registry.address);
    const contract = m.blockchain.openContract(
        Provider.fromAddress(await m.registry.getProviderAddress(owner.address)),
    );
    await contract.send(
        owner.getSender(),
        { value: toNano('0.05') },
        {
            $$type: 'SetAsk',
            queryId: 0n,
            model: bufferToUint256(MODEL),
            priceIn: opts.priceIn ?? 10n,
            priceOut: opts.priceOut ?? 20n,
        },
    );
    await contract.send(
        owner.getSender(),
        { value: toNano('0.05') },
        { $$type: 'SetCapacity', queryId: 0n, capacity: opts.capacity ?? 4n },
    );
    return { owner, contract, enclave, x25519: cert.x25519Pub };
}

export interface OrderHandle {
    id: bigint;
    client: SandboxContract<TreasuryContract>;
    clientKey: Ed25519KeyPair;
    contract: SandboxContract<Order>;
    result: SendMessageResult;
}

export interface OrderOptions {
    value?: bigint;
    maxPriceIn?: bigint;
    maxPriceOut?: bigint;
    matchWithin?: number;
    firstReceiptWindow?: number;
    life?: number;
    model?: Buffer;
    clientName?: string;
}

export async function createOrder(m: Market, opts: OrderOptions = {}): Promise<OrderHandle> {
    const client = await m.blockchain.treasury(opts.clientName ?? 'client');
    const clientKey = seededKeyPair(`client:${opts.clientName ?? 'client'}`);
    const id = (await m.orderBook.getOrderBookData()).nextOrderId;
    const now = m.blockchain.now ?? T0;
    const result = await m.orderBook.send(
        client.getSender(),
        { value: opts.value ?? toNano('5.05') },
        {
            $$type: 'CreateOrder',
            queryId: 0n,
            clientKey: bufferToUint256(clientKey.publicKey),
            model: bufferToUint256(opts.model ?? MODEL),
            maxPriceIn: opts.maxPriceIn ?? 10_000n,
            maxPriceOut: opts.maxPriceOut ?? 20_000n,
            matchBy: BigInt(now + (opts.matchWithin ?? 60)),
            firstReceiptWindow: BigInt(opts.firstReceiptWindow ?? 300),
            expiresAt: BigInt(now + (opts.life ?? 1800)),
        },
    );
    const contract = m.blockchain.openContract(Order.fromAddress(await m.orderBook.getOrderAddress(id)));
    return { id, client, clientKey, contract, result };
}

export async function matchOrder(
    m: Market,
    keeper: SandboxContract<TreasuryContract>,
    order: OrderHandle,
    provider: ProviderHandle,
    ask: { askIn?: bigint; askOut?: bigint; value?: bigint; model?: bigint; expiresAt?: bigint } = {},
): Promise<SendMessageResult> {
    // The keeper names the order's model and expiry (it indexes them); the Order refuses others.
    const data = ask.model === undefined || ask.expiresAt === undefined ? await order.contract.getOrderData() : null;
    return m.orderBook.send(
        keeper.getSender(),
        { value: ask.value ?? toNano('0.05') },
        {
            $$type: 'MatchOrder',
            queryId: 0n,
            orderId: order.id,
            provider: provider.owner.address,
            askIn: ask.askIn ?? 10_000n,
            askOut: ask.askOut ?? 20_000n,
            model: ask.model ?? data!.model,
            expiresAt: ask.expiresAt ?? data!.expiresAt,
        },
    );
}

export function receiptFor(
    m: Market,
    order: OrderHandle,
    fields: { seqno: number; tokensIn: bigint; tokensOut: bigint; requestHash?: Buffer; transcript?: Buffer },
    over: Partial<Receipt> = {},
): Receipt {
    return {
        network: NETWORK,
        registry: m.registry.address,
        order: order.contract.address,
        clientKey: order.clientKey.publicKey,
        model: MODEL,
        seqno: fields.seqno,
        requestHash: fields.requestHash ?? sha256(`request:${fields.seqno}`),
        tokensIn: fields.tokensIn,
        tokensOut: fields.tokensOut,
        transcript: fields.transcript ?? ZERO_HASH,
        ...over,
    };
}

export function signedReceipt(r: Receipt, key: Ed25519KeyPair): { receipt: Cell; signature: Buffer } {
    const { cell, signature } = signReceipt(r, key.secretKey);
    return { receipt: cell, signature };
}

export { receiptToCell };

/** Exit code of the transaction that processed a message to `to`, or undefined when there is none. */
export function exitCodeAt(r: SendMessageResult, to: Address): number | undefined {
    const tx = r.transactions.find((t) => t.address === addrBig(to));
    if (!tx) return undefined;
    const d = tx.description;
    if (d.type !== 'generic') return undefined;
    return d.computePhase.type === 'vm' ? d.computePhase.exitCode : -1;
}

/**
 * Value conservation over a whole chain of transactions: what every involved account gained or lost plus
 * every fee the network took adds up to zero, to the nanoton.
 */
export async function balances(m: Market, addresses: Address[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    for (const a of addresses) {
        out.set(a.toRawString(), (await m.blockchain.getContract(a)).balance);
    }
    return out;
}

export function networkCost(txs: (Transaction | BlockchainTransaction)[]): bigint {
    let total = 0n;
    for (const tx of txs) {
        total += tx.totalFees.coins;
        for (const out of tx.outMessages.values()) {
            if (out.info.type === 'internal') total += out.info.forwardFee;
        }
    }
    return total;
}

export function involvedAddresses(txs: (Transaction | BlockchainTransaction)[]): Address[] {
    const seen = new Map<string, Address>();
    for (const tx of txs) {
        const a = new Address(0, Buffer.from(tx.address.toString(16).padStart(64, '0'), 'hex'));
        seen.set(a.toRawString(), a);
    }
    return [...seen.values()];
}

/**
 * Runs `action`, then checks that the balances of `watch` (plus every account the chain touched) changed by
 * exactly minus the network's fees. Returns the per-account deltas for further exact assertions.
 */
export async function conserving(
    m: Market,
    watch: Address[],
    action: () => Promise<SendMessageResult | SendMessageResult[]>,
): Promise<{ deltas: Map<string, bigint>; fees: bigint; txs: BlockchainTransaction[] }> {
    const always = [m.registry.address, m.orderBook.address, m.governance.address, m.treasury.address];
    const watched = new Map<string, Address>([...watch, ...always].map((a) => [a.toRawString(), a]));
    const before = await balances(m, [...watched.values()]);
    const res = await action();
    const results = Array.isArray(res) ? res : [res];
    const txs = results.flatMap((r) => r.transactions);
    const all = new Map<string, Address>(watched);
    for (const a of involvedAddresses(txs)) {
        if (!before.has(a.toRawString())) {
            // Only an account created by this very chain may be missing from the watch list.
            const first = txs.find((t) => t.address === addrBig(a))!;
            if (first.oldStatus === 'active') throw new Error(`conservation check: ${a} is not watched`);
            before.set(a.toRawString(), 0n);
        }
        all.set(a.toRawString(), a);
    }
    const after = await balances(m, [...all.values()]);
    const deltas = new Map<string, bigint>();
    let sum = 0n;
    for (const [k, v] of after) {
        const d = v - (before.get(k) ?? 0n);
        deltas.set(k, d);
        sum += d;
    }
    const fees = networkCost(txs);
    if (sum + fees !== 0n) {
        throw new Error(`value not conserved: balances moved ${sum}, fees ${fees}, gap ${sum + fees} nanoTON`);
    }
    return { deltas, fees, txs };
}

/** The common starting point of the Order tests: provider 'p1' at 1000/2000 nanoTON per token, one order matched to it. */
export async function marketWithMatchedOrder() {
    const m = await deployMarket();
    const p = await registerProvider(m, 'p1', { priceIn: 1000n, priceOut: 2000n });
    const keeper = await m.blockchain.treasury('keeper');
    const order = await createOrder(m);
    await matchOrder(m, keeper, order, p);
    return { m, p, keeper, order };
}

/**
 * A real market on an in-process localnet, driven only through TonClient and W5R1 wallets (as a keeper,
 * worker or client would drive testnet): Registry deployed and set up by a governance wallet, the simulated
 * TDX image's measurement, a model and a test verifier key added with timelock 0, providers registered with
 * certificates signed by that verifier, asks set.
 */
import { Address, beginCell, Cell, internal, SendMode, StateInit, toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { createHash } from 'crypto';
import { startLocalnet, Localnet } from '../../localnet/server';
import { LocalnetWallet } from '../../localnet/wallets';
import {
    Params,
    storeCreateOrder,
    storeRegisterProvider,
    storeSetAsk,
    storeSetCapacity,
} from '../../wrappers/Registry';
import { NETWORK_ID } from '../../wrappers/networks';
import { AttestCert, certToCell, signCert, signaturesToCell } from '../../wrappers/formats/certificate';
import { bufferToUint256, Ed25519KeyPair, newEd25519KeyPair } from '../../wrappers/formats/ed25519';
import { computeMeasurement } from '../../attestation';
import { simulatedTdFields } from '../../attestation';
import { Chain } from '../../keeper/chain/chain';
import { CocoonTonClient } from '../../wrappers/tonClient';
import { deployMarket } from '../../market/deploy';
import { WalletSender } from '../../market/walletSender';

export const NETWORK = NETWORK_ID.localnet;
export const MODEL = createHash('sha256').update('model:tiny.gguf').digest();
/** The simulated TDX image's measurement: the verifier tests certify real simulated quotes against it. */
export const MEASUREMENT = computeMeasurement({ ...simulatedTdFields(), reportData: Buffer.alloc(64) } as never);

export function seededKeyPair(label: string): Ed25519KeyPair {
    return newEd25519KeyPair(createHash('sha256').update(`cocoon-keeper-test:${label}`).digest());
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export interface ProviderFixture {
    wallet: LocalnetWallet;
    address: Address;
    enclave: Ed25519KeyPair;
}

export interface MarketFixture {
    ln: Localnet;
    client: TonClient;
    chain: Chain;
    governance: LocalnetWallet;
    /** Wallets for keepers, providers and clients, beyond governance. */
    wallets: LocalnetWallet[];
    registry: Address;
    orderBook: Address;
    verifier: Ed25519KeyPair;
    params: Params;
    close(): Promise<void>;
}

/** One W5R1 transfer with one message; resolves when applied (localnet applies externals synchronously). */
export async function send(
    client: TonClient,
    wallet: LocalnetWallet,
    to: Address,
    value: bigint,
    body: Cell,
    init?: StateInit,
): Promise<void> {
    const opened = client.open(wallet.contract);
    const seqno = await opened.getSeqno();
    await opened.sendTransfer({
        seqno,
        secretKey: wallet.keyPair.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
        messages: [internal({ to, value, bounce: !init, body, init })],
    });
}

export async function startMarket(
    opts: { walletCount?: number; params?: Partial<Params> } = {},
): Promise<MarketFixture> {
    const ln = await startLocalnet({ walletCount: (opts.walletCount ?? 6) + 1, blockIntervalMs: 1000 });
    const client = new CocoonTonClient({ endpoint: ln.url });
    const [governance, ...wallets] = ln.wallets;
    const verifier = seededKeyPair('verifier-0');
    const d = await deployMarket({
        network: 'localnet',
        governance: await WalletSender.fromMnemonic(client, governance.mnemonic),
        salt: BigInt(Date.now() % 0xffffffff),
        params: opts.params,
        verifiers: [{ index: 0, publicKey: verifier.publicKey }],
        measurements: [{ hash: MEASUREMENT, expiresAt: nowSec() + 30 * 86400 }],
        models: [{ hash: MODEL, name: 'tiny' }],
    });
    const chain = new Chain(ln.url, { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 });
    const params = d.params;
    const reg = { address: d.registry };
    const data = { orderBook: d.orderBook };
    return {
        ln,
        client,
        chain,
        governance,
        wallets,
        registry: reg.address,
        orderBook: data.orderBook,
        verifier,
        params,
        close: () => ln.close(),
    };
}

export function certFor(m: MarketFixture, owner: Address, enclave: Ed25519KeyPair, x25519: Buffer): AttestCert {
    return {
        network: NETWORK,
        validUntil: nowSec() + 7200,
        tcbStatus: 0,
        quoteHash: createHash('sha256').update(`quote:${owner.toRawString()}`).digest(),
        registry: m.registry,
        provider: owner,
        ed25519Pub: enclave.publicKey,
        x25519Pub: x25519,
        measurement: MEASUREMENT,
    };
}

export async function registerProvider(
    m: MarketFixture,
    wallet: LocalnetWallet,
    opts: { priceIn?: bigint; priceOut?: bigint; capacity?: bigint } = {},
): Promise<ProviderFixture> {
    const enclave = seededKeyPair(`enclave:${wallet.contract.address.toRawString()}`);
    const x25519 = createHash('sha256').update(`x25519:${wallet.contract.address.toRawString()}`).digest();
    const cert = certFor(m, wallet.contract.address, enclave, x25519);
    const stake = toNano('1');
    const b = beginCell();
    storeRegisterProvider({
        $$type: 'RegisterProvider',
        queryId: 0n,
        stake,
        renewal: false,
        cert: certToCell(cert),
        signatures: signaturesToCell([{ index: 0, signature: signCert(cert, m.verifier.secretKey) }]),
    })(b);
    await send(m.client, wallet, m.registry, stake + toNano('0.3'), b.endCell());
    const address = await m.chain.providerAddress(m.registry, wallet.contract.address);
    if (!(await m.chain.providerData(address))) throw new Error('provider registration failed');
    await setAsk(m, wallet, address, opts.priceIn ?? 10n, opts.priceOut ?? 20n);
    const c = beginCell();
    storeSetCapacity({ $$type: 'SetCapacity', queryId: 0n, capacity: opts.capacity ?? 4n })(c);
    await send(m.client, wallet, address, toNano('0.05'), c.endCell());
    return { wallet, address, enclave };
}

export async function setAsk(
    m: MarketFixture,
    wallet: LocalnetWallet,
    provider: Address,
    priceIn: bigint,
    priceOut: bigint,
) {
    const b = beginCell();
    storeSetAsk({ $$type: 'SetAsk', queryId: 0n, model: bufferToUint256(MODEL), priceIn, priceOut })(b);
    await send(m.client, wallet, provider, toNano('0.05'), b.endCell());
}

export interface OrderOpts {
    maxPriceIn?: bigint;
    maxPriceOut?: bigint;
    matchWithin?: number;
    firstReceiptWindow?: number;
    life?: number;
    value?: bigint;
}

/** Creates an order and returns its id (the OrderBook's nextOrderId before the send). */
export async function createOrder(m: MarketFixture, wallet: LocalnetWallet, opts: OrderOpts = {}): Promise<bigint> {
    const id = (await m.chain.orderBookData(m.orderBook)).nextOrderId;
    const now = nowSec();
    const b = beginCell();
    storeCreateOrder({
        $$type: 'CreateOrder',
        queryId: 0n,
        clientKey: bufferToUint256(seededKeyPair(`client:${wallet.contract.address.toRawString()}`).publicKey),
        model: bufferToUint256(MODEL),
        maxPriceIn: opts.maxPriceIn ?? 1000n,
        maxPriceOut: opts.maxPriceOut ?? 2000n,
        matchBy: BigInt(now + (opts.matchWithin ?? 120)),
        firstReceiptWindow: BigInt(opts.firstReceiptWindow ?? 300),
        expiresAt: BigInt(now + (opts.life ?? 1200)),
    })(b);
    await send(m.client, wallet, m.orderBook, opts.value ?? toNano('0.5'), b.endCell());
    return id;
}

/**
 * An in-process localnet with the market deployed through TonClient, as a real deployment would do it:
 * governance (localnet wallet 0) deploys the Registry with Setup, allowlists the simulated TDX measurement
 * and the tiny model, and adds one verifier key (localnet params: timelock 0, so all of it is live at once).
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, beginCell, Cell, internal, SendMode, StateInit, toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { computeMeasurement, DevRoot, loadOrCreateDevRoot, simulatedTdFields } from '../../attestation';
import { Localnet, startLocalnet } from '../../localnet/server';
import { LocalnetWallet } from '../../localnet/wallets';
import { buildTinyModel } from '../../worker/inference/tinyModel';
import { LocalVerifier } from '../../worker/host/localVerifier';
import { NETWORK_ID } from '../../wrappers/networks';
import { OrderBook, storeCreateOrder, storeMatchOrder } from '../../wrappers/OrderBook';
import { Order } from '../../wrappers/Order';
import { Params } from '../../wrappers/Registry';
import { deployMarket } from '../../market/deploy';
import { WalletSender } from '../../market/walletSender';
import { bufferToUint256, Ed25519KeyPair, newEd25519KeyPair } from '../../wrappers/formats/ed25519';
import { createHash } from 'crypto';
import { CocoonTonClient } from '../../wrappers/tonClient';
import type { WorkerConfigInput } from '../../worker/host/config';

export const NETWORK = NETWORK_ID.localnet;

export interface MarketFixture {
    localnet: Localnet;
    client: TonClient;
    registry: Address;
    orderBook: Address;
    verifierKey: Ed25519KeyPair;
    devRoot: DevRoot;
    dataDir: string;
    modelPath: string;
    modelSha256: string;
    measurement: Buffer;
    wallets: LocalnetWallet[];
    send(w: LocalnetWallet, msgs: { to: Address; value: bigint; body: Cell; init?: StateInit }[]): Promise<void>;
    localVerifier(): LocalVerifier;
    close(): Promise<void>;
}

export async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await fn().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** `port`: a fixed localnet port (child processes reach the chain there); default any free port. */
/**
 * The worker config the localnet tests start from: simulated TEE, the fixture's tiny model at the given prices,
 * four slots, any free port, no background withdrawals, silent logs. `over` replaces whole top-level keys.
 */
export function workerConfigFor(
    f: MarketFixture,
    prices: { priceIn: bigint; priceOut: bigint },
    over: Partial<WorkerConfigInput> = {},
): WorkerConfigInput {
    return {
        network: 'localnet',
        endpoint: f.localnet.url,
        registry: f.registry.toString(),
        teeMode: 'simulated',
        dataDir: f.dataDir,
        models: [
            {
                path: f.modelPath,
                sha256: f.modelSha256,
                priceIn: prices.priceIn.toString(),
                priceOut: prices.priceOut.toString(),
            },
        ],
        capacity: 4,
        listen: { host: '127.0.0.1', port: 0 },
        stake: '2',
        withdrawIntervalMs: 0,
        logLevel: 'silent',
        ...over,
    };
}

export async function startMarket(opts: { port?: number; params?: Partial<Params> } = {}): Promise<MarketFixture> {
    const dataDir = mkdtempSync(join(tmpdir(), 'cocoon-worker-host-'));
    const modelPath = join(dataDir, 'tiny.gguf');
    const model = buildTinyModel();
    writeFileSync(modelPath, model);
    const modelSha256 = createHash('sha256').update(model).digest('hex');
    const [localnet, devRoot] = await Promise.all([
        startLocalnet({ port: opts.port ?? 0, walletCount: 4, blockIntervalMs: 500 }),
        loadOrCreateDevRoot(dataDir),
    ]);
    const client = new CocoonTonClient({ endpoint: localnet.url });
    const wallets = localnet.wallets;

    const send: MarketFixture['send'] = async (w, msgs) => {
        const opened = client.open(w.contract);
        const seqno = await opened.getSeqno();
        await opened.sendTransfer({
            seqno,
            secretKey: w.keyPair.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
            messages: msgs.map((m) => internal({ to: m.to, value: m.value, body: m.body, init: m.init, bounce: true })),
        });
        await waitUntil('wallet seqno', async () => (await opened.getSeqno()) > seqno);
    };

    const gov = wallets[0];
    const verifierKey = newEd25519KeyPair(createHash('sha256').update('worker-host-test-verifier').digest());
    const measurement = computeMeasurement(simulatedTdFields());
    const deployed = await deployMarket({
        network: 'localnet',
        governance: await WalletSender.fromMnemonic(client, gov.mnemonic),
        params: opts.params,
        verifiers: [{ index: 0, publicKey: verifierKey.publicKey }],
        measurements: [{ hash: measurement, expiresAt: Math.floor(Date.now() / 1000) + 30 * 86400 }],
        models: [{ hash: Buffer.from(modelSha256, 'hex'), name: 'tiny' }],
    });
    const params: Params = deployed.params;
    const registry = { address: deployed.registry };
    const orderBook = deployed.orderBook;
    return {
        localnet,
        client,
        registry: registry.address,
        orderBook,
        verifierKey,
        devRoot,
        dataDir,
        modelPath,
        modelSha256,
        measurement,
        wallets,
        send,
        localVerifier: () =>
            new LocalVerifier({
                index: 0,
                secretKey: verifierKey.secretKey,
                network: NETWORK,
                registry: registry.address,
                maxAttestAge: Number(params.maxAttestAge),
                devRoot,
            }),
        close: () => localnet.close(),
    };
}

/** A client creates an order (wallet `clientWallet`) and returns its address once deployed. */
export async function createOrder(
    f: MarketFixture,
    clientWallet: LocalnetWallet,
    clientKey: Buffer,
    opts: { maxPriceIn?: bigint; maxPriceOut?: bigint; value?: bigint } = {},
): Promise<Address> {
    const book = f.client.open(OrderBook.fromAddress(f.orderBook));
    const id = (await book.getOrderBookData()).nextOrderId;
    const now = Math.floor(Date.now() / 1000);
    const body = beginCell()
        .store(
            storeCreateOrder({
                $$type: 'CreateOrder',
                queryId: 0n,
                clientKey: bufferToUint256(clientKey),
                model: BigInt('0x' + f.modelSha256),
                maxPriceIn: opts.maxPriceIn ?? 1_000_000n,
                maxPriceOut: opts.maxPriceOut ?? 1_000_000n,
                matchBy: BigInt(now + 120),
                firstReceiptWindow: 600n,
                expiresAt: BigInt(now + 1800),
            }),
        )
        .endCell();
    await f.send(clientWallet, [{ to: f.orderBook, value: opts.value ?? toNano('1'), body }]);
    const address = await book.getOrderAddress(id);
    const order = f.client.open(Order.fromAddress(address));
    await waitUntil('order open', async () => Number(await order.getState()) === 0);
    return address;
}

/** A keeper matches the order to `providerWallet` at the given ask. */
export async function matchOrder(
    f: MarketFixture,
    keeper: LocalnetWallet,
    order: Address,
    providerWallet: Address,
    ask: { askIn: bigint; askOut: bigint },
): Promise<number> {
    const o = f.client.open(Order.fromAddress(order));
    const { id, model, expiresAt } = await o.getOrderData();
    const body = beginCell()
        .store(
            storeMatchOrder({
                $$type: 'MatchOrder',
                queryId: 0n,
                orderId: id,
                provider: providerWallet,
                ...ask,
                model,
                expiresAt,
            }),
        )
        .endCell();
    await f.send(keeper, [{ to: f.orderBook, value: toNano('0.05'), body }]);
    let state = -1;
    await waitUntil('match settles', async () => {
        state = Number(await o.getState());
        return state !== 0 && state !== 1;
    });
    return state;
}

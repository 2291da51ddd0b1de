/**
 * The worker host's view of the chain: a TonClient, the provider's W5R1 wallet, the Registry / Provider /
 * Order getters, registration through k verifiers, offers (asks, capacity, endpoint), key pushes, claims and
 * withdrawals. Every network call retries with exponential backoff; wallet sends are serialized and wait
 * for the wallet's seqno to move.
 */
import { Address, beginCell, Cell, internal, SendMode, StateInit, toNano } from '@ton/core';
import { mnemonicToWalletKey } from '@ton/crypto';
import { TonClient, WalletContractV5R1 } from '@ton/ton';
import type { Logger } from 'pino';
import { Gas } from '../../wrappers/Constants';
import { NetworkName, NETWORK_ID } from '../../wrappers/networks';
import { Order, OrderData, storeClaim, storeExternalClaim, storeOrderPayout, storeTimeout } from '../../wrappers/Order';
import {
    Provider,
    ProviderData,
    storePushKey,
    storeSetAsk,
    storeSetCapacity,
    storeSetEndpoint,
} from '../../wrappers/Provider';
import { Params, Registry, storeRegisterProvider } from '../../wrappers/Registry';
import { storeWithdrawEarnings } from '../../wrappers/Provider';
import { AttestCert, certToCell, signaturesToCell } from '../../wrappers/formats/certificate';
import { bufferToUint256, uint256ToBuffer } from '../../wrappers/formats/ed25519';
import type { Enclave } from '../enclave/enclave';
import { checkVerifyResponse, Verifier, VerifyRequest } from './verifierClient';
import { CocoonTonClient } from '../../wrappers/tonClient';

export interface OutMessage {
    to: Address;
    value: bigint;
    body: Cell;
    init?: StateInit;
    bounce?: boolean;
}

export interface ChainOptions {
    endpoint: string;
    apiKey?: string;
    network: NetworkName;
    registry: Address;
    mnemonic: string[];
    logger: Logger;
    /** Attempts per network call (default 5) and the first backoff, ms (default 250, doubling). */
    retries?: number;
    backoffMs?: number;
    /** How long to wait for a wallet send or its effect, ms (default 60,000). */
    confirmTimeoutMs?: number;
}

export interface Registration {
    cert: AttestCert;
    nonce: Buffer;
    quote: Buffer;
    renewal: boolean;
    verifiers: number[];
    provider: ProviderData;
}

export const nowSec = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChainClient {
    readonly client: TonClient;
    readonly network: NetworkName;
    readonly registry: Address;
    private wallet!: WalletContractV5R1;
    private secretKey!: Buffer;
    private providerAddr?: Address;
    private sendQueue: Promise<unknown> = Promise.resolve();

    private constructor(private readonly opts: ChainOptions) {
        this.client = new CocoonTonClient({ endpoint: opts.endpoint, apiKey: opts.apiKey });
        this.network = opts.network;
        this.registry = opts.registry;
    }

    static async create(opts: ChainOptions): Promise<ChainClient> {
        const c = new ChainClient(opts);
        const key = await mnemonicToWalletKey(opts.mnemonic);
        c.secretKey = key.secretKey;
        c.wallet = WalletContractV5R1.create({
            workchain: 0,
            publicKey: key.publicKey,
            ...(opts.network === 'testnet' ? { walletId: { networkGlobalId: NETWORK_ID.testnet } } : {}),
        });
        return c;
    }

    get walletAddress(): Address {
        return this.wallet.address;
    }

    private get log(): Logger {
        return this.opts.logger;
    }

    async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
        const attempts = this.opts.retries ?? 5;
        let delay = this.opts.backoffMs ?? 250;
        for (let i = 1; ; i++) {
            try {
                return await fn();
            } catch (e) {
                if (i >= attempts) throw e;
                this.log.warn({ what, attempt: i, err: (e as Error).message }, 'chain call failed, retrying');
                await sleep(delay);
                delay = Math.min(delay * 2, 10_000);
            }
        }
    }

    registryContract() {
        return this.client.open(Registry.fromAddress(this.registry));
    }

    orderContract(order: Address) {
        return this.client.open(Order.fromAddress(order));
    }

    /** The latest masterchain block's root hash: the attestation nonce verifiers check for freshness. */
    async masterchainNonce(): Promise<Buffer> {
        return this.retry('getMasterchainInfo', async () => {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (this.opts.apiKey) headers['X-API-Key'] = this.opts.apiKey;
            const res = await fetch(this.opts.endpoint, {
                method: 'POST',
                headers,
                body: JSON.stringify({ id: '1', jsonrpc: '2.0', method: 'getMasterchainInfo', params: {} }),
            });
            const body = (await res.json()) as { ok?: boolean; result?: { last?: { root_hash?: string } } };
            const hash = body.result?.last?.root_hash;
            if (!res.ok || !hash) throw new Error(`getMasterchainInfo: HTTP ${res.status}`);
            const nonce = Buffer.from(hash, 'base64');
            if (nonce.length !== 32) throw new Error('getMasterchainInfo: root_hash is not 32 bytes');
            return nonce;
        });
    }

    async registryParams(): Promise<Params> {
        return this.retry('getRegistryData', async () => (await this.registryContract().getRegistryData()).params);
    }

    async providerAddress(): Promise<Address> {
        if (!this.providerAddr) {
            this.providerAddr = await this.retry('getProviderAddress', () =>
                this.registryContract().getProviderAddress(this.walletAddress),
            );
        }
        return this.providerAddr;
    }

    async isDeployed(a: Address): Promise<boolean> {
        return this.retry('getContractState', async () => (await this.client.getContractState(a)).state === 'active');
    }

    /** The Provider's getters, or null while it is not deployed. */
    async providerData(): Promise<ProviderData | null> {
        const a = await this.providerAddress();
        if (!(await this.isDeployed(a))) return null;
        return this.retry('getProviderData', () => this.client.open(Provider.fromAddress(a)).getProviderData());
    }

    async orderData(order: Address): Promise<OrderData | null> {
        if (!(await this.isDeployed(order))) return null;
        return this.retry('getOrderData', () => this.orderContract(order).getOrderData());
    }

    async orderConfig(order: Address) {
        return this.retry('getOrderConfig', () => this.orderContract(order).getOrderConfig());
    }

    async walletBalance(): Promise<bigint> {
        return this.retry('getBalance', () => this.client.getBalance(this.walletAddress));
    }

    /** Sends messages from the provider wallet in one transfer and waits until the wallet's seqno moves. */
    async send(messages: OutMessage[], what: string): Promise<void> {
        const run = async () => {
            const w = this.client.open(this.wallet);
            const seqno = await this.retry('getSeqno', () => w.getSeqno());
            await this.retry(`send ${what}`, async () => {
                // A retry after a lost answer: the first attempt may have landed (the seqno moved). Resending
                // the same seqno is refused by the wallet, so every retry failed and the send was reported
                // failed although applied (found by tests/faults with an endpoint that loses answers).
                if ((await w.getSeqno()) > seqno) return;
                await w.sendTransfer({
                    seqno,
                    secretKey: this.secretKey,
                    sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
                    messages: messages.map((m) =>
                        internal({ to: m.to, value: m.value, body: m.body, init: m.init, bounce: m.bounce ?? true }),
                    ),
                });
            });
            await this.waitFor(`${what} (wallet seqno ${seqno})`, async () => (await w.getSeqno()) > seqno);
            this.log.info({ what, messages: messages.length }, 'wallet transfer confirmed');
        };
        const p = this.sendQueue.then(run, run);
        this.sendQueue = p.catch(() => undefined);
        return p;
    }

    async waitFor(what: string, done: () => Promise<boolean>, timeoutMs = this.opts.confirmTimeoutMs ?? 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            try {
                if (await done()) return;
            } catch (e) {
                this.log.debug({ what, err: (e as Error).message }, 'waiting');
            }
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await sleep(this.opts.network === 'localnet' ? 100 : 1500);
        }
    }

    /**
     * Registers (or renews) the Provider: a quote bound to a fresh masterchain block hash, k verifier
     * signatures over one certificate, RegisterProvider through the Registry; waits until the Provider holds
     * this enclave's key.
     */
    async register(enclave: Enclave, verifiers: Verifier[], stake: bigint): Promise<Registration> {
        const params = await this.registryParams();
        const k = Number(params.verifierK);
        if (verifiers.length < k)
            throw new Error(`the Registry needs ${k} verifier signatures; ${verifiers.length} configured`);
        const nonce = await this.masterchainNonce();
        const att = await enclave.attest(nonce);
        const validUntil = nowSec() + Number(params.maxAttestAge);
        const req: VerifyRequest = {
            quote: att.quote.toString('hex'),
            ed25519Pub: att.ed25519Pub.toString('hex'),
            x25519Pub: att.x25519Pub.toString('hex'),
            provider: this.walletAddress.toRawString(),
            nonce: nonce.toString('hex'),
            validUntil,
        };
        const expected = {
            network: NETWORK_ID[this.network],
            registry: this.registry,
            provider: this.walletAddress,
            ed25519Pub: att.ed25519Pub,
            x25519Pub: att.x25519Pub,
        };
        const answers = await Promise.allSettled(
            verifiers.map(async (v) => {
                const res = await v.verify(req);
                const key = await this.verifierKey(res.index);
                return {
                    index: res.index,
                    signature: Buffer.from(res.signature, 'hex'),
                    cert: checkVerifyResponse(res, expected, key, v.name),
                };
            }),
        );
        const groups = new Map<string, { cert: AttestCert; sigs: Map<number, Buffer> }>();
        const refusals: string[] = [];
        answers.forEach((a, i) => {
            if (a.status === 'rejected') {
                refusals.push((a.reason as Error).message);
                this.log.warn({ verifier: verifiers[i].name, err: (a.reason as Error).message }, 'verifier refused');
                return;
            }
            const h = certToCell(a.value.cert).hash().toString('hex');
            const g = groups.get(h) ?? { cert: a.value.cert, sigs: new Map() };
            g.sigs.set(a.value.index, a.value.signature);
            groups.set(h, g);
        });
        const best = [...groups.values()].sort((a, b) => b.sigs.size - a.sigs.size)[0];
        if (!best || best.sigs.size < k) {
            throw new Error(
                `registration needs ${k} matching verifier signatures, got ${best?.sigs.size ?? 0}` +
                    (refusals.length ? ` (${refusals.join('; ')})` : ''),
            );
        }
        const sigs = [...best.sigs].sort((a, b) => a[0] - b[0]).slice(0, k);
        const providerAddr = await this.providerAddress();
        const renewal = (await this.isDeployed(providerAddr))
            ? await this.retry('getRegistered', () =>
                  this.client.open(Provider.fromAddress(providerAddr)).getRegistered(),
              )
            : false;
        const sentStake = renewal ? 0n : stake;
        const body = beginCell()
            .store(
                storeRegisterProvider({
                    $$type: 'RegisterProvider',
                    queryId: BigInt(Date.now()),
                    stake: sentStake,
                    renewal,
                    cert: certToCell(best.cert),
                    signatures: signaturesToCell(sigs.map(([index, signature]) => ({ index, signature }))),
                }),
            )
            .endCell();
        await this.send(
            [{ to: this.registry, value: sentStake + Gas.REGISTER_GAS + toNano('0.05'), body }],
            renewal ? 'renew attestation' : 'register provider',
        );
        const key = bufferToUint256(att.ed25519Pub);
        let provider: ProviderData | null = null;
        await this.waitFor('the Provider to hold the new enclave key', async () => {
            provider = await this.providerData();
            return provider !== null && provider.enclaveKey === key;
        });
        return {
            cert: best.cert,
            nonce,
            quote: att.quote,
            renewal,
            verifiers: sigs.map((s) => s[0]),
            provider: provider!,
        };
    }

    /**
     * A verifier's key from the Registry, to check its signature before spending gas on a registration the
     * Registry would refuse; undefined when the getter cannot be read (the Registry still checks on-chain).
     */
    async verifierKey(index: number): Promise<Buffer | undefined> {
        try {
            const entry = await this.registryContract().getVerifier(BigInt(index));
            return entry ? uint256ToBuffer(entry.publicKey) : undefined;
        } catch (e) {
            this.log.warn(
                { index, err: (e as Error).message },
                'cannot read the verifier key; the Registry will check',
            );
            return undefined;
        }
    }

    /** Publishes asks, capacity and endpoint where they differ from what the Provider holds (one transfer). */
    async configureOffers(
        models: { sha256: Buffer; priceIn: bigint; priceOut: bigint }[],
        capacity: number,
        endpoint: string,
    ): Promise<void> {
        const addr = await this.providerAddress();
        const p = this.client.open(Provider.fromAddress(addr));
        const data = await this.retry('getProviderData', () => p.getProviderData());
        const msgs: OutMessage[] = [];
        const value = toNano('0.05');
        // The whole map (one cell) rather than getAsk: optional-struct getters do not decode through every
        // toncenter implementation (localnet returns them as nested tuples).
        const asks = await this.retry('getAsks', () => p.getAsks());
        for (const m of models) {
            const model = bufferToUint256(m.sha256);
            const ask = asks.get(model);
            const current =
                ask && ask.nextAt !== 0n
                    ? { i: ask.nextIn, o: ask.nextOut }
                    : ask
                      ? { i: ask.priceIn, o: ask.priceOut }
                      : null;
            if (!current || current.i !== m.priceIn || current.o !== m.priceOut) {
                const body = beginCell()
                    .store(
                        storeSetAsk({ $$type: 'SetAsk', queryId: 0n, model, priceIn: m.priceIn, priceOut: m.priceOut }),
                    )
                    .endCell();
                msgs.push({ to: addr, value, body });
            }
        }
        if (Number(data.capacity) !== capacity) {
            const body = beginCell()
                .store(storeSetCapacity({ $$type: 'SetCapacity', queryId: 0n, capacity: BigInt(capacity) }))
                .endCell();
            msgs.push({ to: addr, value, body });
        }
        if (data.endpoint !== endpoint) {
            const body = beginCell()
                .store(storeSetEndpoint({ $$type: 'SetEndpoint', queryId: 0n, endpoint }))
                .endCell();
            msgs.push({ to: addr, value, body });
        }
        if (msgs.length === 0) return;
        await this.send(msgs, 'set asks, capacity and endpoint');
        await this.waitFor('offers on the Provider', async () => {
            const d = await p.getProviderData();
            return Number(d.capacity) === capacity && d.endpoint === endpoint;
        });
    }

    /** After a restart with new enclave keys: each live order learns the key (PushKey through the Provider). */
    async pushKey(orderIds: bigint[]): Promise<void> {
        if (orderIds.length === 0) return;
        const addr = await this.providerAddress();
        const msgs = orderIds.map((orderId) => ({
            to: addr,
            value: toNano('0.03'),
            body: beginCell()
                .store(storePushKey({ $$type: 'PushKey', queryId: 0n, orderId }))
                .endCell(),
        }));
        for (let i = 0; i < msgs.length; i += 200) await this.send(msgs.slice(i, i + 200), 'push enclave key');
    }

    async withdrawEarnings(): Promise<void> {
        const addr = await this.providerAddress();
        const body = beginCell()
            .store(storeWithdrawEarnings({ $$type: 'WithdrawEarnings', queryId: 0n }))
            .endCell();
        await this.send([{ to: addr, value: toNano('0.05'), body }], 'withdraw earnings');
    }

    async claimInternal(order: Address, receipt: Cell, signature: Buffer, final: boolean): Promise<void> {
        const body = beginCell()
            .store(
                storeClaim({
                    $$type: 'Claim',
                    queryId: 0n,
                    receipt,
                    signature,
                    final,
                }),
            )
            .endCell();
        await this.send([{ to: order, value: Gas.CLAIM_GAS, body }], 'claim');
    }

    /**
     * OrderPayout from the wallet: the Order forwards the provider's held earnings to the Provider in one payment;
     * PAYOUT_GAS pays the Order's and the Provider's gas and what is left joins the earnings.
     */
    async requestPayout(order: Address): Promise<void> {
        const body = beginCell()
            .store(storeOrderPayout({ $$type: 'OrderPayout', queryId: 0n }))
            .endCell();
        await this.send([{ to: order, value: Gas.PAYOUT_GAS, body }], 'payout');
    }

    /** Timeout from the wallet: settles an order past its deadline (CLOSE_GAS; what gas leaves goes to the client). */
    async sendTimeout(order: Address): Promise<void> {
        const body = beginCell()
            .store(storeTimeout({ $$type: 'Timeout', queryId: 0n }))
            .endCell();
        await this.send([{ to: order, value: Gas.CLOSE_GAS, body }], 'timeout');
    }

    /** The claim as an external-in message to the Order: authenticated by the enclave signature, no wallet. */
    async claimExternal(order: Address, receipt: Cell, signature: Buffer, final: boolean): Promise<void> {
        const body = beginCell()
            .store(
                storeExternalClaim({
                    $$type: 'ExternalClaim',
                    receipt,
                    signature,
                    final,
                }),
            )
            .endCell();
        await this.client.sendExternalMessage(Order.fromAddress(order), body);
    }
}

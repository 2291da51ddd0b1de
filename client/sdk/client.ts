import { Address, beginCell, Cell } from '@ton/core';
import { TonClient } from '@ton/ton';
import { randomBytes } from 'crypto';
import { KeyPair, mnemonicToWalletKey } from '@ton/crypto';
import {
    storeClose,
    storeCreateOrder,
    storeDispute,
    storeExternalClose,
    storeTimeout,
    storeTopUp,
} from '../../wrappers/OrderBook';
import { signCloseRequest } from '../../wrappers/formats/close';
import type { OrderData } from '../../wrappers/Order';
import { Gas, ORDER_STATE_NAMES, OrderState } from '../../wrappers/Constants';
import { bufferToUint256, newEd25519KeyPair, uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { NETWORK_ID, NetworkName } from '../../wrappers/networks';
import { AttestationDoc, TrustConfig, verifyAttestation, VerifiedProvider } from './attestation';
import { ChainAccess, sleep } from './chain';
import { ClientError } from './errors';
import { AcceptedReceipt, openReply, PreparedRequest, prepareRequest, PromptInput, SessionTerms } from './protocol';
import { SessionData, SessionStore, toStoredReceipt } from './session';
import { fetchAttestation, postRequest, RequestBody, RequestReply } from './workerApi';
import { receiptFromCell } from '../../wrappers/formats/receipt';
import { requestFromCell } from '../../wrappers/formats/request';
import { CocoonTonClient } from '../../wrappers/tonClient';

/**
 * How a buyer uses the market: escrow a budget in an Order, wait for a keeper to match it, check the matched
 * provider's attestation against the chain, then ask any number of questions over end-to-end encryption,
 * accepting only receipts the enclave signed for exactly this session; close to get the rest back.
 */
export interface CocoonClientOptions {
    tonClient?: TonClient;
    endpoint?: string;
    /** W5R1 wallet: a mnemonic or a key pair. */
    wallet: { mnemonic: string[] } | { keyPair: KeyPair };
    registry: Address | string;
    network: NetworkName;
    trust: TrustConfig;
    /** Sessions (order, secret key, receipts) live here. */
    dataDir: string;
    /** Close the order when its worker cannot be reached (default true). */
    closeOnUnreachable?: boolean;
    pollMs?: number;
    sendTimeoutMs?: number;
    /** Override the endpoint recorded on the Provider contract (e.g. a local tunnel). */
    workerEndpoint?: string;
    /** Posts of the same request after a network error or timeout (default 3), backoff doubling from 500 ms. */
    askRetries?: number;
    askRetryBaseMs?: number;
    /** Timeout of one request post, ms (default 300 000). */
    requestTimeoutMs?: number;
}

export interface CreateOrderArgs {
    model: string; // sha256 of the GGUF file, hex
    budget: bigint; // nanoTON
    maxPriceIn: bigint; // nanoTON per input token
    maxPriceOut: bigint;
    matchWithinS?: number;
    firstReceiptWindowS?: number;
    lifeS?: number;
}

export type OrderRef = Address | string;

export interface AskOptions {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    seed?: number;
    /** Cap on this request's cost; the signed cumulative cap is what was spent so far plus this (≤ budget). */
    maxCost?: bigint;
}

export interface AskResult {
    text: string;
    finishReason: string;
    tokensIn: number;
    tokensOut: number;
    cost: bigint;
    totalCost: bigint;
    receipt: AcceptedReceipt;
}

export interface Settlement {
    state: string;
    refund: bigint; // value of the OrderRefund message
    balanceDelta: bigint; // wallet balance after settlement minus before the close (gas included)
    paid: bigint; // what the order paid the provider
}

export class CocoonClient {
    readonly network: NetworkName;
    readonly networkId: number;
    readonly registry: Address;
    readonly store: SessionStore;
    private constructor(
        readonly chain: ChainAccess,
        private readonly opts: CocoonClientOptions,
    ) {
        this.network = opts.network;
        this.networkId = NETWORK_ID[opts.network];
        this.registry = typeof opts.registry === 'string' ? Address.parse(opts.registry) : opts.registry;
        this.store = new SessionStore(opts.dataDir);
    }

    static async create(opts: CocoonClientOptions): Promise<CocoonClient> {
        if (!opts.tonClient && !opts.endpoint) throw new ClientError('CONFIG_INVALID', 'give tonClient or endpoint');
        if (!(opts.network in NETWORK_ID)) throw new ClientError('CONFIG_INVALID', `unknown network ${opts.network}`);
        const ton = opts.tonClient ?? new CocoonTonClient({ endpoint: opts.endpoint!, timeout: 15_000 });
        const keyPair =
            'keyPair' in opts.wallet ? opts.wallet.keyPair : await mnemonicToWalletKey(opts.wallet.mnemonic);
        return new CocoonClient(
            new ChainAccess(ton, keyPair, { pollMs: opts.pollMs, sendTimeoutMs: opts.sendTimeoutMs }),
            opts,
        );
    }

    get walletAddress(): Address {
        return this.chain.address;
    }

    /** How long an accepted ExternalClose may take to show in the Order's state. */
    private get closeWaitMs(): number {
        return this.opts.sendTimeoutMs ?? 90_000;
    }

    private get pollMs(): number {
        return this.opts.pollMs ?? 500;
    }

    async orderBook(): Promise<Address> {
        return this.chain.orderBookAddress(this.registry);
    }

    // ------------------------------------------------------------ orders

    async createOrder(args: CreateOrderArgs): Promise<SessionData> {
        const model = Buffer.from(args.model.replace(/^0x/, ''), 'hex');
        if (model.length !== 32) throw new ClientError('CONFIG_INVALID', 'model must be a sha256 (64 hex digits)');
        const book = await this.orderBook();
        const data = await this.chain.orderBookData(book);
        const { config } = data;
        if (!data.configured || config.paused)
            throw new ClientError('BAD_STATE', 'the order book is paused or not set up');
        if (args.budget < config.minBudget) {
            throw new ClientError('BUDGET_TOO_SMALL', `budget ${args.budget} < minimum ${config.minBudget} nanoTON`);
        }
        const activatesAt = await this.chain.modelActivatesAt(book, bufferToUint256(model));
        const now = Math.floor(Date.now() / 1000);
        if (activatesAt === 0n || Number(activatesAt) > now) {
            throw new ClientError('MODEL_NOT_ALLOWED', `model ${args.model} is not on the allowlist (yet)`);
        }
        const value = args.budget + config.matchFee + Gas.ORDER_STORAGE_RESERVE + Gas.CREATE_ORDER_GAS;
        const balance = await this.chain.balance();
        if (balance < value + Gas.PROVIDER_OP_GAS) {
            throw new ClientError('BUDGET_TOO_SMALL', `wallet holds ${balance} nanoTON, the order needs ${value}`);
        }
        const life = args.lifeS ?? 1800;
        const matchBy = now + (args.matchWithinS ?? 60);
        const expiresAt = now + Math.min(life, Number(config.maxOrderLife));
        const key = newEd25519KeyPair(); // fresh per order; only its public key ever leaves this process
        const id = data.nextOrderId;
        const predicted = await this.chain.orderAddress(book, id);
        this.store.saveKey(predicted, key.secretKey);
        const body = beginCell()
            .store(
                storeCreateOrder({
                    $$type: 'CreateOrder',
                    queryId: BigInt(now),
                    clientKey: bufferToUint256(key.publicKey),
                    model: bufferToUint256(model),
                    maxPriceIn: args.maxPriceIn,
                    maxPriceOut: args.maxPriceOut,
                    matchBy: BigInt(matchBy),
                    firstReceiptWindow: BigInt(args.firstReceiptWindowS ?? 300),
                    expiresAt: BigInt(expiresAt),
                }),
            )
            .endCell();
        await this.chain.send(book, value, body, 'CreateOrder');
        // Another client may have taken this id in the same block: find ours by its client and key.
        const { address, id: realId, order } = await this.findOwnOrder(book, id, key.publicKey);
        if (!address.equals(predicted)) {
            this.store.saveKey(address, key.secretKey);
        }
        if (order.state === BigInt(OrderState.EXPIRED)) {
            throw new ClientError('BUDGET_TOO_SMALL', 'the order was refunded at creation: budget below the minimum');
        }
        const session: SessionData = {
            version: 1,
            network: this.networkId,
            registry: this.registry.toString(),
            orderBook: book.toString(),
            order: address.toString(),
            orderId: realId.toString(),
            model: model.toString('hex'),
            clientKey: key.publicKey.toString('hex'),
            budget: order.budget.toString(),
            createdAt: now,
            matchBy,
            expiresAt,
            receipts: [],
        };
        this.store.save(session);
        return session;
    }

    private async findOwnOrder(
        book: Address,
        firstId: bigint,
        clientKey: Buffer,
    ): Promise<{ address: Address; id: bigint; order: OrderData }> {
        const deadline = Date.now() + (this.opts.sendTimeoutMs ?? 90_000);
        const want = bufferToUint256(clientKey);
        for (;;) {
            const next = (await this.chain.orderBookData(book)).nextOrderId;
            for (let id = firstId; id < next; id++) {
                const address = await this.chain.orderAddress(book, id);
                const order = await this.chain.orderData(address);
                if (order && order.clientKey === want && order.client.equals(this.walletAddress)) {
                    return { address, id, order };
                }
            }
            if (Date.now() > deadline) throw new ClientError('TIMEOUT', 'the new order did not appear on-chain');
            await sleep(this.pollMs);
        }
    }

    session(order: OrderRef): SessionData {
        const s = this.store.load(order);
        if (!s) throw new ClientError('ORDER_NOT_FOUND', `no session for order ${order.toString()} in the data dir`);
        return s;
    }

    async orderData(order: OrderRef): Promise<OrderData> {
        const d = await this.chain.orderData(toAddress(order));
        if (!d) throw new ClientError('ORDER_NOT_FOUND', `order ${order.toString()} is not deployed`);
        return d;
    }

    /** Waits for the match; at the deadline an unmatched order is closed (refunded) and NO_PROVIDER thrown. */
    async waitForMatch(order: OrderRef, timeoutMs = 60_000): Promise<OrderData> {
        const s = this.session(order);
        const deadline = Math.min(Date.now() + timeoutMs, (s.matchBy + 1) * 1000);
        for (;;) {
            const d = await this.orderData(order);
            const state = Number(d.state);
            if (state === OrderState.MATCHED) {
                s.priceIn = d.priceIn.toString();
                s.priceOut = d.priceOut.toString();
                this.store.save(s);
                return d;
            }
            if (state !== OrderState.OPEN) {
                throw new ClientError('NO_PROVIDER', `order is ${ORDER_STATE_NAMES[state]}, it will not be matched`);
            }
            if (Date.now() > deadline) {
                let refund: Settlement | undefined;
                try {
                    refund = await this.close(order);
                } catch (e) {
                    throw new ClientError(
                        'NO_PROVIDER',
                        `not matched in time; closing failed: ${(e as Error).message}`,
                        {
                            cause: e,
                        },
                    );
                }
                throw new ClientError('NO_PROVIDER', `not matched in time; order closed, refund ${refund.refund}`, {
                    refund: refund.refund,
                });
            }
            await sleep(this.pollMs);
        }
    }

    // ------------------------------------------------------------ provider

    /** GET {endpoint}/v1/attestation; with `nonce` the worker quotes over that fresh challenge. */
    async fetchAttestation(providerEndpoint: string, nonce?: Buffer): Promise<AttestationDoc> {
        return fetchAttestation(providerEndpoint, nonce);
    }

    async verifyProvider(doc: AttestationDoc, order: OrderRef, expectedNonce?: Buffer): Promise<VerifiedProvider> {
        return verifyAttestation({
            doc,
            order: await this.orderData(order),
            chain: this.chain,
            trust: this.opts.trust,
            network: this.networkId,
            registry: this.registry,
            expectedNonce,
        });
    }

    /** The matched provider's keys, verified once per enclave key and kept in the session. */
    private async provider(s: SessionData, d: OrderData): Promise<NonNullable<SessionData['provider']>> {
        const current = uint256ToBuffer(d.enclaveKey).toString('hex');
        if (s.provider && s.provider.ed25519Pub === current) return s.provider;
        const providerData = await this.chain.providerData(d.provider);
        const endpoint = this.opts.workerEndpoint ?? providerData?.endpoint ?? '';
        if (!endpoint) throw new ClientError('WORKER_UNREACHABLE', 'the provider has no endpoint on-chain');
        // Our own random challenge makes the quote fresh: it cannot be an old quote replayed by the host.
        const nonce = randomBytes(32);
        const doc = await this.unreachableCloses(s.order, () => fetchAttestation(endpoint, nonce));
        const v = await this.verifyProvider(doc, s.order, nonce);
        s.provider = {
            owner: v.owner.toString(),
            endpoint,
            ed25519Pub: v.ed25519Pub.toString('hex'),
            x25519Pub: v.x25519Pub.toString('hex'),
            measurement: v.measurement.toString('hex'),
            tcbStatus: v.tcbStatus,
            verifiedAt: Math.floor(Date.now() / 1000),
        };
        this.store.save(s);
        return s.provider;
    }

    /** Runs a worker call; when the worker is unreachable, closes the order (so it refunds) and rethrows. */
    private async unreachableCloses<T>(order: string, fn: () => Promise<T>): Promise<T> {
        try {
            return await fn();
        } catch (e) {
            if (e instanceof ClientError && e.code === 'WORKER_UNREACHABLE' && this.opts.closeOnUnreachable !== false) {
                try {
                    await this.close(order, { wait: false });
                    e.details.closed = true;
                } catch (c) {
                    e.details.closeError = (c as Error).message;
                }
            }
            throw e;
        }
    }

    // ------------------------------------------------------------ questions

    async ask(
        order: OrderRef,
        input: string | PromptInput['messages'] | PromptInput,
        opts: AskOptions = {},
    ): Promise<AskResult> {
        const s = this.session(order);
        const d = await this.orderData(order);
        if (Number(d.state) !== OrderState.MATCHED) {
            throw new ClientError('BAD_STATE', `order is ${ORDER_STATE_NAMES[Number(d.state)]}, not matched`);
        }
        const p = await this.provider(s, d);
        const prompt: PromptInput =
            typeof input === 'string' ? { prompt: input } : Array.isArray(input) ? { messages: input } : { ...input };
        if (opts.temperature !== undefined) prompt.temperature = opts.temperature;
        if (opts.topP !== undefined) prompt.topP = opts.topP;
        if (opts.seed !== undefined) prompt.seed = opts.seed;
        const terms = this.terms(s, d);
        // A request whose answer was lost: post the same bytes again first (the worker answers from its store).
        if (s.pending) await this.recoverPending(s, d, terms);
        const last = this.lastReceipt(s);
        const spent = last ? last.fields.tokensIn * d.priceIn + last.fields.tokensOut * d.priceOut : 0n;
        const cap = opts.maxCost === undefined ? d.budget : spent + opts.maxCost;
        const prepared = await prepareRequest(terms, Buffer.from(p.x25519Pub, 'hex'), prompt, {
            maxTokens: opts.maxTokens ?? 256,
            maxSpend: cap < d.budget ? cap : d.budget,
            last,
        });
        s.pending = {
            seqno: prepared.fields.seqno,
            endpoint: p.endpoint,
            responseKey: prepared.responseKey.toString('hex'),
            body: prepared.body,
            at: Math.floor(Date.now() / 1000),
        };
        this.store.save(s);
        const reply = await this.unreachableCloses(s.order, () => this.postSame(s, p.endpoint, prepared.body));
        return this.accept(s, d, terms, prepared, reply, last);
    }

    /**
     * Posts the same request bytes until answered: a network error or timeout (WORKER_UNREACHABLE, which also
     * covers 502/503/504) is retried up to askRetries times with backoff; then the request stays pending. Any
     * other answer, a refusal included, ends it (a refused request was not served).
     */
    private async postSame(s: SessionData, endpoint: string, body: RequestBody): Promise<RequestReply> {
        const retries = this.opts.askRetries ?? 3;
        const base = this.opts.askRetryBaseMs ?? 500;
        for (let attempt = 0; ; attempt++) {
            try {
                return await postRequest(endpoint, s.order, body, this.opts.requestTimeoutMs);
            } catch (e) {
                const again =
                    e instanceof ClientError &&
                    (e.code === 'WORKER_UNREACHABLE' || e.details.refusal === 'REQUEST_IN_FLIGHT');
                if (!again) {
                    s.pending = undefined;
                    this.store.save(s);
                    throw e;
                }
                if (attempt >= retries) throw e;
                await sleep(base * 2 ** attempt);
            }
        }
    }

    /** Re-posts the pending request and accepts its receipt; a worker that never served it lets it go. */
    private async recoverPending(s: SessionData, d: OrderData, terms: SessionTerms): Promise<void> {
        const pending = s.pending!;
        const last = this.lastReceipt(s);
        const cell = Cell.fromBoc(Buffer.from(pending.body.requestBoc, 'base64'))[0];
        const prepared: PreparedRequest = {
            fields: requestFromCell(cell),
            requestHash: cell.hash(),
            responseKey: Buffer.from(pending.responseKey, 'hex'),
            body: pending.body,
        };
        if (prepared.fields.seqno !== (last?.fields.seqno ?? 0) + 1) {
            s.pending = undefined; // stale: the session moved on without it
            this.store.save(s);
            return;
        }
        let reply: RequestReply;
        try {
            reply = await this.unreachableCloses(s.order, () => this.postSame(s, pending.endpoint, pending.body));
        } catch (e) {
            // Refused (e.g. DECRYPTION_FAILED: a restarted enclave never saw it): not served, postSame let it go.
            if (e instanceof ClientError && e.code === 'WORKER_REFUSED') return;
            throw e;
        }
        this.accept(s, d, terms, prepared, reply, last);
    }

    private accept(
        s: SessionData,
        d: OrderData,
        terms: SessionTerms,
        prepared: PreparedRequest,
        reply: RequestReply,
        last: AcceptedReceipt | undefined,
    ): AskResult {
        // Answered: whatever the receipt is worth, these bytes are done.
        s.pending = undefined;
        this.store.save(s);
        const keys = [d.enclaveKey, d.prevEnclaveKey].filter((k) => k !== 0n).map(uint256ToBuffer);
        const opened = openReply(terms, prepared, reply, keys, last);
        const stored = toStoredReceipt(opened.receipt);
        s.receipts.push(stored);
        this.store.save(s);
        return opened;
    }

    private terms(s: SessionData, d: OrderData): SessionTerms {
        return {
            network: this.networkId,
            registry: this.registry,
            order: Address.parse(s.order),
            clientKey: Buffer.from(s.clientKey, 'hex'),
            clientSecretKey: this.store.loadKey(s.order),
            model: Buffer.from(s.model, 'hex'),
            priceIn: d.priceIn,
            priceOut: d.priceOut,
        };
    }

    /** The newest receipt the client accepted for the order, or undefined before the first answer. */
    lastReceipt(s: SessionData | OrderRef): AcceptedReceipt | undefined {
        const session = typeof s === 'object' && 'receipts' in s ? s : this.session(s);
        const r = session.receipts[session.receipts.length - 1];
        if (!r) return undefined;
        const cell = Cell.fromBoc(Buffer.from(r.boc, 'base64'))[0];
        return { cell, signature: Buffer.from(r.signature, 'base64'), fields: receiptFromCell(cell) };
    }

    // ------------------------------------------------------------ closing and disputes

    /**
     * Closes the order. Unmatched: refunded at once. Matched: the provider gets the close grace window for its
     * last claim, then (with wait, the default) this sends Timeout itself and reports the refund.
     *
     * By default the close is an ExternalClose signed by the order's session key: one transaction, no wallet
     * transaction, paid by the Order out of this client's refund (~0.002 TON). `via: 'wallet'` sends Close from
     * the wallet instead (CLOSE_GAS attached, the rest comes back), as does a refused external close.
     */
    async close(
        order: OrderRef,
        opts: { wait?: boolean; timeoutMs?: number; via?: 'external' | 'wallet' } = {},
    ): Promise<Settlement> {
        const address = toAddress(order);
        const before = await this.chain.balance();
        const d = await this.orderData(address);
        const state = Number(d.state);
        if (state === OrderState.OPEN || state === OrderState.MATCHED) {
            const closedExternally = opts.via !== 'wallet' && (await this.closeExternally(address, state));
            if (!closedExternally) {
                await this.chain.send(
                    address,
                    Gas.CLOSE_GAS,
                    beginCell()
                        .store(storeClose({ $$type: 'Close', queryId: 0n }))
                        .endCell(),
                    'Close',
                );
            }
        } else if (state !== OrderState.CLOSING && state < OrderState.SETTLED) {
            throw new ClientError('BAD_STATE', `order is ${ORDER_STATE_NAMES[state]}; it cannot be closed now`);
        }
        if (opts.wait === false) {
            const now = await this.orderData(address);
            return { state: ORDER_STATE_NAMES[Number(now.state)], refund: 0n, balanceDelta: 0n, paid: now.paid };
        }
        return this.waitForSettlement(address, { timeoutMs: opts.timeoutMs, balanceBefore: before });
    }

    /**
     * ExternalClose signed by the session key, then waits until the Order has left `state`. False when the
     * node refused it (the caller then closes from the wallet) or the Order did not move in time.
     */
    private async closeExternally(order: Address, state: number): Promise<boolean> {
        // The Order checks validUntil against its own clock; ten minutes absorb any skew with this machine's.
        const validUntil = Math.floor(Date.now() / 1000) + 600;
        const signature = signCloseRequest(order, validUntil, this.store.loadKey(order));
        const body = beginCell()
            .store(storeExternalClose({ $$type: 'ExternalClose', signature, validUntil: BigInt(validUntil) }))
            .endCell();
        try {
            await this.chain.sendExternal(order, body, 'ExternalClose');
        } catch (e) {
            if (e instanceof ClientError) return false;
            throw e;
        }
        const deadline = Date.now() + this.closeWaitMs;
        while (Date.now() < deadline) {
            if (Number((await this.orderData(order)).state) !== state) return true;
            await sleep(this.pollMs);
        }
        return false;
    }

    /** Waits until the order is final, pushing it with Timeout once its close grace has passed. */
    async waitForSettlement(
        order: OrderRef,
        opts: { timeoutMs?: number; balanceBefore?: bigint } = {},
    ): Promise<Settlement> {
        const address = toAddress(order);
        const before = opts.balanceBefore ?? (await this.chain.balance());
        const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
        const config = await this.chain.orderConfig(address);
        for (;;) {
            const d = await this.orderData(address);
            const state = Number(d.state);
            if (state >= OrderState.SETTLED && state <= OrderState.EXPIRED) {
                const refund = await this.waitForRefund(address, d.id, deadline);
                const result: Settlement = {
                    state: ORDER_STATE_NAMES[state],
                    refund,
                    balanceDelta: (await this.chain.balance()) - before,
                    paid: d.paid,
                };
                const s = this.store.load(address);
                if (s) {
                    s.closed = { state: result.state, refund: refund.toString(), at: Math.floor(Date.now() / 1000) };
                    this.store.save(s);
                }
                return result;
            }
            const now = Math.floor(Date.now() / 1000);
            const due =
                state === OrderState.CLOSING
                    ? Number(d.closeAt + config.closeGrace)
                    : state === OrderState.MATCHED
                      ? Math.min(
                            Number(d.expiresAt + config.closeGrace),
                            d.seqno === 0n ? Number(d.firstReceiptBy) : Infinity,
                        )
                      : Number(d.matchBy);
            if (now > due) {
                try {
                    await this.chain.send(
                        address,
                        Gas.CLOSE_GAS,
                        beginCell()
                            .store(storeTimeout({ $$type: 'Timeout', queryId: 0n }))
                            .endCell(),
                        'Timeout',
                    );
                    continue;
                } catch (e) {
                    // TOO_EARLY (chain clock behind ours) or someone else settled it first: look again.
                    if (!(e instanceof ClientError) || e.exitCode === undefined) throw e;
                }
            }
            if (Date.now() > deadline) throw new ClientError('TIMEOUT', 'the order did not settle in time');
            await sleep(Math.min(this.pollMs * 2, Math.max(200, (due - now) * 1000 + 1100)));
        }
    }

    private async waitForRefund(order: Address, id: bigint, deadline: number): Promise<bigint> {
        for (;;) {
            const r = await this.chain.findRefund(order, id);
            if (r) return r.value;
            if (Date.now() > deadline) throw new ClientError('TIMEOUT', 'the refund did not arrive in time');
            await sleep(this.pollMs);
        }
    }

    /**
     * Disputes a charge: `receipt` is an enclave-signed receipt for the same seqno and request as the one the
     * provider claimed, worth less. The Order then charges the smaller one.
     */
    async dispute(
        order: OrderRef,
        receipt: { cell: Cell; signature: Buffer } = this.lastReceipt(order)!,
    ): Promise<void> {
        if (!receipt) throw new ClientError('BAD_STATE', 'no receipt to dispute with');
        const body = beginCell()
            .store(
                storeDispute({
                    $$type: 'Dispute',
                    queryId: 0n,
                    receipt: receipt.cell,
                    signature: receipt.signature,
                }),
            )
            .endCell();
        await this.chain.send(toAddress(order), Gas.DISPUTE_GAS, body, 'Dispute');
    }

    /** Adds budget to a live order. */
    async topUp(order: OrderRef, amount: bigint): Promise<void> {
        const body = beginCell()
            .store(storeTopUp({ $$type: 'TopUp', queryId: 0n }))
            .endCell();
        await this.chain.send(toAddress(order), amount + Gas.PROVIDER_OP_GAS, body, 'TopUp');
    }
}

export function toAddress(order: OrderRef): Address {
    if (order instanceof Address) return order;
    try {
        return Address.parse(order);
    } catch {
        throw new ClientError('CONFIG_INVALID', `not an address: ${order}`);
    }
}

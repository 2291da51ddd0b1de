import { Address, Cell, internal, SendMode, Transaction } from '@ton/core';
import { TonClient, WalletContractV5R1 } from '@ton/ton';
import { KeyPair } from '@ton/crypto';
import { Order, OrderData, BookConfig } from '../../wrappers/Order';
import { OrderBook, OrderBookData } from '../../wrappers/OrderBook';
import { Provider, ProviderData } from '../../wrappers/Provider';
import { Registry, RegistryData } from '../../wrappers/Registry';
import { Op } from '../../wrappers/Constants';
import { chainError, ClientError } from './errors';

/**
 * The SDK's door to the chain: one W5R1 wallet that signs the client's messages, and typed getters through the
 * generated wrappers. Every send waits until the destination has processed the message and turns a failed
 * transaction into a ClientError carrying the contract's exit code.
 */
export interface ChainOptions {
    /** How often to poll while waiting, ms. */
    pollMs?: number;
    /** How long a send may take to show on-chain, ms. */
    sendTimeoutMs?: number;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

function isNotDeployed(e: unknown): boolean {
    const msg = e instanceof Error ? e.message : String(e);
    return /exit_code:? ?-1[34]|-13|not deployed|uninit/i.test(msg);
}

export class ChainAccess {
    readonly wallet: WalletContractV5R1;
    private readonly pollMs: number;
    private readonly sendTimeoutMs: number;
    /** Sends from one wallet must not interleave: each one needs the next seqno. */
    private queue: Promise<unknown> = Promise.resolve();

    constructor(
        readonly ton: TonClient,
        private readonly keyPair: KeyPair,
        opts: ChainOptions = {},
    ) {
        this.wallet = WalletContractV5R1.create({ workchain: 0, publicKey: keyPair.publicKey });
        this.pollMs = opts.pollMs ?? 500;
        this.sendTimeoutMs = opts.sendTimeoutMs ?? 90_000;
    }

    get address(): Address {
        return this.wallet.address;
    }

    /**
     * Sends `body` with `value` from the wallet and waits for the destination's transaction. Throws
     * chainError(action, exitCode) when that transaction fails (the value then bounces back).
     */
    send(to: Address, value: bigint, body: Cell, action: string): Promise<Transaction> {
        const run = this.queue.then(() => this.sendNow(to, value, body, action));
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async sendNow(to: Address, value: bigint, body: Cell, action: string): Promise<Transaction> {
        const opened = this.ton.open(this.wallet);
        const seqno = await opened.getSeqno();
        await opened.sendTransfer({
            seqno,
            secretKey: this.keyPair.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to, value, bounce: true, body })],
        });
        const deadline = Date.now() + this.sendTimeoutMs;
        // 1. the wallet's transaction that sent it (its seqno moved and one out message carries our body)
        let createdLt: bigint | undefined;
        while (createdLt === undefined) {
            if (Date.now() > deadline) throw new ClientError('TIMEOUT', `${action}: the wallet did not send in time`);
            const txs = await this.ton.getTransactions(this.address, { limit: 10 });
            for (const tx of txs) {
                for (const out of tx.outMessages.values()) {
                    if (
                        out.info.type === 'internal' &&
                        out.info.dest.equals(to) &&
                        out.body.hash().equals(body.hash())
                    ) {
                        createdLt = out.info.createdLt;
                        break;
                    }
                }
                if (createdLt !== undefined) break;
            }
            if (createdLt === undefined) await sleep(this.pollMs);
        }
        // 2. the destination's transaction for that message
        for (;;) {
            try {
                const tx = await this.ton.tryLocateResultTx(this.address, to, createdLt.toString());
                const code = exitCodeOf(tx);
                if (code !== 0) throw chainError(action, code);
                return tx;
            } catch (e) {
                if (e instanceof ClientError) throw e;
                if (Date.now() > deadline) {
                    throw new ClientError('TIMEOUT', `${action}: no result transaction in time`, { cause: e });
                }
                await sleep(this.pollMs);
            }
        }
    }

    /**
     * Sends an external-in message (no wallet involved). The node refuses one the contract does not accept before
     * anything is committed; its error names the exit code, which becomes chainError(action, exitCode).
     */
    async sendExternal(to: Address, body: Cell, action: string): Promise<void> {
        try {
            await this.ton.sendExternalMessage(Order.fromAddress(to), body);
        } catch (e) {
            const text = e instanceof Error ? e.message : String(e);
            const code = /exit(?:_| )code:? ?(-?\d+)/i.exec(text) ?? /exitcode=(-?\d+)/i.exec(text);
            if (code) throw chainError(action, Number(code[1]));
            throw new ClientError('CHAIN_REJECTED', `${action}: the node refused the external message`, { cause: e });
        }
    }

    balance(address: Address = this.address): Promise<bigint> {
        return this.ton.getBalance(address);
    }

    registryData(registry: Address): Promise<RegistryData> {
        return this.ton.open(Registry.fromAddress(registry)).getRegistryData();
    }

    measurementActive(registry: Address, measurement: bigint): Promise<boolean> {
        return this.ton.open(Registry.fromAddress(registry)).getMeasurementActive(measurement);
    }

    async models(registry: Address): Promise<{ model: string; activatesAt: number; metadata: string }[]> {
        const map = await this.ton.open(Registry.fromAddress(registry)).getModels();
        return [...map.keys()].map((k) => {
            const e = map.get(k)!;
            let metadata = '';
            try {
                metadata = e.metadata.beginParse().loadStringTail();
            } catch {
                metadata = e.metadata.toBoc().toString('base64');
            }
            return { model: k.toString(16).padStart(64, '0'), activatesAt: Number(e.activatesAt), metadata };
        });
    }

    async orderBookAddress(registry: Address): Promise<Address> {
        return this.ton.open(Registry.fromAddress(registry)).getOrderBookAddress();
    }

    orderBookData(book: Address): Promise<OrderBookData> {
        return this.ton.open(OrderBook.fromAddress(book)).getOrderBookData();
    }

    orderAddress(book: Address, id: bigint): Promise<Address> {
        return this.ton.open(OrderBook.fromAddress(book)).getOrderAddress(id);
    }

    modelActivatesAt(book: Address, model: bigint): Promise<bigint> {
        return this.ton.open(OrderBook.fromAddress(book)).getModelActivatesAt(model);
    }

    /** null while the order is not deployed. */
    async orderData(order: Address): Promise<OrderData | null> {
        try {
            return await this.ton.open(Order.fromAddress(order)).getOrderData();
        } catch (e) {
            if (isNotDeployed(e)) return null;
            throw e;
        }
    }

    orderConfig(order: Address): Promise<BookConfig> {
        return this.ton.open(Order.fromAddress(order)).getOrderConfig();
    }

    async providerData(provider: Address): Promise<ProviderData | null> {
        try {
            return await this.ton.open(Provider.fromAddress(provider)).getProviderData();
        } catch (e) {
            if (isNotDeployed(e)) return null;
            throw e;
        }
    }

    /** The OrderRefund the wallet received from `order` (value, state), or null when none arrived yet. */
    async findRefund(order: Address, orderId: bigint): Promise<{ value: bigint; state: number; lt: bigint } | null> {
        const txs = await this.ton.getTransactions(this.address, { limit: 30 });
        for (const tx of txs) {
            const m = tx.inMessage;
            if (!m || m.info.type !== 'internal' || !m.info.src.equals(order)) continue;
            const s = m.body.beginParse();
            if (s.remainingBits < 32 + 64 + 64 + 8 || s.loadUint(32) !== Op.OrderRefund) continue;
            s.loadUintBig(64); // queryId
            if (s.loadUintBig(64) !== orderId) continue;
            return { value: m.info.value.coins, state: s.loadUint(8), lt: tx.lt };
        }
        return null;
    }
}

/** The compute exit code of a transaction (0 = success); an aborted transaction without one counts as -1. */
export function exitCodeOf(tx: Transaction): number {
    const d = tx.description;
    if (d.type !== 'generic') return 0;
    if (d.computePhase.type === 'vm') {
        if (!d.computePhase.success) return d.computePhase.exitCode;
        if (d.actionPhase && !d.actionPhase.success) return d.actionPhase.resultCode;
        return 0;
    }
    return d.aborted ? -1 : 0;
}

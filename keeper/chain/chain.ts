/**
 * The keeper's only door to the chain: a TonClient (toncenter v2 JSON-RPC: localnet, testnet, mainnet) with
 * bounded retries, and typed reads through the generated wrappers. Every other module depends on this
 * interface, never on TonClient, so retries and "account not deployed" are handled in one place.
 */
import { Address, Transaction } from '@ton/core';
import { TonClient } from '@ton/ton';
import { Registry, RegistryData, MeasurementEntry } from '../../wrappers/Registry';
import { OrderBook, OrderBookData } from '../../wrappers/OrderBook';
import { Order, OrderData } from '../../wrappers/Order';
import { Provider, ProviderData, Ask } from '../../wrappers/Provider';
import { DEFAULT_RETRY, RetryOptions, withRetry } from './retry';
import { CocoonTonClient } from '../../wrappers/tonClient';

export interface BlockHead {
    seqno: number;
    rootHash: Buffer;
}

/** "account has no code" or "not deployed": the getter answers exit code -13 (or the account is uninit). */
function isNotDeployed(e: unknown): boolean {
    const msg = e instanceof Error ? e.message : String(e);
    return /exit_code:? ?-13|exit_code: -14|not deployed|uninit/i.test(msg);
}

export class Chain {
    readonly client: TonClient;

    constructor(
        readonly endpoint: string,
        private readonly retry: RetryOptions = DEFAULT_RETRY,
    ) {
        this.client = new CocoonTonClient({ endpoint, timeout: 10_000 });
    }

    /** Runs a read with the configured retries. */
    call<T>(fn: () => Promise<T>): Promise<T> {
        return withRetry(fn, this.retry);
    }

    /** A getter on an account that may not exist yet: null instead of an error. */
    private async maybe<T>(fn: () => Promise<T>): Promise<T | null> {
        try {
            return await this.call(fn);
        } catch (e) {
            if (isNotDeployed(e)) return null;
            throw e;
        }
    }

    registryData(registry: Address): Promise<RegistryData> {
        return this.call(() => this.client.open(Registry.fromAddress(registry)).getRegistryData());
    }

    providerAddress(registry: Address, owner: Address): Promise<Address> {
        return this.call(() => this.client.open(Registry.fromAddress(registry)).getProviderAddress(owner));
    }

    async measurement(registry: Address, hash: bigint): Promise<MeasurementEntry | null> {
        const v = await this.optionalStruct(registry, 'measurement', hash);
        if (!v) return null;
        return { $$type: 'MeasurementEntry', activatesAt: v[0], expiresAt: v[1], revoked: v[2] !== 0n };
    }

    measurementActive(registry: Address, hash: bigint): Promise<boolean> {
        return this.call(() => this.client.open(Registry.fromAddress(registry)).getMeasurementActive(hash));
    }

    orderBookData(book: Address): Promise<OrderBookData> {
        return this.call(() => this.client.open(OrderBook.fromAddress(book)).getOrderBookData());
    }

    orderAddress(book: Address, id: bigint): Promise<Address> {
        return this.call(() => this.client.open(OrderBook.fromAddress(book)).getOrderAddress(id));
    }

    orderData(order: Address): Promise<OrderData | null> {
        return this.maybe(() => this.client.open(Order.fromAddress(order)).getOrderData());
    }

    providerData(provider: Address): Promise<ProviderData | null> {
        return this.maybe(() => this.client.open(Provider.fromAddress(provider)).getProviderData());
    }

    async providerAsk(provider: Address, model: bigint): Promise<Ask | null> {
        const v = await this.maybe(() => this.optionalStruct(provider, 'ask', model));
        if (!v) return null;
        return { $$type: 'Ask', priceIn: v[0], priceOut: v[1], nextIn: v[2], nextOut: v[3], nextAt: v[4] };
    }

    /**
     * A getter returning an optional struct of integers (Tact: a tuple or null). Read here rather than through
     * the generated wrapper because TonClient turns the numbers inside a returned tuple into bare strings
     * with some toncenter encodings (localnet's among them), which the generated loader refuses.
     */
    private async optionalStruct(address: Address, method: string, arg: bigint): Promise<bigint[] | null> {
        const r = await this.call(() => this.client.runMethod(address, method, [{ type: 'int', value: arg }]));
        const top = r.stack.pop();
        if (top.type === 'null') return null;
        if (top.type !== 'tuple') throw new Error(`${method}: expected a tuple, got ${top.type}`);
        return top.items.map((it: unknown) => {
            if (typeof it === 'string' || typeof it === 'number' || typeof it === 'bigint') return BigInt(it);
            const item = it as { type: string; value?: bigint };
            if (item.type === 'int' && item.value !== undefined) return item.value;
            if (item.type === 'null') return 0n;
            throw new Error(`${method}: unexpected tuple item ${item.type}`);
        });
    }

    /** 0 when a Reserve for these terms would be accepted now, else the exit code it would be refused with. */
    async canServe(
        provider: Address,
        model: bigint,
        askIn: bigint,
        askOut: bigint,
        expiresAt: bigint,
    ): Promise<number> {
        const r = await this.maybe(() =>
            this.client.open(Provider.fromAddress(provider)).getCanServe(model, askIn, askOut, expiresAt),
        );
        return r === null ? -13 : Number(r);
    }

    balance(address: Address): Promise<bigint> {
        return this.call(() => this.client.getBalance(address));
    }

    /** The account's last transaction (lt, hash), or null for an account without transactions. */
    async lastTransaction(address: Address): Promise<{ lt: string; hash: string } | null> {
        const s = await this.call(() => this.client.getContractState(address));
        return s.lastTransaction ?? null;
    }

    /**
     * Every transaction of `address` with lt > afterLt, oldest first. Pages backwards from the account's
     * last transaction in bounded pages; `maxTxs` bounds one call so a huge backlog is taken in slices
     * (the caller stores its progress and comes back).
     */
    async transactionsSince(address: Address, afterLt: bigint, maxTxs = 1000): Promise<Transaction[]> {
        const last = await this.lastTransaction(address);
        if (!last || BigInt(last.lt) <= afterLt) return [];
        const out: Transaction[] = [];
        let cursor: { lt: string; hash: string } | null = last;
        const page = 50;
        while (cursor) {
            const c: { lt: string; hash: string } = cursor;
            const txs: Transaction[] = await this.call(() =>
                this.client.getTransactions(address, {
                    limit: page,
                    lt: c.lt,
                    hash: c.hash,
                    to_lt: afterLt > 0n ? afterLt.toString() : undefined,
                    archival: true,
                    inclusive: true,
                }),
            );
            const fresh = txs.filter((t) => t.lt > afterLt && !out.some((o) => o.lt === t.lt));
            out.push(...fresh);
            const oldest: Transaction | undefined = txs[txs.length - 1];
            if (
                txs.length < page ||
                !oldest ||
                oldest.prevTransactionLt <= afterLt ||
                oldest.prevTransactionLt === 0n
            ) {
                break;
            }
            cursor = { lt: oldest.prevTransactionLt.toString(), hash: uintToBase64(oldest.prevTransactionHash) };
            if (out.length >= maxTxs * 4) break; // safety bound on one call
        }
        out.sort((a, b) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0));
        return out.slice(0, maxTxs);
    }

    /** The latest masterchain block (seqno and root hash): the attestation nonce workers bind. */
    async masterchainHead(): Promise<BlockHead> {
        const r = await this.rpc<{ last: { seqno: number; root_hash: string } }>('getMasterchainInfo', {});
        return { seqno: r.last.seqno, rootHash: Buffer.from(r.last.root_hash, 'base64') };
    }

    /** A masterchain block by seqno; null when the endpoint no longer serves it. */
    async masterchainBlock(seqno: number): Promise<BlockHead | null> {
        try {
            const r = await this.rpc<{ seqno: number; root_hash: string }>('lookupBlock', {
                workchain: -1,
                shard: '-9223372036854775808',
                seqno,
            });
            return { seqno: r.seqno, rootHash: Buffer.from(r.root_hash, 'base64') };
        } catch {
            return null;
        }
    }

    /** Raw toncenter JSON-RPC for the methods TonClient does not expose with the fields we need. */
    async rpc<T>(method: string, params: Record<string, unknown>): Promise<T> {
        return this.call(async () => {
            const res = await fetch(this.endpoint, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ id: '1', jsonrpc: '2.0', method, params }),
                signal: AbortSignal.timeout(10_000),
            });
            const body = (await res.json()) as { ok: boolean; result?: T; error?: string };
            if (!body.ok) throw new Error(`${method}: ${body.error ?? `HTTP ${res.status}`}`);
            return body.result as T;
        });
    }
}

function uintToBase64(v: bigint): string {
    return Buffer.from(v.toString(16).padStart(64, '0'), 'hex').toString('base64');
}

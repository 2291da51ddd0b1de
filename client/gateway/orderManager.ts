import type { AskOptions, AskResult, CreateOrderArgs, Settlement } from '../sdk/client';
import type { SessionData } from '../sdk/session';
import type { ChatMessage } from '../sdk/protocol';
import type { OrderData } from '../../wrappers/Order';
import { ClientError } from '../sdk/errors';
import { attestationFailed, noProvider, spendCapReached } from './openaiErrors';

/** What the gateway needs from the SDK (CocoonClient has exactly these). */
export interface MarketClient {
    createOrder(args: CreateOrderArgs): Promise<SessionData>;
    waitForMatch(order: string, timeoutMs?: number): Promise<OrderData>;
    // ChatMessage (not a bare string role) so that CocoonClient itself satisfies this interface.
    ask(order: string, input: ChatMessage[] | string, opts?: AskOptions): Promise<AskResult>;
    orderData(order: string): Promise<OrderData>;
    topUp(order: string, amount: bigint): Promise<void>;
    close(order: string, opts?: { wait?: boolean; timeoutMs?: number }): Promise<Settlement>;
}

export interface OrderPolicy {
    budgetPerOrder: bigint; // nanoTON escrowed when an order opens (and the most one order ever holds)
    maxPricePerToken: bigint; // nanoTON; the order's max price for input and output tokens
    totalSpendCap: bigint; // nanoTON across every order this gateway opens (budgets escrowed count)
    matchTimeoutMs: number;
    orderLifeS: number;
}

interface LiveOrder {
    address: string;
    model: string;
    provider: string;
    budget: bigint;
    spent: bigint;
    priceIn: bigint;
    priceOut: bigint;
}

export interface ServedRequest extends AskResult {
    order: string;
    provider: string;
    priceIn: bigint;
    priceOut: bigint;
}

/**
 * Keeps one funded order per model for the gateway's user: opens it on first use, reuses it while its budget
 * covers the next request's worst case, closes it and opens a new one when it does not, and closes them all
 * (refunds come back) at shutdown. Requests on one order run one at a time: a session is a receipt chain.
 */
export class OrderManager {
    private live = new Map<string, LiveOrder>();
    private queues = new Map<string, Promise<unknown>>();
    private retiredSpent = 0n; // what closed orders spent; their unspent budgets came back
    private avoided = new Set<string>(); // providers whose attestation failed

    constructor(
        private readonly client: MarketClient,
        private readonly policy: OrderPolicy,
    ) {}

    /** Runs `fn` after every earlier request for the same model has finished. */
    private serialize<T>(model: string, fn: () => Promise<T>): Promise<T> {
        const prev = this.queues.get(model) ?? Promise.resolve();
        const next = prev.catch(() => undefined).then(fn);
        this.queues.set(model, next);
        return next;
    }

    serve(
        model: string,
        input: ChatMessage[] | string,
        opts: { maxTokens: number; temperature?: number; topP?: number; seed?: number; maxPrice?: bigint },
    ): Promise<ServedRequest> {
        return this.serialize(model, async () => {
            const maxPrice =
                opts.maxPrice !== undefined && opts.maxPrice < this.policy.maxPricePerToken
                    ? opts.maxPrice
                    : this.policy.maxPricePerToken;
            // Worst case of this request at the order's prices: the prompt is bounded by its characters.
            const promptChars =
                typeof input === 'string' ? input.length : input.reduce((n, m) => n + m.content.length, 0);
            const worst = (bigint: bigint) => BigInt(promptChars + 16) * bigint + BigInt(opts.maxTokens) * bigint;
            let order = this.live.get(model);
            if (order && (order.priceIn > maxPrice || order.priceOut > maxPrice)) {
                throw noProvider(
                    `the open order's price (${order.priceIn}/${order.priceOut} nanoTON per token) is above max_price ${maxPrice}`,
                );
            }
            if (
                order &&
                order.budget - order.spent < worst(order.priceIn > order.priceOut ? order.priceIn : order.priceOut)
            ) {
                await this.retire(model);
                order = undefined;
            }
            order ??= await this.open(model, maxPrice);
            const cap = order.budget - order.spent;
            try {
                const r = await this.client.ask(order.address, input, {
                    maxTokens: opts.maxTokens,
                    temperature: opts.temperature,
                    topP: opts.topP,
                    seed: opts.seed,
                    maxCost: cap,
                });
                order.spent = r.totalCost;
                return {
                    ...r,
                    order: order.address,
                    provider: order.provider,
                    priceIn: order.priceIn,
                    priceOut: order.priceOut,
                };
            } catch (e) {
                if (e instanceof ClientError && e.code === 'ATTESTATION_INVALID') {
                    this.avoided.add(order.provider);
                    await this.retire(model);
                    throw attestationFailed(
                        `provider ${order.provider} failed attestation and is avoided from now on: ${e.message}`,
                    );
                }
                if (e instanceof ClientError && (e.code === 'WORKER_UNREACHABLE' || e.code === 'NO_PROVIDER')) {
                    this.live.delete(model); // the SDK closed it already
                }
                throw e;
            }
        });
    }

    private async open(model: string, maxPrice: bigint): Promise<LiveOrder> {
        // Spent by closed orders plus everything escrowed now bounds what this gateway can ever spend.
        const committed = [...this.live.values()].reduce((n, o) => n + o.budget, this.retiredSpent);
        if (committed + this.policy.budgetPerOrder > this.policy.totalSpendCap) {
            throw spendCapReached(
                `opening another order of ${this.policy.budgetPerOrder} nanoTON would pass the gateway's spend cap of ${this.policy.totalSpendCap}`,
            );
        }
        // A keeper may match us to a provider we avoid; such an order is closed (refunded) and tried again.
        for (let attempt = 0; attempt < 3; attempt++) {
            const s = await this.client.createOrder({
                model,
                budget: this.policy.budgetPerOrder,
                maxPriceIn: maxPrice,
                maxPriceOut: maxPrice,
                lifeS: this.policy.orderLifeS,
            });
            const d = await this.client.waitForMatch(s.order, this.policy.matchTimeoutMs);
            const provider = d.provider.toString();
            if (this.avoided.has(provider)) {
                await this.client.close(s.order, { wait: false }).catch(() => undefined);
                continue;
            }
            const o: LiveOrder = {
                address: s.order,
                model,
                provider,
                budget: d.budget,
                spent: 0n,
                priceIn: d.priceIn,
                priceOut: d.priceOut,
            };
            this.live.set(model, o);
            return o;
        }
        throw noProvider('every provider that matched our orders failed attestation earlier');
    }

    private async retire(model: string) {
        const o = this.live.get(model);
        this.live.delete(model);
        if (o) this.retiredSpent += o.spent;
        if (o) await this.client.close(o.address, { wait: false }).catch(() => undefined);
    }

    openOrders(): { model: string; order: string; provider: string; budget: bigint; spent: bigint }[] {
        return [...this.live.values()].map((o) => ({
            model: o.model,
            order: o.address,
            provider: o.provider,
            budget: o.budget,
            spent: o.spent,
        }));
    }

    /**
     * Closes every open order and reports each one on its own (one order failing to settle does not hide the
     * others' refunds): what the `serve` command prints at shutdown.
     */
    async closeEach(
        timeoutMs = 120_000,
    ): Promise<{ order: string; model: string; settlement?: Settlement; error?: Error }[]> {
        const orders = [...this.live.values()];
        this.live.clear();
        return Promise.all(
            orders.map((o) =>
                this.client.close(o.address, { wait: true, timeoutMs }).then(
                    (settlement) => ({ order: o.address, model: o.model, settlement }),
                    (e: unknown) => ({ order: o.address, model: o.model, error: e as Error }),
                ),
            ),
        );
    }

    /** Closes every open order and waits for the refunds (the gateway's shutdown). */
    async closeAll(timeoutMs = 120_000): Promise<Settlement[]> {
        const orders = [...this.live.values()];
        this.live.clear();
        return Promise.all(orders.map((o) => this.client.close(o.address, { wait: true, timeoutMs })));
    }
}

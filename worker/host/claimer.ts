/**
 * Turns persisted receipts into payments (DESIGN.md "Order"): for each live order, claim the latest receipt
 * when its unclaimed value reaches the order's minimum claim, and always send a final claim when the client
 * closed the order or it passed expiresAt, before the claim deadline. An external claim (no wallet
 * transaction; the Order pays its gas out of the provider's share) when the delta covers its fee, else an
 * internal Claim from the wallet. Only the latest receipt of an order is ever claimed and only while its
 * seqno is above the Order's, so no seqno is claimed twice.
 *
 * A claim only records its charge in the Order; the earnings reach the Provider at settlement (the final
 * claim, or the keeper's Timeout) or, for a long session, when the held earnings of a Matched order pass
 * `payoutMin` and the wallet sends OrderPayout.
 */
import { Address } from '@ton/core';
import type { Logger } from 'pino';
import { externalClaimMin, Gas, OrderState } from '../../wrappers/Constants';
import type { OrderData } from '../../wrappers/Order';
import { receiptCost } from '../../wrappers/formats/receipt';
import { uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { ChainClient, nowSec } from './chain';
import type { WorkerMetrics } from './metrics';
import { receiptCellOf, ReceiptStore, ServedRecord } from './store';

export interface ClaimerOptions {
    external: boolean;
    externalMin: bigint;
    safetySec: number;
    /** Request a payout once a Matched order holds this much of the provider's earnings; 0 or absent: never. */
    payoutMin?: bigint;
    /** How long to wait for an external claim to land before falling back to an internal one, ms. */
    externalWaitMs?: number;
}

export type ClaimOutcome =
    | { action: 'none'; reason: string }
    | { action: 'claimed'; seqno: number; delta: bigint; final: boolean; via: 'external' | 'internal' };

export class Claimer {
    private running = false;

    constructor(
        private readonly chain: ChainClient,
        private readonly store: ReceiptStore,
        private readonly opts: ClaimerOptions,
        private readonly log: Logger,
        private readonly metrics?: WorkerMetrics,
    ) {}

    /** One pass over every live order; never runs twice at once. */
    async tick(): Promise<ClaimOutcome[]> {
        if (this.running) return [];
        this.running = true;
        try {
            const out: ClaimOutcome[] = [];
            for (const rec of this.store.live()) {
                try {
                    out.push(await this.claimOrder(rec.order));
                    if (!this.store.get(rec.order)?.done) await this.payoutIfWorth(rec.order);
                } catch (e) {
                    this.log.warn({ order: rec.order.toString(), err: (e as Error).message }, 'claim failed');
                    out.push({ action: 'none', reason: (e as Error).message });
                }
            }
            return out;
        } finally {
            this.running = false;
        }
    }

    /**
     * `beforeKeyPush`: the worker restarted and is about to push its new key, after which the Order forgets its
     * previous key. The latest receipt is claimed now whenever the Order takes it as a non-final claim; below
     * minClaim (non-final refused) it is claimed as final only if the push would make it unclaimable (signed by
     * a key other than the Order's current one), else it stays claimable under prevEnclaveKey.
     */
    async claimOrder(
        order: Address,
        opts: { forceFinal?: boolean; beforeKeyPush?: boolean } = {},
    ): Promise<ClaimOutcome> {
        const latest = this.store.latest(order);
        if (!latest) return { action: 'none', reason: 'no receipt' };
        const data = await this.chain.orderData(order);
        if (!data) return { action: 'none', reason: 'order not deployed' };
        const state = Number(data.state);
        if (state !== OrderState.MATCHED && state !== OrderState.CLOSING) {
            this.store.recordDone(order, `order state ${state}`);
            return { action: 'none', reason: 'order is over' };
        }
        if (Number(data.seqno) >= latest.seqno) {
            if (this.store.get(order)?.claimed?.seqno !== latest.seqno) {
                this.store.recordClaim({
                    order: order.toRawString(),
                    seqno: latest.seqno,
                    final: false,
                    via: 'internal',
                    delta: '0',
                });
            }
            // Nothing left to claim, but once the claim window has closed the Order still holds our earnings
            // until someone settles it: do not wait for a keeper.
            if (await this.settleIfWorth(order, data)) return { action: 'none', reason: 'settled after its deadline' };
            return { action: 'none', reason: 'latest receipt already claimed' };
        }
        const config = await this.chain.orderConfig(order);
        // A request can be served while the chain reads above wait (slow or lost answers); a final claim of the
        // receipt read before them would settle the order and lose the newer one (tests/faults seed 72537).
        // Take the latest receipt now: nothing below awaits before the first claim is sent.
        if (this.store.latest(order)!.seqno !== latest.seqno) return this.claimOrder(order, opts);
        const now = nowSec();
        const closing = state === OrderState.CLOSING;
        const deadline = (closing ? Number(data.closeAt) : Number(data.expiresAt)) + Number(config.closeGrace);
        if (now > deadline) {
            this.log.error(
                { order: order.toString(), seqno: latest.seqno },
                'claim window closed before the receipt was claimed',
            );
            // The receipts claimed before this one still wait in the Order: settle it to move them.
            await this.settleIfWorth(order, data);
            this.store.recordDone(order, 'claim window closed');
            return { action: 'none', reason: 'too late' };
        }
        const cost = min(receiptCost(fieldsOf(latest), data.priceIn, data.priceOut), data.budget);
        const delta = cost > data.paid ? cost - data.paid : 0n;
        let final = opts.forceFinal || closing || now > Number(data.expiresAt) || now >= deadline - this.opts.safetySec;
        if (opts.beforeKeyPush) {
            const signer = latest.enclaveKey.toLowerCase();
            const current = uint256ToBuffer(data.enclaveKey).toString('hex');
            const prev = data.prevEnclaveKey !== 0n ? uint256ToBuffer(data.prevEnclaveKey).toString('hex') : '';
            if (signer !== current && signer !== prev) {
                this.log.error(
                    { order: order.toString(), seqno: latest.seqno },
                    'the key that signed the latest receipt is no longer on the order',
                );
                return { action: 'none', reason: 'signing key no longer on the order' };
            }
            if (!final && delta < config.minClaim && cost !== data.budget) {
                if (signer === current || delta === 0n) {
                    return { action: 'none', reason: 'stays claimable under the previous key after the push' };
                }
                final = true;
            }
        }
        if (!final && delta < config.minClaim && cost !== data.budget) {
            return { action: 'none', reason: `unclaimed ${delta} below minClaim ${config.minClaim}` };
        }
        const cell = receiptCellOf(latest);
        const sig = Buffer.from(latest.signature, 'hex');
        let via: 'external' | 'internal' = 'internal';
        // The Order's own minimum: a final external claim settles, so the payment it sends (what the Order holds
        // for us plus this delta, less the claim's fee) must pay the Provider's processing.
        const contractMin = externalClaimMin(final, data.heldNet);
        const externalMin = this.opts.externalMin > contractMin ? this.opts.externalMin : contractMin;
        if (this.opts.external && delta >= externalMin) {
            try {
                await this.chain.claimExternal(order, cell, sig, final);
                await this.chain.waitFor(
                    'external claim',
                    async () => Number((await this.chain.orderData(order))?.seqno ?? 0) >= latest.seqno,
                    this.opts.externalWaitMs ?? 20_000,
                );
                via = 'external';
            } catch (e) {
                this.log.warn(
                    { order: order.toString(), err: (e as Error).message },
                    'external claim did not land; claiming from the wallet',
                );
            }
        }
        if (via === 'internal') {
            const again = await this.chain.orderData(order);
            // Served meanwhile (the external attempt waited): claim the newest receipt instead.
            if (this.store.latest(order)!.seqno !== latest.seqno && Number(again?.seqno ?? 0) < latest.seqno)
                return this.claimOrder(order, opts);
            if (Number(again?.seqno ?? 0) < latest.seqno) {
                await this.chain.claimInternal(order, cell, sig, final);
                await this.chain.waitFor(
                    'claim',
                    async () => Number((await this.chain.orderData(order))?.seqno ?? 0) >= latest.seqno,
                );
            }
        }
        this.store.recordClaim({
            order: order.toRawString(),
            seqno: latest.seqno,
            final,
            via,
            delta: delta.toString(),
        });
        if (final) this.store.recordDone(order, 'final claim');
        this.metrics?.claims.inc({ via, final: String(final) });
        this.metrics?.earnings.inc(Number(delta));
        this.log.info({ order: order.toString(), seqno: latest.seqno, delta: delta.toString(), final, via }, 'claimed');
        return { action: 'claimed', seqno: latest.seqno, delta, final, via };
    }

    /**
     * OrderPayout when a Matched order holds at least `payoutMin` of our earnings: the Order forwards them to the
     * Provider, where they wait the dispute window and become withdrawable. A Closing order is left alone: its
     * settlement (our final claim or the keeper's Timeout) forwards them anyway.
     */
    async payoutIfWorth(order: Address): Promise<boolean> {
        const min = this.opts.payoutMin ?? 0n;
        if (min <= 0n) return false;
        const d = await this.chain.orderData(order);
        if (!d || Number(d.state) !== OrderState.MATCHED || d.heldNet < min) return false;
        await this.chain.requestPayout(order);
        await this.chain.waitFor('payout', async () => {
            const now = await this.chain.orderData(order);
            return !now || now.heldNet < d.heldNet || now.state !== d.state;
        });
        this.metrics?.payouts.inc();
        this.log.info({ order: order.toString(), amount: d.heldNet.toString() }, 'payout requested');
        return true;
    }

    /**
     * Timeout from the wallet once the order's claim window (closeAt or expiresAt, plus closeGrace) has passed
     * and the Order still holds more of our earnings than the Timeout's gas allowance: the settlement forwards
     * them to the Provider, releases the capacity slot and refunds the client. Anyone may send it, and keepers do
     * (keeper/market/actions.ts), but the provider's money should not depend on a keeper. Below that amount the
     * wallet would pay more than it moves; a keeper's Timeout settles those.
     */
    async settleIfWorth(order: Address, data?: OrderData | null): Promise<boolean> {
        const d = data ?? (await this.chain.orderData(order));
        if (!d) return false;
        const state = Number(d.state);
        if ((state !== OrderState.MATCHED && state !== OrderState.CLOSING) || d.heldNet <= Gas.CLOSE_GAS) return false;
        const { closeGrace } = await this.chain.orderConfig(order);
        const end = (state === OrderState.CLOSING ? Number(d.closeAt) : Number(d.expiresAt)) + Number(closeGrace);
        if (nowSec() <= end) return false;
        await this.chain.sendTimeout(order);
        await this.chain.waitFor('settlement', async () => {
            const now = await this.chain.orderData(order);
            return !now || Number(now.state) !== state;
        });
        this.store.recordDone(order, 'settled after its deadline');
        this.log.info({ order: order.toString(), amount: d.heldNet.toString() }, 'settled the order (Timeout)');
        return true;
    }

    /** Withdraws matured earnings when at least `min` is withdrawable. */
    async withdrawIfWorth(min: bigint): Promise<boolean> {
        const p = await this.chain.providerData();
        if (!p || p.withdrawable < min) return false;
        await this.chain.withdrawEarnings();
        this.log.info({ amount: p.withdrawable.toString() }, 'withdrew earnings');
        return true;
    }
}

function min(a: bigint, b: bigint): bigint {
    return a < b ? a : b;
}

function fieldsOf(r: ServedRecord) {
    return { tokensIn: BigInt(r.totalIn), tokensOut: BigInt(r.totalOut) };
}

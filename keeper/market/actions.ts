/**
 * What a keeper sends: MatchOrder (earns the match fee), Timeout (refunds: a service, paid from gas) and
 * RelayRevocation (security). Every decision is made from the indexed book, then re-checked against a getter
 * where a getter exists (canServe), because the book may be a poll old and an avoidable refusal costs gas.
 * Races with other keepers are safe by contract: the loser's value comes back (MatchRefused).
 */
import { Address, beginCell } from '@ton/core';
import type { Logger } from 'pino';
import { Chain } from '../chain/chain';
import { KeeperWallet, OutgoingMessage } from '../chain/wallet';
import { KeeperDb } from '../db';
import { KeeperMetrics } from '../metrics';
import { storeMatchOrder, storeRelayRevocation, storeTimeout } from '../../wrappers/Registry';
import { ProviderStatus } from '../../wrappers/Constants';
import { planMatches, refusalCodeText, MatchPlan } from './matcher';
import { timeoutDue, TimeoutKind } from './expiry';

export interface ActionPolicy {
    matchValue: bigint;
    matchCostEstimate: bigint;
    spendAboveFee: boolean;
    refundExpired: boolean;
    timeoutValue: bigint;
    relayRevocations: boolean;
    relayValue: bigint;
    resendAfterMs: number;
}

export interface SentMatch {
    orderId: string;
    provider: string;
    priceIn: string;
    priceOut: string;
}

export class MarketActions {
    /** action key -> when it was last sent: an unconfirmed action is not repeated before resendAfterMs. */
    private readonly sent = new Map<string, number>();

    constructor(
        private readonly chain: Chain,
        private readonly wallet: KeeperWallet,
        private readonly db: KeeperDb,
        private readonly registry: Address,
        private readonly orderBook: Address,
        private readonly policy: ActionPolicy,
        private readonly log: Logger,
        private readonly metrics: KeeperMetrics,
    ) {}

    private fresh(key: string): boolean {
        const at = this.sent.get(key);
        return at === undefined || Date.now() - at >= this.policy.resendAfterMs;
    }

    /** Plans matches for the whole book, confirms each with canServe and sends them in one wallet transfer. */
    async matchOnce(now: number): Promise<SentMatch[]> {
        const plans = planMatches(this.db.orders([0]), this.db.providers(), now);
        const out: { plan: MatchPlan; msg: OutgoingMessage }[] = [];
        for (const plan of plans) {
            const { order, candidate } = plan;
            if (!this.fresh(`match:${order.id}`)) continue;
            if (!this.policy.spendAboveFee && this.policy.matchCostEstimate > BigInt(order.matchFee)) {
                this.log.info(
                    { order: order.id, fee: order.matchFee },
                    'match fee below expected gas; skipped by policy',
                );
                continue;
            }
            const code = await this.chain.canServe(
                Address.parse(candidate.provider.address),
                BigInt('0x' + order.model),
                BigInt(candidate.ask.priceIn),
                BigInt(candidate.ask.priceOut),
                BigInt(order.expiresAt),
            );
            if (code !== 0) {
                this.log.info(
                    { order: order.id, provider: candidate.provider.owner, refusal: refusalCodeText(code) },
                    'canServe refused',
                );
                continue;
            }
            const body = beginCell();
            storeMatchOrder({
                $$type: 'MatchOrder',
                queryId: BigInt(order.id),
                orderId: BigInt(order.id),
                provider: Address.parse(candidate.provider.owner),
                askIn: BigInt(candidate.ask.priceIn),
                askOut: BigInt(candidate.ask.priceOut),
                model: BigInt('0x' + order.model),
                expiresAt: BigInt(order.expiresAt),
            })(body);
            out.push({ plan, msg: { to: this.orderBook, value: this.policy.matchValue, body: body.endCell() } });
        }
        for (let i = 0; i < out.length; i += 255) {
            const batch = out.slice(i, i + 255);
            for (const { plan } of batch) this.sent.set(`match:${plan.order.id}`, Date.now());
            await this.wallet.send(batch.map((b) => b.msg));
            this.metrics.matchesSent.inc(batch.length);
        }
        const sent = out.map(({ plan }) => ({
            orderId: plan.order.id,
            provider: plan.candidate.provider.owner,
            priceIn: plan.candidate.ask.priceIn,
            priceOut: plan.candidate.ask.priceOut,
        }));
        if (sent.length) this.log.info({ matches: sent }, 'matches sent');
        return sent;
    }

    /** Timeouts for orders past their deadlines (only with refundExpired). */
    async expireOnce(now: number): Promise<{ orderId: string; kind: TimeoutKind }[]> {
        if (!this.policy.refundExpired) return [];
        const due: { orderId: string; kind: TimeoutKind; msg: OutgoingMessage }[] = [];
        for (const o of this.db.orders([0, 2, 3])) {
            const kind = timeoutDue(o, now);
            if (!kind || !this.fresh(`timeout:${o.id}`)) continue;
            const body = beginCell();
            storeTimeout({ $$type: 'Timeout', queryId: BigInt(o.id) })(body);
            due.push({
                orderId: o.id,
                kind,
                msg: { to: Address.parse(o.address), value: this.policy.timeoutValue, body: body.endCell() },
            });
        }
        for (let i = 0; i < due.length; i += 255) {
            const batch = due.slice(i, i + 255);
            for (const d of batch) this.sent.set(`timeout:${d.orderId}`, Date.now());
            await this.wallet.send(batch.map((d) => d.msg));
            this.metrics.expired.inc(batch.length);
        }
        const res = due.map(({ orderId, kind }) => ({ orderId, kind }));
        if (res.length) this.log.info({ timeouts: res }, 'timeouts sent');
        return res;
    }

    /** RelayRevocation for every still-active Provider whose measurement the Registry marks revoked. */
    async relayOnce(): Promise<string[]> {
        if (!this.policy.relayRevocations) return [];
        const msgs: OutgoingMessage[] = [];
        const owners: string[] = [];
        for (const p of this.db.providers()) {
            if (!p.measurementRevoked || p.status === ProviderStatus.DEACTIVATED || p.status === ProviderStatus.EXITED)
                continue;
            if (!this.fresh(`relay:${p.owner}`)) continue;
            const body = beginCell();
            storeRelayRevocation({
                $$type: 'RelayRevocation',
                queryId: 0n,
                measurement: BigInt('0x' + p.measurement),
                provider: Address.parse(p.owner),
            })(body);
            msgs.push({ to: this.registry, value: this.policy.relayValue, body: body.endCell() });
            owners.push(p.owner);
            this.sent.set(`relay:${p.owner}`, Date.now());
        }
        if (msgs.length) {
            await this.wallet.send(msgs);
            this.metrics.relays.inc(msgs.length);
            this.log.info({ providers: owners }, 'revocations relayed');
        }
        return owners;
    }
}

/**
 * Price-time matching, pure (no chain access) so the rules are testable and the client can reuse them.
 *
 * Comparison of asks: **lexicographic by priceOut, then priceIn** (output tokens dominate the cost of a chat
 * session and a blended price would need a guess of the in/out ratio), then **earliest registeredAt**
 * (time priority), then the Provider address (a total order: every keeper picks the same provider, so racing
 * keepers collide on one Order and the losers are refunded instead of reserving several providers).
 * Eligibility mirrors the Provider's reservationRefusal; the canServe getter confirms before sending.
 * Clearing price = the provider's ask (sent as askSeen; the Order records what the Provider accepts).
 */
import { ExitCode, OrderState, ProviderStatus } from '../../wrappers/Constants';
import { AskView, OrderView, ProviderView } from '../types';

export interface Candidate {
    provider: ProviderView;
    ask: AskView;
}

export function compareCandidates(a: Candidate, b: Candidate): number {
    const d =
        cmp(BigInt(a.ask.priceOut), BigInt(b.ask.priceOut)) ||
        cmp(BigInt(a.ask.priceIn), BigInt(b.ask.priceIn)) ||
        a.provider.registeredAt - b.provider.registeredAt;
    if (d !== 0) return d;
    return a.provider.address < b.provider.address ? -1 : a.provider.address > b.provider.address ? 1 : 0;
}

function cmp(a: bigint, b: bigint): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Why `p` cannot take `order` now (null = it can, as far as the book knows). */
export function refusal(order: OrderView, p: ProviderView, liveNow = p.live): string | null {
    if (p.status !== ProviderStatus.ACTIVE) return `provider ${p.owner} is ${p.statusName}`;
    if (p.paused) return `provider ${p.owner} is paused`;
    if (p.measurementRevoked) return `provider ${p.owner}'s measurement is revoked`;
    if (p.attestedUntil < order.expiresAt) {
        return `provider ${p.owner} is attested until ${p.attestedUntil}, before the order expires (${order.expiresAt})`;
    }
    const ask = p.asks[order.model];
    if (!ask) return `provider ${p.owner} does not serve model ${order.model}`;
    if (BigInt(ask.priceIn) > BigInt(order.maxPriceIn) || BigInt(ask.priceOut) > BigInt(order.maxPriceOut)) {
        return `provider ${p.owner} asks ${ask.priceIn}/${ask.priceOut} (in/out), above the order's max ${order.maxPriceIn}/${order.maxPriceOut}`;
    }
    if (liveNow >= p.capacity) return `provider ${p.owner} is at capacity (${liveNow}/${p.capacity})`;
    return null;
}

/** Eligible providers for `order`, best first. `live` overrides capacity use (batching several orders). */
export function candidates(order: OrderView, providers: ProviderView[], live?: Map<string, number>): Candidate[] {
    return providers
        .filter((p) => refusal(order, p, live?.get(p.owner) ?? p.live) === null)
        .map((p) => ({ provider: p, ask: p.asks[order.model] }))
        .sort(compareCandidates);
}

/** Human reasons why `order` stays unmatched (empty = it is matchable now). */
export function explainUnmatched(order: OrderView, providers: ProviderView[], now: number): string[] {
    if (order.state !== OrderState.OPEN) return [`order ${order.id} is ${order.stateName}, not open`];
    if (now > order.matchBy) return [`order ${order.id} passed its match-by deadline (${order.matchBy})`];
    if (providers.length === 0) return ['no provider is registered'];
    const reasons = providers.map((p) => refusal(order, p)).filter((r): r is string => r !== null);
    return reasons.length === providers.length ? reasons : [];
}

/** Exit codes of canServe / MatchRefused in words, for logs and explainUnmatched. */
export function refusalCodeText(code: number): string {
    const name = Object.entries(ExitCode).find(([, v]) => v === code)?.[0];
    return name ? `${name} (${code})` : `exit code ${code}`;
}

export interface MatchPlan {
    order: OrderView;
    candidate: Candidate;
}

/**
 * One pass of the book: each open order (earliest id first: time priority for orders too) gets the best
 * provider with capacity left after the earlier assignments of this pass.
 */
export function planMatches(orders: OrderView[], providers: ProviderView[], now: number): MatchPlan[] {
    const live = new Map(providers.map((p) => [p.owner, p.live]));
    const out: MatchPlan[] = [];
    const open = orders
        .filter((o) => o.state === OrderState.OPEN && now <= o.matchBy)
        .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    for (const order of open) {
        const best = candidates(order, providers, live)[0];
        if (!best) continue;
        live.set(best.provider.owner, (live.get(best.provider.owner) ?? 0) + 1);
        out.push({ order, candidate: best });
    }
    return out;
}
